/* clock_getres(2): the high-resolution clocks (REALTIME, MONOTONIC, BOOTTIME,
 * TAI, MONOTONIC_RAW and the CPU clocks) report 1 ns; the coarse clocks the
 * tick (more than 1 ns); a NULL result pointer is allowed; an unknown clock is
 * EINVAL.
 */
#include "case.h"

int main(void)
{
    for (int id = 0; id <= 11; id++) {
        struct timespec r = {-1, -1};
        errno = 0;
        int ret = syscall(SYS_clock_getres, id, &r);
        SAY("clock %2d: %d %s res=%s", id, ret, ret ? errname(errno) : "OK",
            ret ? "-" : (r.tv_sec == 0 && r.tv_nsec == 1 ? "1ns" : "coarse"));
    }
    SHOW("null res", syscall(SYS_clock_getres, CLOCK_MONOTONIC, 0));
    SHOW("unknown", syscall(SYS_clock_getres, 42, 0));
    return 0;
}
