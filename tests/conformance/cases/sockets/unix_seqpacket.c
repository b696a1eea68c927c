/* family: sockets
 * SOCK_SEQPACKET over a unix pair keeps message boundaries: a short read
 * takes part of one message and drops the rest (MSG_TRUNC in recvmsg's
 * flags); a stream pair merges writes; a datagram pair keeps boundaries, and
 * a non-blocking read of an empty one is EAGAIN.
 */
#include "case.h"

int main(void)
{
    int sq[2], st[2], dg[2];
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sq);
    socketpair(AF_UNIX, SOCK_STREAM, 0, st);
    socketpair(AF_UNIX, SOCK_DGRAM, 0, dg);
    send(sq[0], "first", 5, 0);
    send(sq[0], "second", 6, 0);
    char b[16] = {0};
    struct iovec io = {b, 3};
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1};
    SHOW("seqpacket short recvmsg", recvmsg(sq[1], &m, 0));
    SAY("got=%.3s trunc=%d", b, !!(m.msg_flags & MSG_TRUNC));
    memset(b, 0, sizeof b);
    SHOW("seqpacket next", recv(sq[1], b, sizeof b, 0));
    SAY("got=%s", b);
    send(st[0], "first", 5, 0);
    send(st[0], "second", 6, 0);
    memset(b, 0, sizeof b);
    SHOW("stream merges", recv(st[1], b, sizeof b, 0));
    SAY("got=%s", b);
    send(dg[0], "a", 1, 0);
    send(dg[0], "bc", 2, 0);
    SHOW("dgram one", recv(dg[1], b, sizeof b, 0));
    SHOW("dgram two", recv(dg[1], b, sizeof b, 0));
    SHOW("dgram empty", recv(dg[1], b, sizeof b, MSG_DONTWAIT));
    SHOW("seqpacket peek", (send(sq[0], "xyz", 3, 0), recv(sq[1], b, sizeof b, MSG_PEEK)));
    SHOW("seqpacket after peek", recv(sq[1], b, sizeof b, 0));
    return 0;
}
