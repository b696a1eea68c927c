/* family: fds
 * fcntl(2) F_GETFD/F_SETFD hold only FD_CLOEXEC (other bits are dropped);
 * F_DUPFD returns the lowest free fd at or above its argument, F_DUPFD_CLOEXEC
 * the same with FD_CLOEXEC set; an argument at or above RLIMIT_NOFILE (or
 * negative) is EINVAL; an unknown command is EINVAL; a closed fd is EBADF.
 */
#include "case.h"

int main(void)
{
    int fd = open("/dev/null", O_RDONLY);
    SHOW("getfd", fcntl(fd, F_GETFD));
    SHOW("setfd cloexec", fcntl(fd, F_SETFD, FD_CLOEXEC));
    SHOW("getfd", fcntl(fd, F_GETFD));
    SHOW("setfd other bits", fcntl(fd, F_SETFD, 0xfe));
    SHOW("getfd", fcntl(fd, F_GETFD));
    SHOW("dupfd 10", fcntl(fd, F_DUPFD, 10));
    SHOW("dupfd 10 again", fcntl(fd, F_DUPFD, 10));
    SHOW("dupfd 11 flags", fcntl(11, F_GETFD));
    SHOW("dupfd_cloexec 30", fcntl(fd, F_DUPFD_CLOEXEC, 30));
    SHOW("dupfd_cloexec flags", fcntl(30, F_GETFD));
    SHOW("dupfd negative", fcntl(fd, F_DUPFD, -1));
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    SHOW("dupfd at limit", fcntl(fd, F_DUPFD, (int)rl.rlim_cur));
    SHOW("unknown cmd", fcntl(fd, 12345));
    SHOW("closed getfd", fcntl(999, F_GETFD));
    SHOW("negative getfd", fcntl(-1, F_GETFD));
    return 0;
}
