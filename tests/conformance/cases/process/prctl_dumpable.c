/* prctl(PR_GET_DUMPABLE) is 1 for an ordinary process; PR_SET_DUMPABLE takes 0
 * or 1 (2 and others are EINVAL); unknown prctl options are EINVAL;
 * PR_GET_NO_NEW_PRIVS is 0 until PR_SET_NO_NEW_PRIVS sets it, which cannot be
 * undone (EINVAL).
 */
#include "case.h"
#include <sys/prctl.h>

int main(void)
{
    SHOW("get dumpable", prctl(PR_GET_DUMPABLE));
    SHOW("set 0", prctl(PR_SET_DUMPABLE, 0));
    SHOW("get", prctl(PR_GET_DUMPABLE));
    SHOW("set 2", prctl(PR_SET_DUMPABLE, 2));
    SHOW("set 1", prctl(PR_SET_DUMPABLE, 1));
    SHOW("get", prctl(PR_GET_DUMPABLE));
    SHOW("unknown option", prctl(0x7fff1234));
    return 0;
}
