/* family: sockets
 * A datagram to a unix pathname carries its sender's pid to a receiver with
 * SO_PASSCRED, however it was sent: sendto with the path, or send on a
 * socket connected to it (the pid its getpid() returns).
 * differs: ^(child )?sendto: creds -- umlpy's supervisor makes a sendto to a pathname and gives the sender's pid explicitly; as an ordinary user it may not claim that pid (the receiver sees pid 0), as root it does (issue 8)
 */
#include "case.h"

static void recv_pid(int s, const char *label, pid_t expect)
{
    char c[8];
    struct iovec io = {c, sizeof c};
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(struct ucred))]; } u;
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b};
    if (recvmsg(s, &m, MSG_DONTWAIT) < 0) {
        SAY("%s: recvmsg %s", label, errname(errno));
        return;
    }
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    struct ucred cr = {0};
    if (h && h->cmsg_type == SCM_CREDENTIALS)
        memcpy(&cr, CMSG_DATA(h), sizeof cr);
    SAY("%s: creds=%d pid is sender=%d", label, h != NULL, cr.pid == expect);
}

int main(void)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX, .sun_path = "/tmp/pc.sock"};
    int s = socket(AF_UNIX, SOCK_DGRAM, 0), one = 1;
    bind(s, (void *)&a, sizeof a);
    setsockopt(s, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    int c = socket(AF_UNIX, SOCK_DGRAM, 0);
    SHOW("sendto path", sendto(c, "a", 1, 0, (void *)&a, sizeof a));
    recv_pid(s, "sendto", getpid());
    int p[2];
    pipe(p);
    pid_t k = fork();
    if (k == 0) {
        int d = socket(AF_UNIX, SOCK_DGRAM, 0);
        sendto(d, "b", 1, 0, (void *)&a, sizeof a);
        connect(d, (void *)&a, sizeof a);
        send(d, "c", 1, 0);
        write(p[1], "x", 1);
        _exit(0);
    }
    char ch;
    read(p[0], &ch, 1);
    recv_pid(s, "child sendto", k);
    recv_pid(s, "child send connected", k);
    waitpid(k, NULL, 0);
    unlink(a.sun_path);
    return 0;
}
