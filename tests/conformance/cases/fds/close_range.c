/* family: fds
 * close_range(2): closes every open fd in [first, last] (a range past the
 * table is fine); CLOSE_RANGE_CLOEXEC marks them close-on-exec instead;
 * first > last is EINVAL, and so is an unknown flag.
 */
#include "case.h"

int main(void)
{
    for (int i = 10; i < 16; i++)
        dup2(0, i);
    SHOW("cloexec 10-11", syscall(SYS_close_range, 10, 11, CLOSE_RANGE_CLOEXEC));
    SHOW("fd 10 flags", fcntl(10, F_GETFD));
    SHOW("fd 12 flags", fcntl(12, F_GETFD));
    SHOW("close 12-13", syscall(SYS_close_range, 12, 13, 0));
    SHOW("fd 12", fcntl(12, F_GETFD));
    SHOW("fd 14", fcntl(14, F_GETFD));
    SHOW("first > last", syscall(SYS_close_range, 14, 13, 0));
    SHOW("bad flag", syscall(SYS_close_range, 14, 15, 0x80));
    SHOW("close 14-max", syscall(SYS_close_range, 14, ~0U, 0));
    SHOW("fd 15", fcntl(15, F_GETFD));
    SHOW("fd 10 still", fcntl(10, F_GETFD));
    SHOW("nothing open", syscall(SYS_close_range, 500, 600, 0));
    return 0;
}
