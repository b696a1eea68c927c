/* family: files
 * A memfd reopened through /proc/self/fd/N is the same file: O_TRUNC empties
 * it, a write through one descriptor is read through the other, each open has
 * its own offset; a memfd sealed with F_SEAL_WRITE may still be reopened for
 * writing (the seal refuses the writes); fstat shows a regular file with mode 0777.
 */
#include "case.h"

static long size(int fd) { struct stat st; return fstat(fd, &st) ? -1 : (long)st.st_size; }

int main(void)
{
    char p[64], buf[16] = {0};
    int m = memfd_create("case", MFD_ALLOW_SEALING);
    SHOW("write", write(m, "hello world", 11));
    struct stat st;
    fstat(m, &st);
    SAY("mode=%o nlink=%ld", st.st_mode, (long)st.st_nlink);
    snprintf(p, sizeof p, "/proc/self/fd/%d", m);
    int r = open(p, O_RDONLY);
    SHOW("reopen read", read(r, buf, 5));
    SAY("data=%s offset m=%ld r=%ld", buf, (long)lseek(m, 0, SEEK_CUR), (long)lseek(r, 0, SEEK_CUR));
    int t = open(p, O_RDWR | O_TRUNC);
    SHOW("reopen trunc", t >= 0);
    SAY("size=%ld %ld", size(m), size(t));
    write(t, "xyz", 3);
    memset(buf, 0, sizeof buf);
    SHOW("pread through m", pread(m, buf, sizeof buf, 0));
    SAY("data=%s", buf);
    close(t);
    SHOW("seal write", fcntl(m, F_ADD_SEALS, F_SEAL_WRITE));
    SHOW("reopen writable sealed", open(p, O_RDWR));
    SHOW("reopen rdonly sealed", open(p, O_RDONLY) >= 0);
    SHOW("ftruncate sealed", ftruncate(m, 0));
    return 0;
}
