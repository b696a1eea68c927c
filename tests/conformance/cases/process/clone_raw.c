/* clone(2) with only SIGCHLD behaves as fork (0 in the child, the pid in the
 * parent); CLONE_PARENT_SETTID writes the child's pid into the parent's memory
 * and CLONE_CHILD_SETTID into the child's; CLONE_THREAD without CLONE_SIGHAND
 * is EINVAL, as is CLONE_SIGHAND without CLONE_VM.
 */
#include "case.h"

static pid_t ptid, ctid;

int main(void)
{
    long c = syscall(SYS_clone, SIGCHLD | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID, 0, &ptid, &ctid, 0);
    if (c == 0)
        _exit(ctid == getpid() ? 10 : 11);
    SAY("parent: result>0=%d ptid==result=%d", c > 0, ptid == c);
    int st;
    waitpid(c, &st, 0);
    SAY("child: ctid==getpid (code 10)=%d", WEXITSTATUS(st));
    SHOW("thread without sighand", syscall(SYS_clone, CLONE_THREAD | CLONE_VM | SIGCHLD, 0, 0, 0, 0));
    SHOW("sighand without vm", syscall(SYS_clone, CLONE_SIGHAND | SIGCHLD, 0, 0, 0, 0));
    return 0;
}
