/* family: ids
 * setresuid(2)/setuid(2): root may take any uid; a process that then has no
 * saved root cannot get back (EPERM); -1 leaves an id unchanged.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"

int main(void)
{
    uid_t r, e, s;
    SHOW("setresuid 1000,1000,0", setresuid(1000, 1000, 0));
    getresuid(&r, &e, &s);
    SAY("ids=%u,%u,%u", r, e, s);
    SHOW("setresuid -1,0,-1", setresuid(-1, 0, -1));
    SHOW("setuid 2000", setuid(2000));
    getresuid(&r, &e, &s);
    SAY("ids=%u,%u,%u", r, e, s);
    SHOW("setuid 0", setuid(0));
    SHOW("setresuid -1,-1,-1", setresuid(-1, -1, -1));
    return 0;
}
