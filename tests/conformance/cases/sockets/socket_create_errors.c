/* family: sockets
 * socket(2)'s argument checks: an unknown family is EAFNOSUPPORT; an unknown
 * type EINVAL for inet (ESOCKTNOSUPPORT for unix); a protocol the family
 * lacks EPROTONOSUPPORT; an unknown flag bit in the type EINVAL;
 * SOCK_NONBLOCK and SOCK_CLOEXEC set O_NONBLOCK and FD_CLOEXEC.
 */
#include "case.h"
#include <netinet/in.h>

int main(void)
{
    SHOW("unknown family", socket(200, SOCK_STREAM, 0));
    SHOW("inet bad type", socket(AF_INET, 77, 0));
    SHOW("unix bad type", socket(AF_UNIX, 77, 0));
    SHOW("unix protocol 5", socket(AF_UNIX, SOCK_STREAM, 5));
    SHOW("inet stream udp", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
    SHOW("inet dgram tcp", socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
    SHOW("bad flag bit", socket(AF_INET, SOCK_STREAM | 0x100000, 0));
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    SAY("nonblock=%d cloexec=%d", !!(fcntl(s, F_GETFL) & O_NONBLOCK), fcntl(s, F_GETFD));
    SHOW("unix raw is dgram", socket(AF_UNIX, SOCK_RAW, 0) >= 0);
    return 0;
}
