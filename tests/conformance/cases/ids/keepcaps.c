/* PR_SET_KEEPCAPS and securebits (security/commoncap.c): PR_GET_KEEPCAPS is 0
 * until set; PR_SET_KEEPCAPS takes 0 or 1 (EINVAL otherwise) and is
 * SECBIT_KEEP_CAPS of PR_GET_SECUREBITS.  PR_SET_SECUREBITS needs CAP_SETPCAP,
 * known bits, no change of a locked bit and no unlocking (EPERM); with
 * SECBIT_KEEP_CAPS_LOCKED, PR_SET_KEEPCAPS is EPERM.  execve clears
 * SECBIT_KEEP_CAPS but not its lock.
 */
#include "case.h"
#include <sys/prctl.h>
#include <linux/securebits.h>

int main(int argc, char **argv)
{
    if (argc > 1) {
        SHOWX("after exec: securebits", prctl(PR_GET_SECUREBITS));
        SHOW("after exec: keepcaps", prctl(PR_GET_KEEPCAPS));
        return 0;
    }
    SHOW("keepcaps", prctl(PR_GET_KEEPCAPS));
    SHOW("set keepcaps 2", prctl(PR_SET_KEEPCAPS, 2));
    SHOW("set keepcaps 1", prctl(PR_SET_KEEPCAPS, 1));
    SHOW("keepcaps", prctl(PR_GET_KEEPCAPS));
    SHOWX("securebits", prctl(PR_GET_SECUREBITS));
    SHOW("set keepcaps 0", prctl(PR_SET_KEEPCAPS, 0));
    SHOWX("securebits", prctl(PR_GET_SECUREBITS));
    SHOW("set an unknown bit", prctl(PR_SET_SECUREBITS, 1 << 20));
    SHOW("set keep_caps and its lock", prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS | SECBIT_KEEP_CAPS_LOCKED));
    SHOWX("securebits", prctl(PR_GET_SECUREBITS));
    SHOW("set keepcaps 0 while locked", prctl(PR_SET_KEEPCAPS, 0));
    SHOW("unlock", prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS));
    SHOW("change the locked bit", prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS_LOCKED));
    SHOW("add noroot", prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NOROOT));
    SHOWX("securebits", prctl(PR_GET_SECUREBITS));
    SHOW("remove noroot", prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS | SECBIT_KEEP_CAPS_LOCKED));
    pid_t c = fork();
    if (c == 0) {
        char *a[] = {argv[0], "x", 0};
        execv(argv[0], a);
        _exit(127);
    }
    waitpid(c, 0, 0);
    return 0;
}
