/* family: sockets
 * Unix socket pathnames: a relative path binds in the cwd and getsockname
 * gives it back as given; the socket file's mode is 0777 less the umask;
 * binding a socket twice is EINVAL; binding over an existing file is
 * EADDRINUSE; connect follows a symlink to the socket; a datagram socket
 * connecting to a stream socket's path is EPROTOTYPE (ECONNREFUSED if
 * nobody listens); listen on a datagram socket is EOPNOTSUPP; an address
 * longer than sockaddr_un is EINVAL.
 */
#include "case.h"

int main(void)
{
    umask(022);
    chdir("/tmp");
    struct sockaddr_un rel = {.sun_family = AF_UNIX, .sun_path = "rel.sock"};
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("bind relative", bind(s, (void *)&rel, sizeof rel));
    struct sockaddr_un got = {0};
    socklen_t len = sizeof got;
    getsockname(s, (void *)&got, &len);
    SAY("name=%s len=%d", got.sun_path, (int)len);
    struct stat st;
    SHOW("stat", stat("/tmp/rel.sock", &st));
    SAY("mode=%o", st.st_mode & 07777);
    SHOW("bind twice", bind(s, (void *)&rel, sizeof rel));
    listen(s, 2);
    close(open("/tmp/plain", O_CREAT | O_WRONLY, 0644));
    struct sockaddr_un plain = {.sun_family = AF_UNIX, .sun_path = "/tmp/plain"};
    SHOW("bind over a file", bind(socket(AF_UNIX, SOCK_STREAM, 0), (void *)&plain, sizeof plain));
    symlink("/tmp/rel.sock", "/tmp/link.sock");
    struct sockaddr_un ln = {.sun_family = AF_UNIX, .sun_path = "/tmp/link.sock"};
    SHOW("connect via symlink", connect(socket(AF_UNIX, SOCK_STREAM, 0), (void *)&ln, sizeof ln));
    SHOW("dgram to stream", connect(socket(AF_UNIX, SOCK_DGRAM, 0), (void *)&rel, sizeof rel));
    SHOW("listen dgram", listen(socket(AF_UNIX, SOCK_DGRAM, 0), 1));
    char big[sizeof(struct sockaddr_un) + 8] = {0};
    ((struct sockaddr_un *)big)->sun_family = AF_UNIX;
    memset(big + 2, 'x', sizeof big - 3);
    SHOW("address too long", bind(socket(AF_UNIX, SOCK_STREAM, 0), (void *)big, sizeof big));
    unlink("/tmp/rel.sock");
    unlink("/tmp/link.sock");
    unlink("/tmp/plain");
    return 0;
}
