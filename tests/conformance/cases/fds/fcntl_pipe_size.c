/* family: fds
 * fcntl(2) F_GETPIPE_SZ/F_SETPIPE_SZ: a pipe holds 65536 bytes by default; a
 * new size is rounded up to a power-of-two number of pages (at least one);
 * shrinking below what the pipe holds is EBUSY; on a non-pipe, EBADF.
 */
#include "case.h"

int main(void)
{
    int p[2];
    pipe(p);
    SHOW("default", fcntl(p[0], F_GETPIPE_SZ));
    SHOW("set 4096", fcntl(p[0], F_SETPIPE_SZ, 4096));
    SHOW("set 5000", fcntl(p[1], F_SETPIPE_SZ, 5000));
    SHOW("get", fcntl(p[0], F_GETPIPE_SZ));
    SHOW("set 1", fcntl(p[0], F_SETPIPE_SZ, 1));
    SHOW("set 65536", fcntl(p[0], F_SETPIPE_SZ, 65536));
    static char buf[20000];
    SHOW("write 20000", write(p[1], buf, sizeof buf));
    SHOW("shrink below contents", fcntl(p[0], F_SETPIPE_SZ, 4096));
    int f = open("/dev/null", O_RDONLY);
    SHOW("file getpipe_sz", fcntl(f, F_GETPIPE_SZ));
    SHOW("file setpipe_sz", fcntl(f, F_SETPIPE_SZ, 4096));
    return 0;
}
