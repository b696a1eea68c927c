/* family: pipes
 * pipe(2)/pipe2(2): fds[0] is the read end and fds[1] the write end, each the
 * lowest free numbers; writing the read end or reading the write end is
 * EBADF; pipe2 takes O_CLOEXEC, O_NONBLOCK and O_DIRECT only (EINVAL
 * otherwise); a bad address is EFAULT; fstat says S_IFIFO.
 */
#include "case.h"

int main(void)
{
    int p[2];
    SHOW("pipe", pipe(p));
    SAY("read end first=%d", p[1] == p[0] + 1);
    SHOW("write", write(p[1], "hello", 5));
    char b[8] = {0};
    SHOW("read", read(p[0], b, sizeof b));
    SAY("got=%s", b);
    SHOW("write read end", write(p[0], "x", 1));
    SHOW("read write end", read(p[1], b, 1));
    struct stat st;
    fstat(p[0], &st);
    SAY("fifo=%d", S_ISFIFO(st.st_mode));
    SHOWX("read end getfl", fcntl(p[0], F_GETFL) & ~0x8000);
    SHOWX("write end getfl", fcntl(p[1], F_GETFL) & ~0x8000);
    int q[2];
    SHOW("pipe2 cloexec|nonblock", pipe2(q, O_CLOEXEC | O_NONBLOCK));
    SHOW("getfd", fcntl(q[0], F_GETFD));
    SHOWX("getfl", fcntl(q[1], F_GETFL) & ~0x8000);
    SHOW("pipe2 bad flag", pipe2(q, O_APPEND));
    SHOW("pipe2 O_DIRECT", pipe2(q, O_DIRECT));
    SHOW("pipe bad address", syscall(SYS_pipe, (void *)8));
    return 0;
}
