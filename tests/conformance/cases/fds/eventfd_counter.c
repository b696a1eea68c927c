/* family: fds
 * eventfd(2): a read returns the counter and resets it; in EFD_SEMAPHORE mode
 * a read returns 1 and decrements; reading 0 with EFD_NONBLOCK is EAGAIN;
 * buffers under 8 bytes are EINVAL; writing 2^64-1 is EINVAL; an unknown
 * flag is EINVAL.
 */
#include "case.h"
#include <sys/eventfd.h>

int main(void)
{
    int e = eventfd(3, EFD_NONBLOCK);
    uint64_t v = 0;
    SHOW("read", read(e, &v, 8));
    SAY("value=%lu", (unsigned long)v);
    SHOW("read empty", read(e, &v, 8));
    v = 5;
    SHOW("write 5", write(e, &v, 8));
    SHOW("write 4-byte", write(e, &v, 4));
    SHOW("read 4-byte", read(e, &v, 4));
    v = UINT64_MAX;
    SHOW("write max", write(e, &v, 8));
    v = UINT64_MAX - 1 - 5;
    SHOW("write to the top", write(e, &v, 8));
    v = 1;
    SHOW("write overflow nonblock", write(e, &v, 8));
    SHOW("read", read(e, &v, 8));
    SAY("value=%#lx", (unsigned long)v);
    int s = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    SHOW("sem read", read(s, &v, 8));
    SAY("value=%lu", (unsigned long)v);
    SHOW("sem read", read(s, &v, 8));
    SAY("value=%lu", (unsigned long)v);
    SHOW("sem read empty", read(s, &v, 8));
    SHOW("bad flag", eventfd(0, 0x1));
    SHOWX("flags", fcntl(s, F_GETFL) & O_NONBLOCK);
    return 0;
}
