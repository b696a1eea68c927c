/* Root may lower its nice value below 0 (to -20 at most) and read it back; an
 * unprivileged process may not lower it (EACCES).
 * root: negative nice needs CAP_SYS_NICE over the host
 */
#include "case.h"
#include <sys/resource.h>

int main(void)
{
    SHOW("set -5", setpriority(PRIO_PROCESS, 0, -5));
    SHOW("read", getpriority(PRIO_PROCESS, 0));
    SHOW("set -30 (clamped)", setpriority(PRIO_PROCESS, 0, -30));
    SHOW("read", getpriority(PRIO_PROCESS, 0));
    setpriority(PRIO_PROCESS, 0, 10);
    setresuid(1000, 1000, 1000);
    SHOW("user lowers", setpriority(PRIO_PROCESS, 0, 5));
    return 0;
}
