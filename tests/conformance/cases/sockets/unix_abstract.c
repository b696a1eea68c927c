/* family: sockets
 * Abstract unix addresses (a leading NUL byte): no file is made; the name is
 * exactly addrlen - 2 bytes, and getsockname returns it with that length; a
 * second bind of the name is EADDRINUSE; the name is free again when the
 * socket closes; binding with only the family (addrlen 2) autobinds to a
 * 5-hex-digit abstract name (length 8).
 */
#include "case.h"
#include <stddef.h>

int main(void)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memcpy(a.sun_path, "\0conformance-abstract", 21);
    socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 21;
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("bind", bind(s, (void *)&a, alen));
    struct sockaddr_un got;
    socklen_t len = sizeof got;
    SHOW("getsockname", getsockname(s, (void *)&got, &len));
    SAY("len=%d same=%d", (int)len, len == alen && memcmp(&got, &a, alen) == 0);
    listen(s, 1);
    int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("bind again", bind(s2, (void *)&a, alen));
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("connect", connect(c, (void *)&a, alen));
    SHOW("connect shorter name", connect(socket(AF_UNIX, SOCK_STREAM, 0), (void *)&a, alen - 1));
    close(s);
    SHOW("bind after close", bind(s2, (void *)&a, alen));
    int u = socket(AF_UNIX, SOCK_DGRAM, 0);
    SHOW("autobind", bind(u, (void *)&a, sizeof(sa_family_t)));
    len = sizeof got;
    getsockname(u, (void *)&got, &len);
    SAY("autobind len=%d abstract=%d", (int)len, got.sun_path[0] == 0);
    return 0;
}
