/* setpriority/getpriority on a process group or a user (kernel/sys.c): each
 * member is set in turn with set_one_prio's checks (another user's process needs
 * the caller's effective uid to be its real or effective uid, or CAP_SYS_NICE:
 * EPERM; lowering a nice value needs CAP_SYS_NICE or RLIMIT_NICE: EACCES); the
 * result is the last refusal, else 0, and ESRCH if the group or user has no
 * process.  getpriority of a group or user is its highest priority (lowest nice
 * value).  PRIO_USER 0 is the caller's real uid, PRIO_PGRP 0 its group; an
 * unknown `which` is EINVAL.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"

static pid_t member(uid_t uid, pid_t group)
{
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        setpgid(0, group);
        setresuid(uid, uid, uid);
        write(p[1], "x", 1);
        for (;;)
            pause();
    }
    char x;
    read(p[0], &x, 1);
    setpgid(c, group);
    return c;
}

int main(void)
{
    pid_t a = member(2000, 0);            /* leads group a */
    pid_t a2 = member(2000, a);
    pid_t c = fork();
    if (c == 0) {
        setresuid(1000, 1000, 1000);
        SHOW("uid 1000: PRIO_USER 2000", setpriority(PRIO_USER, 2000, 5));
        SHOW("uid 1000: PRIO_PGRP of uid 2000", setpriority(PRIO_PGRP, a, 5));
        errno = 0;
        SHOW("uid 1000: get PRIO_USER 2000", getpriority(PRIO_USER, 2000));
        SHOW("uid 1000: own user", setpriority(PRIO_USER, 0, 4));
        SHOW("uid 1000: own user, get", getpriority(PRIO_USER, 0));
        SHOW("uid 1000: own group, which root's main is in", setpriority(PRIO_PGRP, 0, 6));
        SHOW("uid 1000: lower its own nice value", setpriority(PRIO_USER, 0, 1));
        SHOW("no process of user 4242", setpriority(PRIO_USER, 4242, 1));
        SHOW("no such group", setpriority(PRIO_PGRP, 999999, 1));
        SHOW("which 7", setpriority(7, 0, 1));
        _exit(0);
    }
    waitpid(c, 0, 0);
    SHOW("root: PRIO_PGRP", setpriority(PRIO_PGRP, a, 3));
    errno = 0;
    SHOW("root: get PRIO_PGRP", getpriority(PRIO_PGRP, a));
    SHOW("root: PRIO_USER 2000 to -5", setpriority(PRIO_USER, 2000, -5));
    errno = 0;
    SHOW("root: get PRIO_USER 2000", getpriority(PRIO_USER, 2000));
    SHOW("root: one member back to 0", setpriority(PRIO_PROCESS, a2, 0));
    errno = 0;
    SHOW("root: get PRIO_PGRP, the best of the two", getpriority(PRIO_PGRP, a));
    kill(a, SIGKILL);
    kill(a2, SIGKILL);
    while (wait(0) > 0)
        ;
    return 0;
}
