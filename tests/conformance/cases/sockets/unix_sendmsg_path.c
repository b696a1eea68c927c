/* family: sockets
 * sendmsg(2) with msg_name a unix pathname sends a datagram to the socket
 * bound there, like sendto; a connected datagram socket may send to the
 * address it is connected to with send(); a missing path is ENOENT.
 */
#include "case.h"

int main(void)
{
    struct sockaddr_un srv = {.sun_family = AF_UNIX, .sun_path = "/tmp/sm.srv"};
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(s, (void *)&srv, sizeof srv);
    int c = socket(AF_UNIX, SOCK_DGRAM, 0);
    char data[] = "by sendmsg";
    struct iovec io = {data, strlen(data)};
    struct msghdr m = {.msg_name = &srv, .msg_namelen = sizeof srv, .msg_iov = &io, .msg_iovlen = 1};
    SHOW("sendmsg", sendmsg(c, &m, 0));
    char b[32] = {0};
    SHOW("recv", recv(s, b, sizeof b, MSG_DONTWAIT));
    SAY("got=%s", b);
    struct sockaddr_un gone = {.sun_family = AF_UNIX, .sun_path = "/tmp/sm.none"};
    m.msg_name = &gone;
    SHOW("sendmsg missing", sendmsg(c, &m, 0));
    SHOW("connect", connect(c, (void *)&srv, sizeof srv));
    SHOW("send connected", send(c, "conn", 4, 0));
    memset(b, 0, sizeof b);
    SHOW("recv", recv(s, b, sizeof b, MSG_DONTWAIT));
    SAY("got=%s", b);
    unlink(srv.sun_path);
    return 0;
}
