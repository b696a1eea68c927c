/* family: sockets
 * bind(2)/connect(2) of an inet socket given a unix address: the inet
 * family refuses it before it would mean anything as a path: bind with an
 * address shorter than a sockaddr_in is EINVAL, one of the wrong family is
 * EAFNOSUPPORT; no file is created; connect with the wrong family is
 * EAFNOSUPPORT. A unix socket given an inet address is EINVAL.
 */
#include "case.h"
#include <netinet/in.h>

int main(void)
{
    struct sockaddr_un u = {.sun_family = AF_UNIX, .sun_path = "/tmp/inet-as-unix"};
    int s = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("bind unix addr", bind(s, (void *)&u, sizeof u));
    SHOW("bind unix addr short", bind(s, (void *)&u, 8));
    struct stat st;
    SHOW("no file", stat(u.sun_path, &st));
    SHOW("connect unix addr", connect(s, (void *)&u, sizeof u));
    int d = socket(AF_INET, SOCK_DGRAM, 0);
    SHOW("sendto unix addr", sendto(d, "x", 1, 0, (void *)&u, sizeof u));
    SHOW("no file", stat(u.sun_path, &st));
    int s6 = socket(AF_INET6, SOCK_STREAM, 0);
    SHOW("inet6 bind unix addr", bind(s6, (void *)&u, sizeof u));
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int x = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("unix bind inet addr", bind(x, (void *)&in, sizeof in));
    SHOW("unix connect inet addr", connect(x, (void *)&in, sizeof in));
    SHOW("unix bind short", bind(x, (void *)&u, 1));
    return 0;
}
