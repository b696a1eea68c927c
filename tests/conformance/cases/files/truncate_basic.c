/* family: files
 * truncate(2)/ftruncate(2): extending fills with zero bytes, shrinking drops the
 * tail; a directory is EISDIR; a negative length EINVAL; a missing file
 * ENOENT; ftruncate on a read-only fd is EINVAL (it is not open for writing),
 * on a pipe EINVAL, on a bad fd EBADF; truncate follows symlinks.
 */
#include "case.h"

static long size(const char *p) { struct stat st; return stat(p, &st) ? -1 : (long)st.st_size; }

int main(void)
{
    mkdir("/tmp/truncate_basic", 0755);
    chdir("/tmp/truncate_basic");
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    write(fd, "abcdef", 6);
    SHOW("truncate 3", truncate("f", 3));
    SAY("size=%ld", size("f"));
    SHOW("truncate 10", truncate("f", 10));
    SAY("size=%ld", size("f"));
    char buf[16];
    int n = pread(fd, buf, sizeof buf, 0);
    SAY("read=%d bytes: %c%c%c %d %d", n, buf[0], buf[1], buf[2], buf[3], buf[9]);
    SHOW("ftruncate 1", ftruncate(fd, 1));
    SAY("size=%ld", size("f"));
    SHOW("offset unchanged", lseek(fd, 0, SEEK_CUR));
    mkdir("d", 0755);
    SHOW("truncate dir", truncate("d", 0));
    SHOW("truncate negative", truncate("f", -1));
    SHOW("truncate missing", truncate("missing", 0));
    symlink("f", "l");
    SHOW("truncate via symlink", truncate("l", 5));
    SAY("size=%ld", size("f"));
    int ro = open("f", O_RDONLY);
    SHOW("ftruncate rdonly", ftruncate(ro, 0));
    int p[2];
    pipe(p);
    SHOW("ftruncate pipe", ftruncate(p[1], 0));
    SHOW("ftruncate bad fd", ftruncate(99, 0));
    SHOW("ftruncate negative", ftruncate(fd, -1));
    mkfifo("fifo", 0644);
    SHOW("truncate fifo", truncate("fifo", 0));
    SHOW("truncate trailing slash", truncate("f/", 0));
    return 0;
}
