/* family: sockets
 * getsockopt(2) basics: SO_TYPE, SO_DOMAIN and SO_PROTOCOL describe the
 * socket; SO_ACCEPTCONN is 1 once listening; SO_ERROR is 0, or the pending
 * error of a failed non-blocking connect (then cleared); an unknown option is
 * ENOPROTOOPT, a non-socket ENOTSOCK, a closed fd EBADF.
 * (The native run's fresh network namespace has lo down: the case brings it up.)
 */
#include "case.h"
#include <netinet/in.h>
#include <net/if.h>
#include <sys/ioctl.h>

/* A fresh network namespace (the native run's) has lo down; umlpy's sandbox
 * has it up.  Bring it up if it is down, so both runs start alike. */
static void lo_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq r = {0};
    strcpy(r.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &r) == 0 && !(r.ifr_flags & IFF_UP)) {
        r.ifr_flags |= IFF_UP;
        ioctl(s, SIOCSIFFLAGS, &r);
    }
    close(s);
}
#include <poll.h>

static void show_int(const char *label, int s, int level, int name)
{
    int v = -1;
    socklen_t len = sizeof v;
    long r = getsockopt(s, level, name, &v, &len);
    if (r < 0)
        SAY("%s=-1 %s", label, errname(errno));
    else
        SAY("%s=%d len=%d", label, v, (int)len);
}

int main(void)
{
    lo_up();
    int u = socket(AF_UNIX, SOCK_DGRAM, 0);
    int t = socket(AF_INET, SOCK_STREAM, 0);
    int d6 = socket(AF_INET6, SOCK_DGRAM, 0);
    show_int("unix type", u, SOL_SOCKET, SO_TYPE);
    show_int("unix domain", u, SOL_SOCKET, SO_DOMAIN);
    show_int("unix protocol", u, SOL_SOCKET, SO_PROTOCOL);
    show_int("tcp type", t, SOL_SOCKET, SO_TYPE);
    show_int("tcp domain", t, SOL_SOCKET, SO_DOMAIN);
    show_int("tcp protocol", t, SOL_SOCKET, SO_PROTOCOL);
    show_int("udp6 domain", d6, SOL_SOCKET, SO_DOMAIN);
    show_int("udp6 protocol", d6, SOL_SOCKET, SO_PROTOCOL);
    show_int("error", t, SOL_SOCKET, SO_ERROR);
    show_int("acceptconn", t, SOL_SOCKET, SO_ACCEPTCONN);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(t, (void *)&a, sizeof a);
    listen(t, 1);
    show_int("acceptconn listening", t, SOL_SOCKET, SO_ACCEPTCONN);
    socklen_t len = sizeof a;
    getsockname(t, (void *)&a, &len);
    close(t);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    SHOW("nonblocking connect", connect(c, (void *)&a, sizeof a));
    struct pollfd p = {c, POLLOUT, 0};
    poll(&p, 1, 1000);
    show_int("error after refused", c, SOL_SOCKET, SO_ERROR);
    show_int("error again", c, SOL_SOCKET, SO_ERROR);
    show_int("unknown option", u, SOL_SOCKET, 9999);
    show_int("not a socket", 0 + open("/dev/null", O_RDONLY), SOL_SOCKET, SO_TYPE);
    show_int("closed", 99, SOL_SOCKET, SO_TYPE);
    show_int("rcvbuf positive", u, SOL_SOCKET, SO_RCVBUF) ;
    return 0;
}
