/* getpriority/setpriority(2): the nice value starts at 0; a process may raise
 * its own nice value (to at most 19: larger values are clamped); an unknown
 * `which` is EINVAL, an unknown pid ESRCH; nice(2) adds to the value; children
 * inherit it.
 */
#include "case.h"
#include <sys/resource.h>

int main(void)
{
    pid_t c = fork();
    if (c == 0) {
        SHOW("initial", getpriority(PRIO_PROCESS, 0));
        SHOW("set 5", setpriority(PRIO_PROCESS, 0, 5));
        SHOW("read", getpriority(PRIO_PROCESS, 0));
        SHOW("by pid", getpriority(PRIO_PROCESS, getpid()));
        SHOW("set 50 (clamped)", setpriority(PRIO_PROCESS, 0, 50));
        SHOW("read", getpriority(PRIO_PROCESS, 0));
        SHOW("unknown which", getpriority(42, 0));
        SHOW("unknown pid", getpriority(PRIO_PROCESS, 99999));
        SHOW("set unknown pid", setpriority(PRIO_PROCESS, 99999, 1));
        pid_t g = fork();
        if (g == 0) { SHOW("grandchild inherits", getpriority(PRIO_PROCESS, 0)); _exit(0); }
        waitpid(g, 0, 0);
        _exit(0);
    }
    waitpid(c, 0, 0);
    return 0;
}
