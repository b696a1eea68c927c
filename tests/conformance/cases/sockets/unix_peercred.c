/* family: sockets
 * SO_PEERCRED: for a socketpair, each end's peer is the creating process; for a
 * pathname connection, the listener's accepted socket names the connecting
 * process (the pid its getpid() returns, its uid and gid) and the connecting
 * socket names the process that called listen(). optlen is 12.
 */
#include "case.h"

int main(void)
{
    struct ucred cr;
    socklen_t len = sizeof cr;
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    SHOW("pair peercred", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &len));
    SAY("pid is self=%d uid=%u gid=%u len=%d", cr.pid == getpid(), cr.uid, cr.gid, (int)len);
    struct sockaddr_un a = {.sun_family = AF_UNIX, .sun_path = "/tmp/cred.sock"};
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(s, (void *)&a, sizeof a);
    listen(s, 1);
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        int cs = socket(AF_UNIX, SOCK_STREAM, 0);
        SHOW("child connect", connect(cs, (void *)&a, sizeof a));
        struct ucred pc;
        socklen_t l = sizeof pc;
        SHOW("child peercred", getsockopt(cs, SOL_SOCKET, SO_PEERCRED, &pc, &l));
        SAY("child: peer is parent=%d uid=%u gid=%u", pc.pid == getppid(), pc.uid, pc.gid);
        pid_t me = getpid();
        write(p[1], &me, sizeof me);
        char ch;
        read(cs, &ch, 1);
        _exit(0);
    }
    pid_t childsays;
    read(p[0], &childsays, sizeof childsays);
    int acc = accept(s, NULL, NULL);
    len = sizeof cr;
    SHOW("accepted peercred", getsockopt(acc, SOL_SOCKET, SO_PEERCRED, &cr, &len));
    SAY("peer is child's getpid=%d is fork's=%d uid=%u gid=%u", cr.pid == childsays, cr.pid == c, cr.uid, cr.gid);
    len = 4;
    SHOW("short optlen", getsockopt(acc, SOL_SOCKET, SO_PEERCRED, &cr, &len));
    SAY("len=%d pid is child=%d", (int)len, cr.pid == c);
    write(acc, "x", 1);
    waitpid(c, NULL, 0);
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    len = sizeof cr;
    SHOW("unconnected peercred", getsockopt(u, SOL_SOCKET, SO_PEERCRED, &cr, &len));
    SAY("pid=%d uid=%d", cr.pid, (int)cr.uid);
    unlink(a.sun_path);
    return 0;
}
