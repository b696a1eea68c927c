/* waitid(2) with P_PGID waits for a child in that process group only; a group
 * with no child of the caller's is ECHILD; P_PGID with id 0 means the caller's
 * own group.
 */
#include "case.h"

int main(void)
{
    siginfo_t si;
    int p[2];
    pipe(p);
    pid_t a = fork();
    if (a == 0) { setpgid(0, 0); char c; read(p[0], &c, 1); _exit(1); }
    pid_t b = fork();
    if (b == 0) { char c; read(p[0], &c, 1); _exit(2); }
    setpgid(a, a);
    SHOW("pgid of a is a", getpgid(a) == a);
    write(p[1], "xx", 2);
    SHOW("waitid P_PGID a", waitid(P_PGID, a, &si, WEXITED));
    SAY("got a=%d status=%d", si.si_pid == a, si.si_status);
    SHOW("waitid P_PGID own(0)", waitid(P_PGID, 0, &si, WEXITED));
    SAY("got b=%d status=%d", si.si_pid == b, si.si_status);
    SHOW("waitid P_PGID empty", waitid(P_PGID, a, &si, WEXITED));
    return 0;
}
