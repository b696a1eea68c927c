/* family: sockets
 * SCM_RIGHTS: a descriptor sent over a unix socket arrives as a new fd in the
 * receiver (the lowest free number), sharing the open file description (and
 * its offset); MSG_CMSG_CLOEXEC sets FD_CLOEXEC on it; a control buffer too
 * small for the fds sets MSG_CTRUNC; sending a closed fd is EBADF.
 */
#include "case.h"

static int send_fd(int s, int fd)
{
    char c = 'F';
    struct iovec io = {&c, 1};
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b};
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &fd, sizeof fd);
    return sendmsg(s, &m, 0);
}

static int recv_fd(int s, int flags, size_t space, int *mflags)
{
    char c;
    struct iovec io = {&c, 1};
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = space};
    if (recvmsg(s, &m, flags) < 0)
        return -1;
    *mflags = m.msg_flags;
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    if (!h || h->cmsg_type != SCM_RIGHTS)
        return -2;
    int fd;
    memcpy(&fd, CMSG_DATA(h), sizeof fd);
    return fd;
}

int main(void)
{
    int sv[2], mf = 0;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    int f = open("/etc/hostname", O_RDONLY);
    lseek(f, 2, SEEK_SET);
    SHOW("send", send_fd(sv[0], f));
    int g = recv_fd(sv[1], 0, CMSG_SPACE(sizeof(int)), &mf);
    SAY("received new fd=%d is lowest=%d flags=%#x", g > f, g == f + 3, mf);
    SAY("shared offset=%ld", (long)lseek(g, 0, SEEK_CUR));
    SHOW("cloexec", fcntl(g, F_GETFD));
    SHOW("send", send_fd(sv[0], f));
    g = recv_fd(sv[1], MSG_CMSG_CLOEXEC, CMSG_SPACE(sizeof(int)), &mf);
    SHOW("cloexec with MSG_CMSG_CLOEXEC", fcntl(g, F_GETFD));
    SHOW("send", send_fd(sv[0], f));
    g = recv_fd(sv[1], 0, sizeof(struct cmsghdr), &mf);
    SAY("small buffer: result=%d ctrunc=%d", g, !!(mf & MSG_CTRUNC));
    SHOW("send closed fd", send_fd(sv[0], 99));
    int p[2];
    pipe(p);
    SHOW("send pipe", send_fd(sv[0], p[1]));
    g = recv_fd(sv[1], 0, CMSG_SPACE(sizeof(int)), &mf);
    write(g, "via", 3);
    char b[4] = {0};
    read(p[0], b, 3);
    SAY("through received pipe=%s", b);
    return 0;
}
