/* prctl(PR_GET_NO_NEW_PRIVS) is 0 in a process nobody set it for; once
 * PR_SET_NO_NEW_PRIVS sets it, it is inherited by children and cannot be undone
 * (EINVAL); arguments other than 1 in the second position are EINVAL.
 */
#include "case.h"
#include <sys/prctl.h>

int main(void)
{
    SHOW("initially", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    SHOW("set 2", prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0));
    SHOW("set", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    SHOW("now", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    SHOW("unset", prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0));
    if (fork() == 0) { SHOW("child", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)); _exit(0); }
    wait(0);
    return 0;
}
