/* family: sockets
 * sendmsg(2) and recvmsg(2) with unix pathnames: sendmsg with msg_name a
 * socket's path sends it a datagram, like sendto; recvmsg fills msg_name
 * with the sender's bound path, like recvfrom; a missing path is ENOENT.
 */
#include "case.h"

int main(void)
{
    struct sockaddr_un srv = {.sun_family = AF_UNIX, .sun_path = "/tmp/sm.srv"};
    struct sockaddr_un cli = {.sun_family = AF_UNIX, .sun_path = "/tmp/sm.cli"};
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(s, (void *)&srv, sizeof srv);
    int c = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(c, (void *)&cli, sizeof cli);
    char data[] = "by sendmsg";
    struct iovec io = {data, strlen(data)};
    struct msghdr m = {.msg_name = &srv, .msg_namelen = sizeof srv, .msg_iov = &io, .msg_iovlen = 1};
    SHOW("sendmsg", sendmsg(c, &m, 0));
    struct sockaddr_un gone = {.sun_family = AF_UNIX, .sun_path = "/tmp/sm.none"};
    m.msg_name = &gone;
    SHOW("sendmsg missing", sendmsg(c, &m, 0));
    sendto(c, "by sendto", 9, 0, (void *)&srv, sizeof srv);
    char b[32] = {0};
    struct sockaddr_un from;
    struct iovec rio = {b, sizeof b};
    struct msghdr r = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &rio, .msg_iovlen = 1};
    memset(&from, 0, sizeof from);
    SHOW("recvmsg", recvmsg(s, &r, MSG_DONTWAIT));
    SAY("got=%s from=%s len=%d", b, from.sun_path, (int)r.msg_namelen);
    unlink(srv.sun_path);
    unlink(cli.sun_path);
    return 0;
}
