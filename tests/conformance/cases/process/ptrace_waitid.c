/* waitid(2) reports a tracee's ptrace-stops with si_code CLD_TRAPPED and the
 * stop's signal in si_status (SIGTRAP|0x80 for a syscall stop under
 * PTRACE_O_TRACESYSGOOD), with or without WSTOPPED; WNOWAIT leaves the stop
 * to be reported again; WNOHANG with nothing to report leaves si_pid 0; the
 * tracee's exit is CLD_EXITED.
 */
#include "case.h"
#include <sys/ptrace.h>

static void show(const char *what, int r, siginfo_t *si)
{
    SAY("%s: r=%d signo=%s code=%d status=%#x pid_is_child=%d", what, r, sigabbrev_np(si->si_signo),
        si->si_code, si->si_status, si->si_pid != 0);
}

int main(void)
{
    pid_t c = fork();
    if (c == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        getppid();
        _exit(4);
    }
    siginfo_t si = {0};
    show("stop", waitid(P_PID, c, &si, WEXITED | WSTOPPED | WNOWAIT), &si);
    memset(&si, 0, sizeof si);
    show("again (WNOWAIT)", waitid(P_PID, c, &si, WEXITED), &si);
    memset(&si, 0xff, sizeof si);
    show("nothing (WNOHANG)", waitid(P_ALL, 0, &si, WEXITED | WNOHANG), &si);
    SHOW("bad options", waitid(P_PID, c, &si, WNOHANG));
    ptrace(PTRACE_SETOPTIONS, c, 0, PTRACE_O_TRACESYSGOOD);
    ptrace(PTRACE_SYSCALL, c, 0, 0);
    memset(&si, 0, sizeof si);
    show("syscall entry", waitid(P_ALL, 0, &si, WEXITED | WSTOPPED), &si);
    ptrace(PTRACE_CONT, c, 0, 0);
    memset(&si, 0, sizeof si);
    show("exit", waitid(P_PID, c, &si, WEXITED), &si);
    SHOW("no more", waitid(P_ALL, 0, &si, WEXITED));
    return 0;
}
