/* sched_getscheduler(2) is SCHED_OTHER for an ordinary process, with priority 0
 * (sched_getparam); sched_setscheduler to SCHED_BATCH or SCHED_IDLE with
 * priority 0 works and is read back, and back to SCHED_OTHER; a nonzero
 * priority for these policies is EINVAL, as is an unknown policy, a negative
 * pid, and a NULL param; an unknown pid is ESRCH.
 */
#include "case.h"

int main(void)
{
    struct sched_param sp = {0};
    SHOW("getscheduler", sched_getscheduler(0));
    SHOW("getparam", sched_getparam(0, &sp));
    SAY("priority=%d", sp.sched_priority);
    SHOW("set batch", sched_setscheduler(0, SCHED_BATCH, &sp));
    SHOW("now", sched_getscheduler(0));
    SHOW("set idle", sched_setscheduler(0, SCHED_IDLE, &sp));
    SHOW("now", sched_getscheduler(getpid()));
    pid_t c = fork();
    if (c == 0) { SHOW("child inherits", sched_getscheduler(0)); _exit(0); }
    waitpid(c, 0, 0);
    sp.sched_priority = 5;
    SHOW("batch with priority 5", sched_setscheduler(0, SCHED_BATCH, &sp));
    sp.sched_priority = 0;
    SHOW("unknown policy", sched_setscheduler(0, 42, &sp));
    SHOW("negative pid", sched_getscheduler(-1));
    SHOW("unknown pid", sched_getscheduler(99999));
    SHOW("null param", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, 0));
    SHOW("getparam negative pid", sched_getparam(-1, &sp));
    return 0;
}
