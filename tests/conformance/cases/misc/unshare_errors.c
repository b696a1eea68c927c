/* family: misc
 * The errors of unshare(2) and clone(2) for namespace flags, which Linux
 * checks before any permission: unknown bits are EINVAL; CLONE_NEWUSER in a
 * process with more than one thread is EINVAL (it implies CLONE_THREAD); a
 * clone with CLONE_NEWNS or CLONE_NEWUSER and CLONE_FS is EINVAL, and so is a
 * thread in a new PID or user namespace.  In a chroot (as this case runs)
 * CLONE_NEWUSER is EPERM even for root.  clone(CLONE_NEWIPC|CLONE_SYSVSEM) is
 * EINVAL after the permission check.
 */
#include "case.h"
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>

static void *idle(void *arg)
{
    (void)arg;
    pause();
    return 0;
}

static long raw_clone(unsigned long flags)
{
    long r = syscall(SYS_clone, flags, 0, 0, 0, 0);
    if (r == 0)
        _exit(0);
    if (r > 0)
        waitpid(r, 0, __WALL);
    return r;
}

int main(void)
{
    SHOW("unshare -1", unshare(-1));
    SHOW("unshare unknown bit", unshare(0x1));
    SHOW("unshare newuser in a chroot", unshare(CLONE_NEWUSER));
    SHOW("clone newns|fs", raw_clone(CLONE_NEWNS | CLONE_FS | SIGCHLD));
    SHOW("clone newuser|fs", raw_clone(CLONE_NEWUSER | CLONE_FS | SIGCHLD));
    SHOW("clone thread|newpid", raw_clone(CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWPID));
    SHOW("clone thread|newuser", raw_clone(CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWUSER));
    SHOW("clone newipc|sysvsem", raw_clone(CLONE_NEWIPC | CLONE_SYSVSEM | SIGCHLD));
    pthread_t t;
    pthread_create(&t, 0, idle, 0);
    SHOW("unshare newuser with two threads", unshare(CLONE_NEWUSER));
    SHOW("unshare newns with two threads", unshare(CLONE_NEWNS));
    return 0;
}
