/* family: fds
 * Calls on a descriptor that is not open, or not open the right way, fail
 * with EBADF: read/write/close/fstat/lseek/fsync on a closed or negative fd,
 * write on a read-only fd, read on a write-only one;
 * close of an fd twice is EBADF the second time.
 */
#include "case.h"

int main(void)
{
    char b[4];
    struct stat st;
    SHOW("read closed", read(99, b, 1));
    SHOW("write negative", write(-1, b, 1));
    SHOW("close closed", close(99));
    SHOW("fstat closed", fstat(99, &st));
    SHOW("lseek closed", lseek(99, 0, SEEK_SET));
    SHOW("fsync closed", fsync(99));
    SHOW("ftruncate closed", ftruncate(99, 0));
    int r = open("/etc/hostname", O_RDONLY);
    SHOW("write rdonly", write(r, "x", 1));
    SHOW("ftruncate rdonly", ftruncate(r, 0));
    int w = open("/dev/null", O_WRONLY);
    SHOW("read wronly", read(w, b, 1));
    SHOW("close", close(w));
    SHOW("close again", close(w));
    SHOW("fchdir closed", fchdir(99));
    SHOW("openat closed dirfd", openat(99, "x", O_RDONLY));
    SHOW("openat absolute ignores dirfd", openat(99, "/dev/null", O_RDONLY) >= 0);
    return 0;
}
