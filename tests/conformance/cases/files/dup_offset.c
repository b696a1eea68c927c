/* family: files
 * File offsets belong to the open file description: dup'd descriptors (dup,
 * dup2, F_DUPFD) share one, and an independent open() has its own; lseek
 * SEEK_SET/SEEK_CUR/SEEK_END, a negative result is EINVAL, seeking past the
 * end is allowed (a later write leaves a hole of zeros); lseek on a pipe is
 * ESPIPE; the status flags (O_APPEND) are shared too, FD_CLOEXEC is not.
 */
#include "case.h"

int main(void)
{
    mkdir("/tmp/dup_offset", 0755);
    int a = open("/tmp/dup_offset/f", O_CREAT | O_RDWR, 0644);
    write(a, "0123456789", 10);
    int b = dup(a);
    int c = open("/tmp/dup_offset/f", O_RDONLY);
    SHOW("a offset", lseek(a, 0, SEEK_CUR));
    SHOW("b offset (dup)", lseek(b, 0, SEEK_CUR));
    SHOW("c offset (own)", lseek(c, 0, SEEK_CUR));
    SHOW("seek b to 3", lseek(b, 3, SEEK_SET));
    char ch = 0;
    read(a, &ch, 1);
    SAY("read a=%c", ch);
    SHOW("seek cur -2", lseek(a, -2, SEEK_CUR));
    SHOW("seek end -1", lseek(a, -1, SEEK_END));
    SHOW("seek negative", lseek(a, -100, SEEK_SET));
    SHOW("seek cur negative", lseek(a, -100, SEEK_CUR));
    SHOW("offset after failure", lseek(a, 0, SEEK_CUR));
    SHOW("bad whence", lseek(a, 0, 7));
    SHOW("past end", lseek(a, 20, SEEK_SET));
    write(b, "X", 1);
    struct stat st;
    fstat(a, &st);
    SAY("size=%ld", (long)st.st_size);
    char buf[32];
    pread(c, buf, 21, 0);
    SAY("hole byte=%d end=%c", buf[15], buf[20]);
    int d = dup2(a, 10);
    SHOW("dup2 offset", lseek(d, 0, SEEK_CUR));
    fcntl(a, F_SETFL, O_APPEND);
    SHOWX("append shared", fcntl(b, F_GETFL) & O_APPEND);
    SHOWX("append not in own", fcntl(c, F_GETFL) & O_APPEND);
    fcntl(a, F_SETFD, FD_CLOEXEC);
    SHOW("cloexec not shared", fcntl(b, F_GETFD));
    int p[2];
    pipe(p);
    SHOW("lseek pipe", lseek(p[0], 0, SEEK_CUR));
    SHOW("dup2 same", dup2(a, a));
    SHOW("dup2 bad", dup2(99, 11));
    return 0;
}
