/* family: sockets
 * SCM_CREDENTIALS: with SO_PASSCRED set on the receiver, every message
 * carries the sender's credentials, filled in by the kernel when the sender
 * attached none, with the pid as the sender's getpid() says; a pid not its
 * own (and not one it may claim) is refused (EPERM; ESRCH for a privileged
 * caller naming no process). The uid and gid are in scm_credentials_ids.
 */
#include "case.h"

static void recv_cred(int s, const char *label, pid_t expect)
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
    if (!h || h->cmsg_type != SCM_CREDENTIALS) {
        SAY("%s: no credentials", label);
        return;
    }
    struct ucred cr;
    memcpy(&cr, CMSG_DATA(h), sizeof cr);
    SAY("%s: pid is sender=%d", label, cr.pid == expect);
}

static int send_cred(int s, struct ucred *cr)
{
    char c = 'C';
    struct iovec io = {&c, 1};
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(struct ucred))]; } u;
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1};
    if (cr) {
        m.msg_control = u.b;
        m.msg_controllen = sizeof u.b;
        struct cmsghdr *h = CMSG_FIRSTHDR(&m);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_CREDENTIALS;
        h->cmsg_len = CMSG_LEN(sizeof *cr);
        memcpy(CMSG_DATA(h), cr, sizeof *cr);
    }
    return sendmsg(s, &m, 0);
}

int main(void)
{
    int sv[2], one = 1;
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    SHOW("passcred", setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
    SHOW("send plain", send_cred(sv[0], NULL));
    recv_cred(sv[1], "implicit", getpid());
    pid_t c = fork();
    if (c == 0) {
        send_cred(sv[0], NULL);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    recv_cred(sv[1], "from child", c);
    struct ucred other = {getpid() + 1000, getuid(), getgid()};
    long r = send_cred(sv[0], &other);
    SAY("send foreign pid refused=%d", r < 0);
    return 0;
}
