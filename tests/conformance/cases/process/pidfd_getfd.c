/* pidfd_getfd(2) duplicates another process's descriptor into the caller, with
 * FD_CLOEXEC set, sharing the open file description (offset, status flags).
 * flags must be 0 (EINVAL); a descriptor that is no pidfd is EBADF, a target fd
 * the process does not hold EBADF; the caller must be allowed to ptrace the
 * target (PTRACE_MODE_ATTACH_REALCREDS: same uids and gids, or CAP_SYS_PTRACE),
 * else EPERM; a process that has exited is ESRCH, a zombie too (Linux 6.18).
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"
#include <sys/prctl.h>
#include <linux/capability.h>

static int getfd(int pidfd, int fd, unsigned flags)
{
    return syscall(SYS_pidfd_getfd, pidfd, fd, flags);
}

static pid_t holder(uid_t uid, int *target)
{
    int p[2], data[2];
    pipe(p);
    pipe(data);
    write(data[1], "hello", 5);
    pid_t c = fork();
    if (c == 0) {
        if (uid) {
            setresgid(uid, uid, uid);
            setresuid(uid, uid, uid);
            prctl(PR_SET_DUMPABLE, 1);
        }
        write(p[1], "x", 1);
        for (;;)
            pause();
    }
    char x;
    read(p[0], &x, 1);
    close(data[1]);
    *target = data[0];
    return c;
}

int main(void)
{
    int target;
    pid_t c = holder(0, &target);
    close(target);                 /* only the child holds the read end now */
    int pidfd = syscall(SYS_pidfd_open, c, 0);
    SHOW("flags 1", getfd(pidfd, target, 1));
    SHOW("not a pidfd", getfd(1, target, 0));
    SHOW("fd the target lacks", getfd(pidfd, 99, 0));
    int fd = SHOW("take the child's pipe", getfd(pidfd, target, 0) >= 0) ? getfd(pidfd, target, 0) : -1;
    SHOWX("its fd flags", fcntl(fd, F_GETFD));
    char buf[8] = "";
    SHOW("read from it", read(fd, buf, 3));
    SAY("got '%s'", buf);
    int fd2 = getfd(pidfd, target, 0);
    SHOW("the offset is shared: read again", read(fd2, buf, 8));
    SAY("got '%.2s'", buf);
    kill(c, SIGKILL);
    siginfo_t si;
    waitid(P_PID, c, &si, WEXITED | WNOWAIT);
    SHOW("zombie", getfd(pidfd, target, 0));
    waitpid(c, 0, 0);
    SHOW("reaped", getfd(pidfd, target, 0));

    pid_t other = holder(2000, &target);
    close(target);
    int opidfd = syscall(SYS_pidfd_open, other, 0);
    pid_t u = fork();
    if (u == 0) {
        setresgid(1000, 1000, 1000);
        setresuid(1000, 1000, 1000);
        SHOW("another user's", getfd(opidfd, target, 0));
        _exit(0);
    }
    waitpid(u, 0, 0);
    u = fork();
    if (u == 0) {
        setresgid(2000, 2000, 2000);
        setresuid(2000, 2000, 2000);
        SHOW("the same user's", getfd(opidfd, target, 0) >= 0);
        _exit(0);
    }
    waitpid(u, 0, 0);
    u = fork();
    if (u == 0) {
        struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct d[2];
        syscall(SYS_capget, &h, d);
        d[0].effective &= ~(1u << CAP_SYS_PTRACE);
        syscall(SYS_capset, &h, d);
        SHOW("root without CAP_SYS_PTRACE", getfd(opidfd, target, 0));
        _exit(0);
    }
    waitpid(u, 0, 0);
    SHOW("root", getfd(opidfd, target, 0) >= 0);
    kill(other, SIGKILL);
    waitpid(other, 0, 0);
    return 0;
}
