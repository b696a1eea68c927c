/* family: files
 * pread(2)/pwrite(2) use the given offset and leave the file offset alone;
 * pwrite past the end extends the file with a hole; pread at or past the end
 * returns 0; a negative offset is EINVAL; on a pipe ESPIPE; on a directory
 * pread is EISDIR; on a write-only fd pread is EBADF.
 */
#include "case.h"

int main(void)
{
    mkdir("/tmp/pread_pwrite", 0755);
    int fd = open("/tmp/pread_pwrite/f", O_CREAT | O_RDWR, 0644);
    write(fd, "abcdef", 6);
    lseek(fd, 2, SEEK_SET);
    char buf[16] = {0};
    SHOW("pread 3 at 1", pread(fd, buf, 3, 1));
    SAY("data=%s", buf);
    SHOW("offset", lseek(fd, 0, SEEK_CUR));
    SHOW("pwrite at 4", pwrite(fd, "XY", 2, 4));
    SHOW("offset", lseek(fd, 0, SEEK_CUR));
    SHOW("pwrite at 10", pwrite(fd, "Z", 1, 10));
    struct stat st;
    fstat(fd, &st);
    SAY("size=%ld", (long)st.st_size);
    memset(buf, 0, sizeof buf);
    SHOW("pread all", pread(fd, buf, sizeof buf, 0));
    SAY("bytes=%c%c%c%c%c%c %d %c", buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[7], buf[10]);
    SHOW("pread at end", pread(fd, buf, 4, 11));
    SHOW("pread past end", pread(fd, buf, 4, 100));
    SHOW("pread negative", pread(fd, buf, 4, -1));
    SHOW("pwrite negative", pwrite(fd, buf, 4, -1));
    int p[2];
    pipe(p);
    SHOW("pwrite pipe", pwrite(p[1], "x", 1, 0));
    SHOW("pread pipe", pread(p[0], buf, 1, 0));
    int d = open("/tmp/pread_pwrite", O_RDONLY | O_DIRECTORY);
    SHOW("pread dir", pread(d, buf, 1, 0));
    int w = open("/tmp/pread_pwrite/f", O_WRONLY);
    SHOW("pread wronly", pread(w, buf, 1, 0));
    int r = open("/tmp/pread_pwrite/f", O_RDONLY);
    SHOW("pwrite rdonly", pwrite(r, "q", 1, 0));
    SHOW("pread count 0", pread(fd, buf, 0, 0));
    return 0;
}
