/* family: sockets
 * TCP on the loopback interface of the process's own network namespace:
 * binding 127.0.0.1 port 0 picks a port (getsockname shows it); connect,
 * accept, send and recv work, and getpeername shows 127.0.0.1; a second
 * bind of the same address is EADDRINUSE; after the listener closes, connect
 * to the port is ECONNREFUSED; listen on a connected socket is EINVAL.
 * (The native run's fresh network namespace has lo down: the case brings it up.)
 */
#include "case.h"
#include <arpa/inet.h>
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

int main(void)
{
    lo_up();
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int s = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("bind port 0", bind(s, (void *)&a, sizeof a));
    socklen_t len = sizeof a;
    SHOW("getsockname", getsockname(s, (void *)&a, &len));
    SAY("port>0=%d addr=%s len=%d", ntohs(a.sin_port) > 0, inet_ntoa(a.sin_addr), (int)len);
    SHOW("listen", listen(s, 4));
    int c = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("connect", connect(c, (void *)&a, sizeof a));
    struct sockaddr_in peer;
    len = sizeof peer;
    int acc = accept(s, (void *)&peer, &len);
    SAY("accepted=%d peer=%s", acc >= 0, inet_ntoa(peer.sin_addr));
    struct sockaddr_in mine;
    len = sizeof mine;
    getsockname(c, (void *)&mine, &len);
    SAY("accept's peer port is the client's=%d", peer.sin_port == mine.sin_port);
    len = sizeof peer;
    SHOW("getpeername", getpeername(c, (void *)&peer, &len));
    SAY("peer=%s same port=%d", inet_ntoa(peer.sin_addr), peer.sin_port == a.sin_port);
    SHOW("send", send(c, "tcp!", 4, 0));
    char b[8] = {0};
    SHOW("recv", recv(acc, b, sizeof b, 0));
    SAY("got=%s", b);
    SHOW("listen connected", listen(c, 1));
    int s2 = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("bind in use", bind(s2, (void *)&a, sizeof a));
    close(acc);
    close(c);
    close(s);
    int c2 = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("connect refused", connect(c2, (void *)&a, sizeof a));
    SHOW("connect twice", connect(c2, (void *)&a, sizeof a));
    struct sockaddr_in other = {.sin_family = AF_INET, .sin_addr.s_addr = inet_addr("10.1.2.3"), .sin_port = htons(9)};
    SHOW("bind non-local address", bind(socket(AF_INET, SOCK_STREAM, 0), (void *)&other, sizeof other));
    SHOW("connect unreachable", connect(socket(AF_INET, SOCK_STREAM, 0), (void *)&other, sizeof other));
    return 0;
}
