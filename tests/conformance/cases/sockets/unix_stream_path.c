/* family: sockets
 * A unix stream socket bound to a pathname: bind creates a socket file (and a
 * second bind to the name is EADDRINUSE, even after the socket closes, until
 * it is unlinked); getsockname gives the path; the connecting side's
 * getpeername gives it too, and the accepted socket's peer is unnamed;
 * connect to a missing path is ENOENT, to a non-socket ECONNREFUSED, to a
 * socket nobody listens on ECONNREFUSED.
 */
#include "case.h"

static struct sockaddr_un un(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, path);
    return a;
}

int main(void)
{
    struct sockaddr_un a = un("/tmp/stream.sock"), got;
    socklen_t len;
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("bind", bind(s, (void *)&a, sizeof a));
    struct stat st;
    SHOW("stat", stat(a.sun_path, &st));
    SAY("is socket=%d", S_ISSOCK(st.st_mode));
    len = sizeof got;
    SHOW("getsockname", getsockname(s, (void *)&got, &len));
    SAY("name=%s len=%d", got.sun_path, (int)len);
    SHOW("listen", listen(s, 5));
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("connect", connect(c, (void *)&a, sizeof a));
    int acc = accept(s, NULL, NULL);
    SAY("accepted=%d", acc >= 0);
    len = sizeof got;
    memset(&got, 0, sizeof got);
    SHOW("client getpeername", getpeername(c, (void *)&got, &len));
    SAY("peer=%s len=%d", got.sun_path, (int)len);
    len = sizeof got;
    SHOW("accepted getsockname", getsockname(acc, (void *)&got, &len));
    SAY("name=%s", got.sun_path);
    len = sizeof got;
    SHOW("accepted getpeername", getpeername(acc, (void *)&got, &len));
    SAY("len=%d family=%d", (int)len, got.sun_family);
    SHOW("send", send(c, "ping", 4, 0));
    char b[8] = {0};
    SHOW("recv", recv(acc, b, sizeof b, 0));
    SAY("got=%s", b);
    int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("bind same path", bind(s2, (void *)&a, sizeof a));
    close(s);
    SHOW("bind after close", bind(s2, (void *)&a, sizeof a));
    SHOW("connect after close", connect(socket(AF_UNIX, SOCK_STREAM, 0), (void *)&a, sizeof a));
    SHOW("unlink", unlink(a.sun_path));
    SHOW("bind after unlink", bind(s2, (void *)&a, sizeof a));
    SHOW("bind twice", bind(s2, (void *)&a, sizeof a));
    struct sockaddr_un m = un("/tmp/missing.sock");
    SHOW("connect missing", connect(socket(AF_UNIX, SOCK_STREAM, 0), (void *)&m, sizeof m));
    struct sockaddr_un f = un("/etc/hostname");
    SHOW("connect file", connect(socket(AF_UNIX, SOCK_STREAM, 0), (void *)&f, sizeof f));
    struct sockaddr_un d = un("/tmp/nodir/x.sock");
    SHOW("bind missing dir", bind(socket(AF_UNIX, SOCK_STREAM, 0), (void *)&d, sizeof d));
    unlink(a.sun_path);
    return 0;
}
