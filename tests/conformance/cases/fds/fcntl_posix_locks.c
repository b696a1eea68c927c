/* family: fds
 * fcntl(2) record locks (F_SETLK/F_GETLK): a write lock held by one process
 * makes another's F_SETLK fail with EAGAIN, and its F_GETLK describes the
 * holder, with l_pid the holder's pid as the asker's namespace sees it; the
 * holder's own F_GETLK sees F_UNLCK (a process never conflicts with itself);
 * unlocking lets the other in; a read lock on a write-only fd is EBADF; a bad
 * l_type is EINVAL.
 */
#include "case.h"

static struct flock lk(short type, off_t start, off_t len)
{
    struct flock f = {0};
    f.l_type = type;
    f.l_whence = SEEK_SET;
    f.l_start = start;
    f.l_len = len;
    return f;
}

int main(void)
{
    int fd = open("/tmp/locked", O_CREAT | O_RDWR | O_TRUNC, 0644);
    write(fd, "0123456789", 10);
    struct flock f = lk(F_WRLCK, 2, 3);
    SHOW("setlk wr", fcntl(fd, F_SETLK, &f));
    f = lk(F_WRLCK, 0, 0);
    SHOW("own getlk", fcntl(fd, F_GETLK, &f));
    SAY("own getlk type unlck=%d", f.l_type == F_UNLCK);
    pid_t parent = getpid();
    int go[2], back[2];
    pipe(go);
    pipe(back);
    pid_t c = fork();
    if (c == 0) {
        int cfd = open("/tmp/locked", O_RDWR);
        struct flock g = lk(F_RDLCK, 0, 0);
        SHOW("child setlk rd", fcntl(cfd, F_SETLK, &g));
        g = lk(F_RDLCK, 0, 0);
        SHOW("child getlk", fcntl(cfd, F_GETLK, &g));
        SAY("child getlk type wr=%d start=%ld len=%ld pid is parent=%d", g.l_type == F_WRLCK, (long)g.l_start,
            (long)g.l_len, g.l_pid == parent);
        g = lk(F_RDLCK, 6, 4);
        SHOW("child setlk rd elsewhere", fcntl(cfd, F_SETLK, &g));
        write(back[1], "x", 1);
        char ch;
        read(go[0], &ch, 1);
        g = lk(F_WRLCK, 2, 3);
        SHOW("child setlk after unlock", fcntl(cfd, F_SETLK, &g));
        write(back[1], "x", 1);
        read(go[0], &ch, 1);
        _exit(0);
    }
    char ch;
    read(back[0], &ch, 1);
    f = lk(F_WRLCK, 0, 0);
    SHOW("parent getlk", fcntl(fd, F_GETLK, &f));
    SAY("parent getlk type rd=%d start=%ld pid is child=%d", f.l_type == F_RDLCK, (long)f.l_start, f.l_pid == c);
    f = lk(F_UNLCK, 2, 3);
    SHOW("unlock", fcntl(fd, F_SETLK, &f));
    write(go[1], "x", 1);
    read(back[0], &ch, 1);
    f = lk(F_RDLCK, 2, 1);
    SHOW("parent setlk rd held by child", fcntl(fd, F_SETLK, &f));
    write(go[1], "x", 1);
    waitpid(c, NULL, 0);
    int wo = open("/tmp/locked", O_WRONLY);
    f = lk(F_RDLCK, 0, 1);
    SHOW("rdlck on wronly", fcntl(wo, F_SETLK, &f));
    f = lk(42, 0, 1);
    SHOW("bad type", fcntl(fd, F_SETLK, &f));
    f = lk(F_WRLCK, 0, 1);
    f.l_whence = 7;
    SHOW("bad whence", fcntl(fd, F_SETLK, &f));
    unlink("/tmp/locked");
    return 0;
}
