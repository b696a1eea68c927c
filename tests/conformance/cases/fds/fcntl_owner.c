/* family: fds
 * fcntl(2) F_SETOWN/F_GETOWN: the owner of a descriptor's signals is a pid
 * (positive) or a process group (negative); F_GETOWN reads it back as the
 * caller's namespace names it; F_SETOWN of a pid that does not exist is ESRCH.
 * F_SETOWN_EX/F_GETOWN_EX carry {type, pid}: F_OWNER_TID, F_OWNER_PID,
 * F_OWNER_PGRP; a bad type is EINVAL; F_GETOWN after F_SETOWN_EX of a pgrp is
 * the negative pgid.
 */
#include "case.h"

int main(void)
{
    int p[2];
    pipe(p);
    pid_t me = getpid();
    SHOW("getown unset", fcntl(p[0], F_GETOWN));
    SHOW("setown self", fcntl(p[0], F_SETOWN, me));
    SAY("getown is self=%d", fcntl(p[0], F_GETOWN) == me);
    setpgid(0, 0);
    SHOW("setown -pgrp", fcntl(p[0], F_SETOWN, -getpgrp()));
    SAY("getown is -pgrp=%d", fcntl(p[0], F_GETOWN) == -getpgrp());
    SHOW("setown missing", fcntl(p[0], F_SETOWN, 99999));
    SHOW("setown 0", fcntl(p[0], F_SETOWN, 0));
    SHOW("getown after 0", fcntl(p[0], F_GETOWN));
    struct f_owner_ex ex = {F_OWNER_TID, (pid_t)syscall(SYS_gettid)};
    SHOW("setown_ex tid", fcntl(p[0], F_SETOWN_EX, &ex));
    struct f_owner_ex got = {0, 0};
    SHOW("getown_ex", fcntl(p[0], F_GETOWN_EX, &got));
    SAY("getown_ex type tid=%d pid is tid=%d", got.type == F_OWNER_TID, got.pid == me);
    ex.type = F_OWNER_PGRP;
    ex.pid = getpgrp();
    SHOW("setown_ex pgrp", fcntl(p[0], F_SETOWN_EX, &ex));
    SAY("getown is -pgrp=%d", fcntl(p[0], F_GETOWN) == -getpgrp());
    SHOW("getown_ex", fcntl(p[0], F_GETOWN_EX, &got));
    SAY("getown_ex type pgrp=%d pid is pgrp=%d", got.type == F_OWNER_PGRP, got.pid == getpgrp());
    ex.type = 7;
    SHOW("setown_ex bad type", fcntl(p[0], F_SETOWN_EX, &ex));
    ex.type = F_OWNER_PID;
    ex.pid = 99999;
    SHOW("setown_ex missing", fcntl(p[0], F_SETOWN_EX, &ex));
    SHOW("setown_ex bad fd", fcntl(999, F_SETOWN_EX, &ex));
    return 0;
}
