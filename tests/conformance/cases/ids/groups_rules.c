/* setgroups(2) as root sets the supplementary groups, getgroups(2) reads them:
 * size 0 returns the count, a size smaller than the count is EINVAL; more than
 * NGROUPS_MAX (65536) is EINVAL; an unprivileged process may not setgroups
 * (EPERM), even to the same list; the groups are inherited by fork.
 * root: setgroups other than to the caller's own (unprivileged user namespaces deny setgroups)
 */
#include "case.h"

int main(void)
{
    gid_t g[4] = {10, 20, 30, 10}, out[8];
    SHOW("setgroups 4", setgroups(4, g));
    SHOW("count", getgroups(0, out));
    SHOW("get 8", getgroups(8, out));
    SAY("groups=%u,%u,%u,%u", out[0], out[1], out[2], out[3]);
    SHOW("get 2 (too small)", getgroups(2, out));
    SHOW("too many", setgroups(65537, g));
    pid_t c = fork();
    if (c == 0) {
        SHOW("child count", getgroups(0, out));
        setresuid(1000, 1000, 1000);
        SHOW("user setgroups", setgroups(1, g));
        SHOW("user setgroups 0", setgroups(0, g));
        SHOW("user still has", getgroups(0, out));
        _exit(0);
    }
    waitpid(c, 0, 0);
    SHOW("clear", setgroups(0, 0));
    SHOW("count", getgroups(0, out));
    return 0;
}
