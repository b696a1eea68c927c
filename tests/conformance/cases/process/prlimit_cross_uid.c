/* prlimit(2) on another process (kernel/sys.c check_prlimit_permission): the
 * caller's real uid and gid must equal all of the target's uids and gids, or
 * CAP_SYS_RESOURCE (EPERM); reading needs that too.  An unknown resource is
 * EINVAL and a bad new-limit pointer EFAULT, both before the target is looked up
 * (ESRCH); the caller itself needs nothing.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"

int main(void)
{
    pid_t other = idle_child(2000);
    pid_t c = fork();
    if (c == 0) {
        setresgid(1000, 1000, 1000);
        setresuid(1000, 1000, 1000);
        /* a process of the same user, made after the uid change */
        pid_t same = idle_child(1000);
        struct rlimit old, lim = {64, 64};
        SHOW("own limits", prlimit(0, RLIMIT_NOFILE, NULL, &old));
        SHOW("another user's, read", prlimit(other, RLIMIT_NOFILE, NULL, &old));
        SHOW("another user's, set", prlimit(other, RLIMIT_NOFILE, &lim, NULL));
        SHOW("same user's, read", prlimit(same, RLIMIT_NOFILE, NULL, &old));
        SHOW("same user's, set", prlimit(same, RLIMIT_NOFILE, &lim, &old));
        SHOW("same user's, read back", prlimit(same, RLIMIT_NOFILE, NULL, &old));
        SAY("now %ld %ld", (long)old.rlim_cur, (long)old.rlim_max);
        SHOW("unknown resource", syscall(SYS_prlimit64, other, 99, NULL, &old));
        SHOW("bad new pointer", syscall(SYS_prlimit64, other, RLIMIT_NOFILE, (void *)8, NULL));
        SHOW("no such process", prlimit(999999, RLIMIT_NOFILE, NULL, &old));
        kill(same, SIGKILL);
        waitpid(same, 0, 0);
        _exit(0);
    }
    waitpid(c, 0, 0);
    kill(other, SIGKILL);
    waitpid(other, 0, 0);
    return 0;
}
