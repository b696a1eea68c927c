/* sched_get_priority_min/max(2): SCHED_OTHER, SCHED_BATCH and SCHED_IDLE have
 * the range 0..0, SCHED_FIFO and SCHED_RR 1..99; an unknown policy is EINVAL.
 * sched_rr_get_interval of the caller succeeds.
 */
#include "case.h"

int main(void)
{
    int pols[] = {SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE, 42, -1};
    for (int i = 0; i < 8; i++) {
        char l[64];
        snprintf(l, sizeof l, "policy %d min", pols[i]);
        SHOW(l, sched_get_priority_min(pols[i]));
        snprintf(l, sizeof l, "policy %d max", pols[i]);
        SHOW(l, sched_get_priority_max(pols[i]));
    }
    struct timespec t;
    SHOW("rr interval", sched_rr_get_interval(0, &t));
    return 0;
}
