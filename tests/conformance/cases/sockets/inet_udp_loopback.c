/* family: sockets
 * UDP on loopback: a datagram keeps its boundaries; recvfrom gives the
 * sender's address (127.0.0.1 and the port its getsockname shows, picked
 * at the first send); a reply to that address arrives; connect() of a UDP
 * socket filters what it receives; a datagram to a closed port makes the
 * connected sender's next call fail with ECONNREFUSED.
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
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    bind(s, (void *)&a, sizeof a);
    socklen_t len = sizeof a;
    getsockname(s, (void *)&a, &len);
    SAY("port>0=%d", ntohs(a.sin_port) > 0);
    int c = socket(AF_INET, SOCK_DGRAM, 0);
    SHOW("sendto", sendto(c, "one", 3, 0, (void *)&a, sizeof a));
    SHOW("sendto", sendto(c, "two!", 4, 0, (void *)&a, sizeof a));
    struct sockaddr_in from, cl;
    len = sizeof cl;
    getsockname(c, (void *)&cl, &len);
    SAY("client autobound port>0=%d", ntohs(cl.sin_port) > 0);
    char b[16] = {0};
    len = sizeof from;
    SHOW("recvfrom", recvfrom(s, b, 2, 0, (void *)&from, &len));
    SAY("data=%.2s from=%s port is client's=%d", b, inet_ntoa(from.sin_addr), from.sin_port == cl.sin_port);
    SHOW("recvfrom next whole", recv(s, b, sizeof b, 0));
    SHOW("reply", sendto(s, "ack", 3, 0, (void *)&from, len));
    memset(b, 0, sizeof b);
    SHOW("client recv", recv(c, b, sizeof b, 0));
    SAY("got=%s", b);
    int dead = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in d = a;
    bind(dead, (void *)&(struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)},
         sizeof d);
    len = sizeof d;
    getsockname(dead, (void *)&d, &len);
    close(dead);
    int k = socket(AF_INET, SOCK_DGRAM, 0);
    SHOW("connect udp", connect(k, (void *)&d, sizeof d));
    SHOW("send to closed port", send(k, "x", 1, 0));
    usleep(20000);
    SHOW("next recv", recv(k, b, sizeof b, MSG_DONTWAIT));
    SHOW("recv again", recv(k, b, sizeof b, MSG_DONTWAIT));
    return 0;
}
