/* timerfd_create(2): unknown clocks and flags are EINVAL; a read blocks until
 * the timer expires and returns the number of expirations as 8 bytes; a read
 * with a smaller buffer is EINVAL; a non-blocking read before expiry is EAGAIN;
 * timerfd_gettime of a disarmed timer is zero.
 */
#include "case.h"
#include <sys/timerfd.h>

int main(void)
{
    SHOW("bad clock", timerfd_create(42, 0));
    SHOW("bad flags", timerfd_create(CLOCK_MONOTONIC, 0x1234));
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    uint64_t n;
    SHOW("read disarmed", read(fd, &n, 8));
    struct itimerspec its = {{0, 0}, {0, 20000000}}, g;
    SHOW("settime", timerfd_settime(fd, 0, &its, 0));
    SHOW("small buffer", read(fd, &n, 4));
    SHOW("before expiry", read(fd, &n, 8));
    usleep(60000);
    SHOW("after", read(fd, &n, 8));
    SAY("expirations=%llu", (unsigned long long)n);
    timerfd_gettime(fd, &g);
    SAY("disarmed=%d", g.it_value.tv_sec == 0 && g.it_value.tv_nsec == 0);
    SHOW("bad settime flags", timerfd_settime(fd, 0x40, &its, 0));
    return 0;
}
