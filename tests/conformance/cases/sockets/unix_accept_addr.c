/* family: sockets
 * accept(2) gives the connecting socket's address: the path a client bound
 * before connecting (the same as getpeername on the accepted socket shows),
 * or only the family (length 2) for an unbound client.
 */
#include "case.h"

int main(void)
{
    struct sockaddr_un srv = {.sun_family = AF_UNIX, .sun_path = "/tmp/acc.srv"};
    struct sockaddr_un cli = {.sun_family = AF_UNIX, .sun_path = "/tmp/acc.cli"};
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(s, (void *)&srv, sizeof srv);
    listen(s, 2);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("client bind", bind(c, (void *)&cli, sizeof cli));
    SHOW("connect", connect(c, (void *)&srv, sizeof srv));
    struct sockaddr_un got;
    memset(&got, 0, sizeof got);
    socklen_t len = sizeof got;
    int a = accept(s, (void *)&got, &len);
    SAY("accept ok=%d from=%s len=%d", a >= 0, got.sun_path, (int)len);
    memset(&got, 0, sizeof got);
    len = sizeof got;
    SHOW("getpeername", getpeername(a, (void *)&got, &len));
    SAY("peer=%s len=%d", got.sun_path, (int)len);
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    connect(u, (void *)&srv, sizeof srv);
    memset(&got, 0, sizeof got);
    len = sizeof got;
    a = accept4(s, (void *)&got, &len, SOCK_CLOEXEC);
    SAY("accept4 ok=%d len=%d family=%d cloexec=%d", a >= 0, (int)len, got.sun_family, fcntl(a, F_GETFD));
    len = 4;
    connect(socket(AF_UNIX, SOCK_STREAM, 0), (void *)&srv, sizeof srv);
    a = accept(s, (void *)&got, &len);
    SAY("short buffer ok=%d len=%d", a >= 0, (int)len);
    unlink(srv.sun_path);
    unlink(cli.sun_path);
    return 0;
}
