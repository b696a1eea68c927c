/* family: pipes
 * splice(2) moves bytes from a file into a pipe and back out; tee(2)
 * duplicates a pipe's contents into another pipe without consuming them;
 * tee between two ends of the same pipe is EINVAL; splice with neither fd a
 * pipe is EINVAL.
 */
#include "case.h"

int main(void)
{
    int f = open("/tmp/sp", O_CREAT | O_RDWR | O_TRUNC, 0644);
    write(f, "spliced bytes", 13);
    lseek(f, 0, SEEK_SET);
    int a[2], b[2];
    pipe(a);
    pipe(b);
    SHOW("splice file->pipe", splice(f, NULL, a[1], NULL, 7, 0));
    SHOW("tee a->b", tee(a[0], b[1], 100, SPLICE_F_NONBLOCK));
    char x[16] = {0}, y[16] = {0};
    SHOW("read b", read(b[0], y, sizeof y));
    SHOW("read a", read(a[0], x, sizeof x));
    SAY("a=%s b=%s", x, y);
    SHOW("tee same pipe", tee(a[0], a[1], 10, SPLICE_F_NONBLOCK));
    int g = open("/tmp/sp2", O_CREAT | O_RDWR | O_TRUNC, 0644);
    SHOW("splice file->file", splice(f, NULL, g, NULL, 4, 0));
    loff_t off = 8;
    SHOW("splice with offset", splice(f, &off, a[1], NULL, 5, 0));
    SAY("offset now=%ld", (long)off);
    SHOW("splice pipe->file", splice(a[0], NULL, g, NULL, 5, 0));
    memset(x, 0, sizeof x);
    pread(g, x, sizeof x, 0);
    SAY("file=%s", x);
    unlink("/tmp/sp");
    unlink("/tmp/sp2");
    return 0;
}
