/* family: files
 * open(2) O_APPEND: every write goes to the end of the file, whatever the offset
 * (lseek moves it, the next write still appends, and the offset is then at the
 * end); Linux's pwrite(2) on an O_APPEND fd appends too (a documented bug);
 * fcntl(F_SETFL) can clear O_APPEND.
 */
#include "case.h"

static long size(int fd) { struct stat st; return fstat(fd, &st) ? -1 : (long)st.st_size; }

int main(void)
{
    mkdir("/tmp/open_append", 0755);
    int fd = open("/tmp/open_append/f", O_CREAT | O_RDWR | O_APPEND, 0644);
    SHOW("write 1", write(fd, "hello", 5));
    SHOW("lseek 0", lseek(fd, 0, SEEK_SET));
    SHOW("write 2", write(fd, "world", 5));
    SHOW("offset after", lseek(fd, 0, SEEK_CUR));
    SAY("size=%ld", size(fd));
    SHOW("pwrite at 0", pwrite(fd, "XY", 2, 0));
    SAY("size after pwrite=%ld", size(fd));
    char buf[32] = {0};
    SHOW("pread", pread(fd, buf, sizeof buf - 1, 0));
    SAY("content=%s", buf);
    SHOWX("getfl append", fcntl(fd, F_GETFL) & O_APPEND);
    SHOW("clear append", fcntl(fd, F_SETFL, 0));
    SHOWX("getfl after", fcntl(fd, F_GETFL) & O_APPEND);
    SHOW("pwrite at 0 now", pwrite(fd, "ab", 2, 0));
    memset(buf, 0, sizeof buf);
    pread(fd, buf, sizeof buf - 1, 0);
    SAY("content=%s size=%ld", buf, size(fd));
    return 0;
}
