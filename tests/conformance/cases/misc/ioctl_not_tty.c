/* family: misc
 * ioctl(2) on something that is not a terminal: terminal requests (TCGETS,
 * TIOCGWINSZ, TIOCSCTTY) are ENOTTY on a pipe, a regular file or /dev/null;
 * an unknown request is ENOTTY too, but a bad fd is EBADF first; isatty() is
 * 0 with errno ENOTTY; FIONREAD on a regular file gives the bytes left;
 * FIOCLEX/FIONCLEX set and clear close-on-exec on any fd.
 */
#include "case.h"
#include <sys/ioctl.h>
#include <termios.h>

int main(void)
{
    int p[2];
    pipe(p);
    int f = open("/etc/hostname", O_RDONLY);
    int null = open("/dev/null", O_RDWR);
    struct termios t;
    struct winsize w;
    SHOW("tcgets pipe", ioctl(p[0], TCGETS, &t));
    SHOW("tcgets file", ioctl(f, TCGETS, &t));
    SHOW("tcgets /dev/null", ioctl(null, TCGETS, &t));
    SHOW("tiocgwinsz file", ioctl(f, TIOCGWINSZ, &w));
    SHOW("tiocsctty /dev/null", ioctl(null, TIOCSCTTY, 0));
    SHOW("unknown request file", ioctl(f, 0x12345678, 0));
    SHOW("unknown request pipe", ioctl(p[0], 0x12345678, 0));
    SHOW("unknown request bad fd", ioctl(99, 0x12345678, 0));
    SHOW("tcgets bad fd", ioctl(99, TCGETS, &t));
    SHOW("tiocgpgrp bad fd", ioctl(99, TIOCGPGRP, &t));
    errno = 0;
    SAY("isatty=%d errno=%s", isatty(f), errname(errno));
    int n = -1;
    lseek(f, 1, SEEK_SET);
    struct stat st;
    fstat(f, &st);
    SHOW("fionread file", ioctl(f, FIONREAD, &n));
    SAY("left is size-1=%d", n == st.st_size - 1);
    SHOW("fioclex", ioctl(f, FIOCLEX));
    SHOW("getfd", fcntl(f, F_GETFD));
    SHOW("fionclex", ioctl(f, FIONCLEX));
    SHOW("getfd", fcntl(f, F_GETFD));
    return 0;
}
