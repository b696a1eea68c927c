/* A process that is no longer root (CAP_SYS_RESOURCE) may lower a hard limit
 * but not raise it again (EPERM), and may raise its soft limit up to the hard
 * one.  (Root with CAP_SYS_RESOURCE could raise a hard limit; this machine's
 * root lacks that capability, so the case does not try.)
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"

int main(void)
{
    struct rlimit rl = {100, 200}, g;
    SHOW("lower", setrlimit(RLIMIT_NOFILE, &rl));
    setresuid(1000, 1000, 1000);
    rl.rlim_max = 150;
    SHOW("user lowers hard", setrlimit(RLIMIT_NOFILE, &rl));
    rl.rlim_max = 200;
    SHOW("user raises hard", setrlimit(RLIMIT_NOFILE, &rl));
    rl.rlim_cur = 150; rl.rlim_max = 150;
    SHOW("user raises soft to hard", setrlimit(RLIMIT_NOFILE, &rl));
    getrlimit(RLIMIT_NOFILE, &g);
    SAY("now=%ld:%ld", (long)g.rlim_cur, (long)g.rlim_max);
    rl.rlim_cur = 151;
    SHOW("soft above hard", setrlimit(RLIMIT_NOFILE, &rl));
    return 0;
}
