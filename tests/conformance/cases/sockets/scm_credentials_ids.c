/* family: sockets
 * SCM_CREDENTIALS carry the sender's uid and gid (0 for root), filled in by
 * the kernel when the sender attached none; a sender may attach its own
 * pid, uid and gid explicitly.
 */
#include "case.h"

static void recv_cred(int s, const char *label)
{
    char c;
    struct iovec io = {&c, 1};
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(struct ucred))]; } u;
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b};
    if (recvmsg(s, &m, MSG_DONTWAIT) < 0) {
        SAY("%s: recvmsg %s", label, errname(errno));
        return;
    }
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    struct ucred cr;
    memcpy(&cr, CMSG_DATA(h), sizeof cr);
    SAY("%s: uid=%u gid=%u", label, cr.uid, cr.gid);
}

int main(void)
{
    int sv[2], one = 1;
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    SHOW("send plain", send(sv[0], "x", 1, 0));
    recv_cred(sv[1], "implicit");
    char c = 'C';
    struct iovec io = {&c, 1};
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(struct ucred))]; } u;
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b};
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_CREDENTIALS;
    h->cmsg_len = CMSG_LEN(sizeof(struct ucred));
    struct ucred mine = {getpid(), getuid(), getgid()};
    memcpy(CMSG_DATA(h), &mine, sizeof mine);
    SHOW("send explicit", sendmsg(sv[0], &m, 0));
    recv_cred(sv[1], "explicit");
    return 0;
}
