/* family: fds
 * flock(2): locks belong to the open file description: a second open of the
 * file conflicts (EWOULDBLOCK with LOCK_NB), a dup shares the lock, a shared
 * lock admits other shared locks but not an exclusive one, a lock converts
 * in place, LOCK_UN releases it; an unknown operation is EINVAL, a closed fd
 * EBADF. flock and fcntl locks do not see each other.
 */
#include "case.h"
#include <sys/file.h>

int main(void)
{
    int a = open("/tmp/flk", O_CREAT | O_RDWR | O_TRUNC, 0644);
    int b = open("/tmp/flk", O_RDWR);
    int d = dup(a);
    SHOW("a ex", flock(a, LOCK_EX | LOCK_NB));
    SHOW("b ex", flock(b, LOCK_EX | LOCK_NB));
    SHOW("b sh", flock(b, LOCK_SH | LOCK_NB));
    SHOW("dup ex", flock(d, LOCK_EX | LOCK_NB));
    struct flock f = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    SHOW("fcntl lock beside flock", fcntl(b, F_SETLK, &f));
    SHOW("a to sh", flock(a, LOCK_SH | LOCK_NB));
    SHOW("b sh now", flock(b, LOCK_SH | LOCK_NB));
    SHOW("b to ex", flock(b, LOCK_EX | LOCK_NB));
    pid_t c = fork();
    if (c == 0) {
        int e = open("/tmp/flk", O_RDWR);
        SHOW("child sh", flock(e, LOCK_SH | LOCK_NB));
        SHOW("child ex", flock(e, LOCK_EX | LOCK_NB));
        SHOW("child inherited a: ex", flock(a, LOCK_EX | LOCK_NB));
        _exit(0);
    }
    waitpid(c, NULL, 0);
    SHOW("a un", flock(a, LOCK_UN));
    SHOW("b un", flock(b, LOCK_UN));
    SHOW("b ex after unlock", flock(b, LOCK_EX | LOCK_NB));
    SHOW("bad op", flock(b, 0));
    SHOW("bad op 2", flock(b, LOCK_SH | LOCK_EX));
    SHOW("closed", flock(99, LOCK_SH));
    unlink("/tmp/flk");
    return 0;
}
