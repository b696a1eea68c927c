/* waitid(2): options must name at least one of WEXITED, WSTOPPED, WCONTINUED
 * (else EINVAL), and an unknown idtype is EINVAL; a stop, a continue and an exit
 * are reported with si_code CLD_STOPPED, CLD_CONTINUED, CLD_EXITED/CLD_KILLED,
 * si_status the signal or code, si_pid the child's; WNOWAIT leaves the child
 * waitable; WNOHANG with nothing to report is 0 with si_pid 0.
 */
#include "case.h"

static void show(const char *l, siginfo_t *si, pid_t c)
{
    SAY("%s: signo=%d code=%d status=%d pid same=%d", l, si->si_signo, si->si_code, si->si_status, si->si_pid == c);
}

int main(void)
{
    siginfo_t si;
    SHOW("no state option", waitid(P_ALL, 0, &si, 0));
    SHOW("bad idtype", waitid(42, 0, &si, WEXITED));
    SHOW("bad option bit", waitid(P_ALL, 0, &si, WEXITED | 0x1000000));
    pid_t c = fork();
    if (c == 0) { for (;;) pause(); }
    memset(&si, 0xff, sizeof si);
    SHOW("wnohang nothing", waitid(P_PID, c, &si, WEXITED | WNOHANG));
    SAY("si_pid zeroed=%d", si.si_pid == 0);
    kill(c, SIGSTOP);
    SHOW("stopped", waitid(P_PID, c, &si, WSTOPPED));
    show("stop", &si, c);
    kill(c, SIGCONT);
    SHOW("continued", waitid(P_PID, c, &si, WCONTINUED));
    show("cont", &si, c);
    kill(c, SIGTERM);
    SHOW("exited nowait", waitid(P_PID, c, &si, WEXITED | WNOWAIT));
    show("killed", &si, c);
    SHOW("exited again", waitid(P_ALL, 0, &si, WEXITED));
    show("killed", &si, c);
    SHOW("gone", waitid(P_PID, c, &si, WEXITED));
    c = fork();
    if (c == 0) _exit(9);
    SHOW("exit", waitid(P_ALL, 0, &si, WEXITED));
    show("exit", &si, c);
    return 0;
}
