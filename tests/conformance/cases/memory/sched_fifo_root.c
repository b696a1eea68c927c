/* Root may switch to SCHED_FIFO with a priority in 1..99 and reads it back;
 * priority 0 or 100 for SCHED_FIFO is EINVAL.
 * root: SCHED_FIFO needs CAP_SYS_NICE over the host
 */
#include "case.h"

int main(void)
{
    struct sched_param sp = {0};
    SHOW("fifo 0", sched_setscheduler(0, SCHED_FIFO, &sp));
    sp.sched_priority = 100;
    SHOW("fifo 100", sched_setscheduler(0, SCHED_FIFO, &sp));
    sp.sched_priority = 10;
    SHOW("fifo 10", sched_setscheduler(0, SCHED_FIFO, &sp));
    SHOW("now", sched_getscheduler(0));
    sched_getparam(0, &sp);
    SAY("priority=%d", sp.sched_priority);
    sp.sched_priority = 0;
    SHOW("back to other", sched_setscheduler(0, SCHED_OTHER, &sp));
    return 0;
}
