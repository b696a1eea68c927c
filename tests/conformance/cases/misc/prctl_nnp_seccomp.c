/* family: misc
 * prctl(2): a process starts with no_new_privs 0 and seccomp mode 0 (none);
 * PR_SET_NO_NEW_PRIVS with 1 sets it for good (0 again is EINVAL), and a
 * child inherits it; unused arguments must be 0 (EINVAL). PR_SET_NAME and
 * PR_GET_NAME round-trip a 15-byte name.
 */
#include "case.h"
#include <sys/prctl.h>

int main(void)
{
    SHOW("get_no_new_privs", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    SHOW("get_seccomp", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
    SHOW("get_no_new_privs stray arg", prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0));
    SHOW("set_no_new_privs", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    SHOW("get_no_new_privs", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    SHOW("unset", prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0));
    pid_t c = fork();
    if (c == 0) {
        SHOW("child get_no_new_privs", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
        _exit(0);
    }
    waitpid(c, NULL, 0);
    char name[17] = {0};
    SHOW("set_name", prctl(PR_SET_NAME, "a-very-long-name-indeed", 0, 0, 0));
    SHOW("get_name", prctl(PR_GET_NAME, name, 0, 0, 0));
    SAY("name=%s", name);
    SHOW("unknown option", prctl(0x7fff1234, 0, 0, 0, 0));
    return 0;
}
