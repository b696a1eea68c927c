/* nanosleep(2) checks its argument: tv_nsec outside 0..999999999 or a negative
 * tv_sec is EINVAL; a zero sleep succeeds; clock_nanosleep(2) returns the error
 * number instead of setting errno: EINVAL for an unknown clock or bad flags,
 * ENOTSUP for the thread CPU clock; TIMER_ABSTIME with a time in the past
 * returns at once.
 */
#include "case.h"

int main(void)
{
    struct timespec t;
    t = (struct timespec){0, -1};
    SHOW("nsec -1", nanosleep(&t, 0));
    t = (struct timespec){0, 1000000000};
    SHOW("nsec 1e9", nanosleep(&t, 0));
    t = (struct timespec){-1, 0};
    SHOW("sec -1", nanosleep(&t, 0));
    t = (struct timespec){0, 0};
    SHOW("zero", nanosleep(&t, 0));
    SHOW("bad pointer", nanosleep((void *)8, 0));
    t = (struct timespec){0, 1000};
    SAY("clock_nanosleep unknown clock=%s", errname(clock_nanosleep(42, 0, &t, 0)));
    SAY("clock_nanosleep thread cpu=%s", errname(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &t, 0)));
    SAY("clock_nanosleep bad nsec=%s", errname(clock_nanosleep(CLOCK_MONOTONIC, 0,
                                                  &(struct timespec){0, -5}, 0)));
    SAY("clock_nanosleep abs past=%d", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &(struct timespec){1, 0}, 0));
    SAY("clock_nanosleep rel ok=%d", clock_nanosleep(CLOCK_MONOTONIC, 0, &t, 0));
    return 0;
}
