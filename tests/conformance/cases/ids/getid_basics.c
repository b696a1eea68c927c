/* The process starts as root: getuid, geteuid, getgid, getegid are 0, and so
 * are the saved ids; setuid(0)/setgid(0) as root change nothing; setuid(-1) is
 * EINVAL; setresuid(-1,-1,-1) is a no-op that succeeds.
 */
#include "case.h"

int main(void)
{
    uid_t r, e, s;
    SAY("uid=%d euid=%d gid=%d egid=%d", getuid(), geteuid(), getgid(), getegid());
    getresuid(&r, &e, &s);
    SAY("res=%u,%u,%u", r, e, s);
    SHOW("setuid 0", setuid(0));
    SHOW("setgid 0", setgid(0));
    SHOW("setuid -1", setuid(-1));
    SHOW("setresuid -1,-1,-1", setresuid(-1, -1, -1));
    SHOW("setresgid -1,-1,-1", setresgid(-1, -1, -1));
    SHOW("setreuid -1,-1", setreuid(-1, -1));
    SHOW("getresuid bad pointer", syscall(SYS_getresuid, (void *)8, &e, &s));
    return 0;
}
