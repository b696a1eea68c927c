/* family: fds
 * dup(2), dup2(2), dup3(2): dup takes the lowest free number and never copies
 * FD_CLOEXEC; dup2 of an fd onto itself returns it (after checking it is open);
 * dup3 onto itself is EINVAL, and its only flag is O_CLOEXEC; a bad old fd is
 * EBADF, a new fd at or above RLIMIT_NOFILE is EBADF.
 */
#include "case.h"

int main(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int d = dup(fd);
    SAY("dup is next=%d", d == fd + 1);
    SHOW("dup cloexec", fcntl(d, F_GETFD));
    SHOW("dup bad", dup(-1));
    SHOW("dup closed", dup(999));
    SAY("dup2 self=%d", dup2(fd, fd) == fd);
    SHOW("dup2 self closed", dup2(999, 999));
    SHOW("dup2 bad old", dup2(-1, 10));
    SHOW("dup2 new negative", dup2(fd, -1));
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    SHOW("dup2 new at limit", dup2(fd, (int)rl.rlim_cur));
    SHOW("dup2 to 20", dup2(fd, 20));
    SHOW("dup2 to 20 cloexec", fcntl(20, F_GETFD));
    SHOW("dup3 self", dup3(fd, fd, 0));
    SHOW("dup3 self cloexec", dup3(fd, fd, O_CLOEXEC));
    SHOW("dup3 bad flags", dup3(fd, 21, O_NONBLOCK));
    SHOW("dup3 cloexec", dup3(fd, 21, O_CLOEXEC));
    SHOW("dup3 21 cloexec", fcntl(21, F_GETFD));
    SHOW("dup3 replaces", dup3(d, 21, 0));
    SHOW("dup3 21 cloexec now", fcntl(21, F_GETFD));
    off_t o = lseek(open("/etc/passwd", O_RDONLY), 0, SEEK_CUR);
    int a = open("/etc/passwd", O_RDONLY), b = dup(a);
    lseek(a, 5, SEEK_SET);
    SAY("shared offset=%ld was=%ld", (long)lseek(b, 0, SEEK_CUR), (long)o);
    return 0;
}
