/* family: sockets
 * Unix datagram sockets bound to pathnames: recvfrom gives the sender's bound
 * path as its address, so that the receiver can reply with sendto to that
 * very address; an unbound sender has no name (address length 2, the family
 * only); sendto an unbound path is ENOENT, and a message longer than the
 * receive buffer is truncated with MSG_TRUNC reporting its real length.
 */
#include "case.h"

int main(void)
{
    struct sockaddr_un srv = {.sun_family = AF_UNIX, .sun_path = "/tmp/dg.srv"};
    struct sockaddr_un cli = {.sun_family = AF_UNIX, .sun_path = "/tmp/dg.cli"};
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    int c = socket(AF_UNIX, SOCK_DGRAM, 0);
    SHOW("bind server", bind(s, (void *)&srv, sizeof srv));
    SHOW("bind client", bind(c, (void *)&cli, sizeof cli));
    SHOW("sendto server", sendto(c, "hello", 5, 0, (void *)&srv, sizeof srv));
    char b[16] = {0};
    struct sockaddr_un from;
    socklen_t flen = sizeof from;
    memset(&from, 0, sizeof from);
    SHOW("recvfrom", recvfrom(s, b, sizeof b, 0, (void *)&from, &flen));
    SAY("data=%s from=%s len=%d", b, from.sun_path, (int)flen);
    SHOW("reply to sender", sendto(s, "back", 4, 0, (void *)&from, flen));
    memset(b, 0, sizeof b);
    SHOW("client recv", recv(c, b, sizeof b, MSG_DONTWAIT));
    SAY("reply=%s", b);
    int anon = socket(AF_UNIX, SOCK_DGRAM, 0);
    SHOW("unbound sendto", sendto(anon, "anon", 4, 0, (void *)&srv, sizeof srv));
    flen = sizeof from;
    memset(&from, 0, sizeof from);
    SHOW("recvfrom unbound", recvfrom(s, b, sizeof b, 0, (void *)&from, &flen));
    SAY("len=%d family=%d", (int)flen, from.sun_family);
    sendto(c, "0123456789", 10, 0, (void *)&srv, sizeof srv);
    SHOW("recv truncated", recv(s, b, 4, MSG_TRUNC));
    struct sockaddr_un gone = {.sun_family = AF_UNIX, .sun_path = "/tmp/dg.none"};
    SHOW("sendto missing", sendto(c, "x", 1, 0, (void *)&gone, sizeof gone));
    unlink(srv.sun_path);
    unlink(cli.sun_path);
    return 0;
}
