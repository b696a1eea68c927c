/* setresuid(2): root may set any of the three; an unprivileged process may set
 * each to one of its current real, effective or saved uids (EPERM otherwise,
 * and then nothing changes); the file-system uid follows the effective uid.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"
#include <sys/fsuid.h>

static void ids(const char *l)
{
    uid_t r, e, s;
    getresuid(&r, &e, &s);
    SAY("%s: %u,%u,%u fsuid=%d", l, r, e, s, setfsuid(-1));
}

int main(void)
{
    SHOW("root sets 1,2,3", setresuid(1, 2, 3));
    ids("now");
    SHOW("permute 3,1,2", setresuid(3, 1, 2));
    ids("now");
    SHOW("to 4 (not held)", setresuid(-1, 4, -1));
    ids("unchanged");
    SHOW("all to 2", setresuid(2, 2, 2));
    ids("now");
    SHOW("back to 1", setresuid(1, -1, -1));
    SHOW("setuid(2) same", setuid(2));
    return 0;
}
