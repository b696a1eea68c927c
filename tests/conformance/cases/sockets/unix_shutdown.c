/* family: sockets
 * shutdown(2): after SHUT_WR the peer reads end-of-file, and a further send
 * is EPIPE (SIGPIPE with MSG_NOSIGNAL suppressed); the other direction still
 * works; a bad `how` is EINVAL; a non-socket is ENOTSOCK; an unconnected
 * stream socket is ENOTCONN.
 */
#include "case.h"

int main(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    SHOW("shutdown wr", shutdown(sv[0], SHUT_WR));
    char b[4];
    SHOW("peer reads eof", recv(sv[1], b, sizeof b, 0));
    SHOW("send after shut_wr", send(sv[0], "x", 1, MSG_NOSIGNAL));
    SHOW("other direction", send(sv[1], "y", 1, 0));
    SHOW("recv other direction", recv(sv[0], b, sizeof b, 0));
    SHOW("shutdown rd", shutdown(sv[0], SHUT_RD));
    SHOW("recv after shut_rd", recv(sv[0], b, sizeof b, MSG_DONTWAIT));
    SHOW("bad how", shutdown(sv[0], 7));
    SHOW("not a socket", shutdown(open("/dev/null", O_RDONLY), SHUT_RDWR));
    SHOW("bad fd", shutdown(99, SHUT_RDWR));
    SHOW("unconnected", shutdown(socket(AF_UNIX, SOCK_STREAM, 0), SHUT_RDWR));
    return 0;
}
