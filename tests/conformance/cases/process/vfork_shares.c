/* vfork(2): the child borrows the parent's memory until it exits or execs, and
 * the parent is suspended until then, so the parent sees the child's writes
 * and the child has run to its _exit by the time vfork returns in the parent.
 */
#include "case.h"

static volatile int v = 1;

int main(void)
{
    pid_t c = vfork();
    if (c == 0) {
        v = 7;
        _exit(5);
    }
    SAY("parent sees child's write=%d", v);
    int st;
    SAY("waited same=%d exited=%d code=%d", waitpid(c, &st, 0) == c, WIFEXITED(st), WEXITSTATUS(st));
    c = vfork();
    if (c == 0) {
        execl("/nonexistent", "x", (char *)0);
        v = errno;
        _exit(6);
    }
    SAY("exec errno through vfork=%s", errname(v));
    waitpid(c, &st, 0);
    SAY("code=%d", WEXITSTATUS(st));
    return 0;
}
