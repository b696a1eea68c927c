/* family: sockets
 * SO_REUSEADDR: off by default and read back as 1 once set; two sockets
 * with SO_REUSEADDR may not both listen on one address (EADDRINUSE), but a
 * new socket may bind the port of a closed listener whose connection is in
 * TIME_WAIT, which without the option is EADDRINUSE.
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

static int bound(struct sockaddr_in *a, int reuse)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (reuse)
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
    if (bind(s, (void *)a, sizeof *a) < 0) {
        int e = errno;
        close(s);
        errno = e;
        return -1;
    }
    return s;
}

int main(void)
{
    lo_up();
    int v = -1;
    socklen_t len = sizeof v;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("get default", getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, &len));
    SAY("value=%d", v);
    v = 5;
    SHOW("set", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
    SHOW("get", getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, &len));
    SAY("value=%d", v);
    SHOW("set short", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 2));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int l = bound(&a, 1);
    len = sizeof a;
    getsockname(l, (void *)&a, &len);
    listen(l, 1);
    SHOW("second reuse bind while listening", bound(&a, 1));
    int c = socket(AF_INET, SOCK_STREAM, 0);
    connect(c, (void *)&a, sizeof a);
    int acc = accept(l, NULL, NULL);
    close(acc);          /* the server closes first: its side goes to TIME_WAIT */
    close(l);
    char b;
    read(c, &b, 1);
    close(c);
    SHOW("bind without reuse", bound(&a, 0));
    SHOW("bind with reuse", bound(&a, 1) >= 0);
    return 0;
}
