/* family: files
 * fallocate(2) on tmpfs: mode 0 reserves space and extends the size;
 * FALLOC_FL_KEEP_SIZE reserves without changing the size; PUNCH_HOLE needs
 * KEEP_SIZE (EOPNOTSUPP alone) and zeroes the range; an unknown mode bit is
 * EOPNOTSUPP; a length of 0 or a negative offset is EINVAL; a fd not open for
 * writing (a read-only file, a directory) is EBADF, a pipe ESPIPE; an O_APPEND
 * fd may allocate.
 */
#include "case.h"
#include <linux/falloc.h>

static long size(int fd) { struct stat st; return fstat(fd, &st) ? -1 : (long)st.st_size; }

int main(void)
{
    mkdir("/tmp/fallocate_modes", 0755);
    int fd = open("/tmp/fallocate_modes/f", O_CREAT | O_RDWR, 0644);
    write(fd, "abcdefgh", 8);
    SHOW("mode 0", fallocate(fd, 0, 0, 100));
    SAY("size=%ld", size(fd));
    SHOW("keep size", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 8192));
    SAY("size=%ld", size(fd));
    SHOW("punch without keep", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4));
    SHOW("punch", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2, 3));
    char buf[8];
    pread(fd, buf, 8, 0);
    SAY("bytes=%c%c%d%d%d%c%c%c", buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[6], buf[7]);
    SAY("size=%ld", size(fd));
    SHOW("len 0", fallocate(fd, 0, 0, 0));
    SHOW("negative offset", fallocate(fd, 0, -1, 10));
    SHOW("unknown mode", fallocate(fd, 0x10000, 0, 10));
    int ro = open("/tmp/fallocate_modes/f", O_RDONLY);
    SHOW("rdonly", fallocate(ro, 0, 0, 10));
    int d = open("/tmp/fallocate_modes", O_RDONLY | O_DIRECTORY);
    SHOW("dir", fallocate(d, 0, 0, 10));
    int p[2];
    pipe(p);
    SHOW("pipe", fallocate(p[1], 0, 0, 10));
    int ap = open("/tmp/fallocate_modes/f", O_WRONLY | O_APPEND);
    SHOW("append fd", fallocate(ap, 0, 0, 10));
    return 0;
}
