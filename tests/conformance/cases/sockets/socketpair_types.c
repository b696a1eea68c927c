/* family: sockets
 * socketpair(2): unix stream, datagram and seqpacket pairs work, and
 * SOCK_NONBLOCK/SOCK_CLOEXEC apply to both ends; other families have no pairs:
 * AF_INET and AF_INET6 create the socket first (a bad protocol is
 * EPROTONOSUPPORT) and then fail with EOPNOTSUPP; an unknown family is
 * EAFNOSUPPORT; a unix pair with a protocol is EPROTONOSUPPORT and with an
 * unknown type ESOCKTNOSUPPORT.
 */
#include "case.h"
#include <netinet/in.h>

int main(void)
{
    int sv[2];
    SHOW("unix stream", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    SHOW("unix dgram", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    SHOW("unix seqpacket", socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
    SHOW("unix stream nonblock|cloexec", socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
    SAY("both nonblock=%d both cloexec=%d", (fcntl(sv[0], F_GETFL) & O_NONBLOCK) && (fcntl(sv[1], F_GETFL) & O_NONBLOCK),
        fcntl(sv[0], F_GETFD) == 1 && fcntl(sv[1], F_GETFD) == 1);
    SHOW("inet stream", socketpair(AF_INET, SOCK_STREAM, 0, sv));
    SHOW("inet dgram", socketpair(AF_INET, SOCK_DGRAM, 0, sv));
    SHOW("inet6 stream", socketpair(AF_INET6, SOCK_STREAM, 0, sv));
    SHOW("inet stream udp", socketpair(AF_INET, SOCK_STREAM, IPPROTO_UDP, sv));
    SHOW("inet bad type", socketpair(AF_INET, 77, 0, sv));
    SHOW("unknown family", socketpair(200, SOCK_STREAM, 0, sv));
    SHOW("unix protocol 1", socketpair(AF_UNIX, SOCK_STREAM, 1, sv));
    SHOW("unix bad type", socketpair(AF_UNIX, 77, 0, sv));
    SHOW("unix bad flags", socketpair(AF_UNIX, SOCK_STREAM | 0x100000, 0, sv));
    SHOW("bad address", socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)8));
    return 0;
}
