/* setgid(2) as root sets real, effective and saved gids; setresgid(2) as a
 * non-root user may only pick among the current three gids; setgid(2) as a
 * non-root user sets the effective gid if it is the real or saved one, else
 * EPERM.  setgid(-1) is EINVAL.
 * root: gids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"

static void ids(const char *l)
{
    gid_t r, e, s;
    getresgid(&r, &e, &s);
    SAY("%s: %u,%u,%u", l, r, e, s);
}

int main(void)
{
    SHOW("setgid -1", setgid(-1));
    SHOW("setgid 100", setgid(100));
    ids("root set");
    SHOW("setresgid 100,200,300", setresgid(100, 200, 300));
    ids("now");
    setresuid(1000, 1000, 1000);
    SHOW("user setgid 300 (saved)", setgid(300));
    ids("now");
    SHOW("user setgid 100 (real)", setgid(100));
    ids("now");
    SHOW("user setgid 400", setgid(400));
    SHOW("user setresgid 300,-1,-1", setresgid(300, -1, -1));
    ids("now");
    SHOW("user setresgid 500,-1,-1", setresgid(500, -1, -1));
    SHOW("user setregid 200,200", setregid(200, 200));
    return 0;
}
