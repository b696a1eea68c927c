/* family: fds
 * fcntl(2) F_SETLKW waits for a conflicting lock, and is EDEADLK when the
 * wait would close a cycle: the parent holds byte 0 and waits for byte 1,
 * which the child holds while waiting for byte 0. A child's lock goes away
 * when it exits, and the waiter then gets it.
 */
#include "case.h"

static int lock(int fd, int cmd, short type, off_t start)
{
    struct flock f = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = 1};
    return fcntl(fd, cmd, &f);
}

int main(void)
{
    int fd = open("/tmp/dl", O_CREAT | O_RDWR | O_TRUNC, 0644);
    SHOW("parent locks 0", lock(fd, F_SETLK, F_WRLCK, 0));
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        lock(fd, F_SETLK, F_WRLCK, 1);
        write(p[1], "x", 1);
        int r = lock(fd, F_SETLKW, F_WRLCK, 0);     /* waits for the parent */
        _exit(r == 0 ? 0 : 10 + errno);
    }
    char ch;
    read(p[0], &ch, 1);
    struct timespec ts = {0, 400000000};
    nanosleep(&ts, NULL);                           /* let the child start waiting */
    SHOW("parent waits for 1", lock(fd, F_SETLKW, F_WRLCK, 1));
    SHOW("parent unlocks 0", lock(fd, F_SETLK, F_UNLCK, 0));
    int st;
    waitpid(c, &st, 0);
    SAY("child got 0: exited=%d code=%d", WIFEXITED(st), WEXITSTATUS(st));
    SHOW("parent locks 1 after child exit", lock(fd, F_SETLKW, F_WRLCK, 1));
    unlink("/tmp/dl");
    return 0;
}
