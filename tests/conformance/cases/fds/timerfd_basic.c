/* family: fds
 * timerfd_create(2): CLOCK_MONOTONIC and CLOCK_REALTIME are accepted, a bad
 * clock or flag is EINVAL; a new timer is disarmed (gettime shows zeros) and
 * a non-blocking read is EAGAIN; once armed and expired, a read returns the
 * number of expirations as 8 bytes, and a short buffer is EINVAL; a bad
 * settime flag or nanosecond value is EINVAL.
 */
#include "case.h"
#include <sys/timerfd.h>

int main(void)
{
    SHOW("bad clock", timerfd_create(99, 0));
    SHOW("bad flag", timerfd_create(CLOCK_MONOTONIC, 0x1));
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    SHOW("realtime", timerfd_create(CLOCK_REALTIME, 0) > 0);
    struct itimerspec cur;
    SHOW("gettime", timerfd_gettime(t, &cur));
    SAY("disarmed=%d", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
    uint64_t n;
    SHOW("read disarmed", read(t, &n, 8));
    struct itimerspec its = {{0, 0}, {0, 1000000}};
    SHOW("settime 1ms", timerfd_settime(t, 0, &its, NULL));
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
    SHOW("read short", read(t, &n, 4));
    SHOW("read", read(t, &n, 8));
    SAY("expirations=%lu", (unsigned long)n);
    SHOW("read again", read(t, &n, 8));
    SHOW("settime bad flag", timerfd_settime(t, 0x8, &its, NULL));
    its.it_value.tv_nsec = 1000000000;
    SHOW("settime bad nsec", timerfd_settime(t, 0, &its, NULL));
    int f = open("/dev/null", O_RDONLY);
    SHOW("gettime not a timerfd", timerfd_gettime(f, &cur));
    return 0;
}
