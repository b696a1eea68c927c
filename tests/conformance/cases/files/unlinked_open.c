/* family: files
 * An open file outlives its last name: after unlink, reads and writes through
 * the descriptor still work, fstat shows nlink 0, the name is gone
 * (ENOENT) and can be reused for a different file; /proc/self/fd/N shows the
 * old path with " (deleted)".
 */
#include "case.h"

int main(void)
{
    struct stat st;
    char p[64], buf[64] = {0};
    mkdir("/tmp/unlinked_open", 0755);
    int fd = open("/tmp/unlinked_open/f", O_CREAT | O_RDWR, 0644);
    write(fd, "before", 6);
    SHOW("unlink", unlink("/tmp/unlinked_open/f"));
    SHOW("write", write(fd, "after", 5));
    SHOW("pread", pread(fd, buf, sizeof buf - 1, 0));
    SAY("data=%s", buf);
    fstat(fd, &st);
    SAY("nlink=%ld size=%ld", (long)st.st_nlink, (long)st.st_size);
    SHOW("stat name", stat("/tmp/unlinked_open/f", &st));
    int fd2 = open("/tmp/unlinked_open/f", O_CREAT | O_RDWR, 0600);
    fstat(fd2, &st);
    SAY("new size=%ld mode=%o", (long)st.st_size, st.st_mode);
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    memset(buf, 0, sizeof buf);
    SHOW("readlink", readlink(p, buf, sizeof buf - 1));
    SAY("link=%s", buf);
    return 0;
}
