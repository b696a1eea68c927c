/* PTRACE_SEIZE attaches without stopping the tracee (a WNOHANG wait finds
 * nothing).  PTRACE_INTERRUPT stops it: the stop is PTRACE_EVENT_STOP with
 * SIGTRAP (status>>16 == 128), and its siginfo says SIGTRAP | PTRACE_EVENT_STOP<<8.
 * A SIGSTOP is first a signal-delivery-stop; passed on, it becomes a group-stop,
 * which a seized tracee reports as PTRACE_EVENT_STOP with SIGSTOP.  PTRACE_LISTEN
 * leaves it stopped but not in a ptrace-stop; SIGCONT then makes it trap
 * (PTRACE_EVENT_STOP, SIGTRAP) and, once restarted, report SIGCONT's delivery.
 * A tracee that is listening is in no ptrace-stop: PEEKUSER is ESRCH.
 */
#include "case.h"
#include <sys/ptrace.h>

static void show(const char *what, int st)
{
    SAY("%s: stopped=%d sig=%s event=%d", what, WIFSTOPPED(st), sigabbrev_np(WSTOPSIG(st)), st >> 16);
}

int main(void)
{
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        char b;
        read(p[0], &b, 1);           /* blocks until the parent has seized it */
        for (;;)
            pause();
    }
    int st;
    SHOW("seize", ptrace(PTRACE_SEIZE, c, 0, PTRACE_O_TRACESYSGOOD));
    SHOW("wait nohang", waitpid(c, &st, WNOHANG | __WALL));
    SHOW("cont while running", ptrace(PTRACE_CONT, c, 0, 0));
    write(p[1], "x", 1);
    usleep(100000);
    SHOW("interrupt", ptrace(PTRACE_INTERRUPT, c, 0, 0));
    SHOW("wait", waitpid(c, &st, __WALL) == c);
    show("interrupt stop", st);
    siginfo_t si;
    SHOW("getsiginfo", ptrace(PTRACE_GETSIGINFO, c, 0, &si));
    SAY("si_signo=%s si_code=%#x", sigabbrev_np(si.si_signo), si.si_code);
    SHOW("cont", ptrace(PTRACE_CONT, c, 0, 0));
    usleep(50000);
    kill(c, SIGSTOP);
    waitpid(c, &st, __WALL);
    show("signal-delivery-stop", st);
    SHOW("cont with SIGSTOP", ptrace(PTRACE_CONT, c, 0, SIGSTOP));
    waitpid(c, &st, __WALL);
    show("group-stop", st);
    SHOW("getsiginfo at group-stop", ptrace(PTRACE_GETSIGINFO, c, 0, &si));
    SHOW("listen", ptrace(PTRACE_LISTEN, c, 0, 0));
    SHOW("wait nohang while listening", waitpid(c, &st, WNOHANG | __WALL));
    SHOW("peekuser while listening", ptrace(PTRACE_PEEKUSER, c, 0, 0));
    kill(c, SIGCONT);
    waitpid(c, &st, __WALL);
    show("after SIGCONT", st);
    SHOW("cont", ptrace(PTRACE_CONT, c, 0, 0));
    waitpid(c, &st, __WALL);
    show("SIGCONT delivery", st);
    SHOW("cont with SIGCONT", ptrace(PTRACE_CONT, c, 0, SIGCONT));
    SHOW("kill", kill(c, SIGKILL));
    SHOW("wait", waitpid(c, &st, __WALL) == c);
    SAY("killed=%d sig=%s", WIFSIGNALED(st), sigabbrev_np(WTERMSIG(st)));
    return 0;
}
