/* kill(2): a signal number out of range (-1, 65) is EINVAL, checked before the
 * target; an unknown pid or group is ESRCH; signal 0 checks existence only; a
 * zombie still exists for kill (0 OK) until it is reaped.
 */
#include "case.h"

int main(void)
{
    SHOW("sig 65", kill(getpid(), 65));
    SHOW("sig -1", kill(getpid(), -1));
    SHOW("sig 65 to unknown", kill(99999, 65));
    SHOW("unknown pid", kill(99999, SIGTERM));
    SHOW("unknown group", kill(-99999, SIGTERM));
    SHOW("sig 0 self", kill(getpid(), 0));
    SHOW("tgkill bad tid", syscall(SYS_tgkill, getpid(), 99999, 0));
    SHOW("tgkill sig 65", syscall(SYS_tgkill, getpid(), getpid(), 65));
    SHOW("tkill 0", syscall(SYS_tkill, 0, SIGTERM));
    pid_t c = fork();
    if (c == 0) _exit(0);
    usleep(100000);
    SHOW("zombie sig 0", kill(c, 0));
    waitpid(c, 0, 0);
    SHOW("reaped sig 0", kill(c, 0));
    return 0;
}
