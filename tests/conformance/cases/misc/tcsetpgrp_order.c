/* family: misc
 * tcsetpgrp(3) (ioctl TIOCSPGRP) checks the descriptor first: a bad fd is
 * EBADF whatever the pgid, and a descriptor that is not a terminal ENOTTY,
 * before the pgid is looked at; tcgetpgrp on a non-terminal is ENOTTY.
 */
#include "case.h"
#include <sys/ioctl.h>
#include <termios.h>

int main(void)
{
    int p[2];
    pipe(p);
    int null = open("/dev/null", O_RDWR);
    SHOW("bad fd, own pgrp", tcsetpgrp(99, getpgrp()));
    SHOW("bad fd, pgid 0", tcsetpgrp(99, 0));
    SHOW("bad fd, negative pgid", tcsetpgrp(-1, -5));
    SHOW("bad fd, missing pgid", tcsetpgrp(99, 99999));
    SHOW("pipe, own pgrp", tcsetpgrp(p[0], getpgrp()));
    SHOW("pipe, negative pgid", tcsetpgrp(p[0], -5));
    SHOW("/dev/null, missing pgid", tcsetpgrp(null, 99999));
    SHOW("tcgetpgrp pipe", tcgetpgrp(p[0]));
    SHOW("tcgetpgrp bad fd", tcgetpgrp(99));
    SHOW("tcgetsid pipe", tcgetsid(p[0]));
    return 0;
}
