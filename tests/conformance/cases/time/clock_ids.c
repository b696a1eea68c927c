/* clock_gettime(2) succeeds for every clock id Linux defines (REALTIME,
 * MONOTONIC, PROCESS_CPUTIME_ID, THREAD_CPUTIME_ID, MONOTONIC_RAW, *_COARSE,
 * BOOTTIME, and TAI; the *_ALARM clocks can be read too) and fails with EINVAL
 * for an unknown id (12, 16, 1000, and a CPU-clock id of no process); the
 * values are not printed, only that they succeed and are in range.
 */
#include "case.h"

int main(void)
{
    for (int id = 0; id <= 12; id++) {
        struct timespec t = {-1, -1};
        errno = 0;
        int r = syscall(SYS_clock_gettime, id, &t);
        SAY("clock %2d: %d %s in range=%d", id, r, r ? errname(errno) : "OK",
            r == 0 && t.tv_sec >= 0 && t.tv_nsec >= 0 && t.tv_nsec < 1000000000);
    }
    struct timespec t;
    SHOW("clock 16", syscall(SYS_clock_gettime, 16, &t));
    SHOW("clock 1000", syscall(SYS_clock_gettime, 1000, &t));
    SHOW("bad pointer", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)8));
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    clock_gettime(CLOCK_MONOTONIC, &b);
    SAY("monotonic does not go back=%d", b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec));
    time_t now = time(0);
    clock_gettime(CLOCK_REALTIME, &a);
    SAY("time() agrees with REALTIME=%d", a.tv_sec - now <= 1 && a.tv_sec >= now);
    return 0;
}
