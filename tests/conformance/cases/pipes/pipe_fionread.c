/* family: pipes
 * ioctl(FIONREAD) on a pipe gives the number of unread bytes, on either end;
 * it drops as they are read.
 */
#include "case.h"
#include <sys/ioctl.h>

int main(void)
{
    int p[2], n = -1;
    pipe(p);
    SHOW("fionread empty", ioctl(p[0], FIONREAD, &n));
    SAY("n=%d", n);
    write(p[1], "hello world", 11);
    SHOW("fionread", ioctl(p[0], FIONREAD, &n));
    SAY("n=%d", n);
    SHOW("fionread write end", ioctl(p[1], FIONREAD, &n));
    SAY("n=%d", n);
    char b[4];
    read(p[0], b, 4);
    ioctl(p[0], FIONREAD, &n);
    SAY("after read 4 n=%d", n);
    SHOW("fionread bad address", ioctl(p[0], FIONREAD, (void *)8));
    return 0;
}
