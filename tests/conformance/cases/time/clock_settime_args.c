/* Setting clocks: clock_settime(2) of a clock that cannot be set (MONOTONIC,
 * the CPU clocks) or an unknown one is EINVAL, checked before permission; a
 * tv_nsec out of range is EINVAL; settimeofday(2) with tv_usec of a million is
 * EINVAL.  (The real-time clock itself is never set here.)
 */
#include "case.h"
#include <sys/time.h>

int main(void)
{
    struct timespec t = {1000, 0};
    SHOW("monotonic", clock_settime(CLOCK_MONOTONIC, &t));
    SHOW("unknown", clock_settime(42, &t));
    SHOW("process cpu", clock_settime(CLOCK_PROCESS_CPUTIME_ID, &t));
    SHOW("boottime", clock_settime(CLOCK_BOOTTIME, &t));
    struct timespec bad = {1000, -1};
    SHOW("realtime bad nsec", clock_settime(CLOCK_REALTIME, &bad));
    struct timeval tv = {1000, 1000000};
    SHOW("settimeofday bad usec", settimeofday(&tv, 0));
    return 0;
}
