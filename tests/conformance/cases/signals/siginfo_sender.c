/* An SA_SIGINFO handler learns who sent the signal: for kill(2) si_code is
 * SI_USER, si_pid the sender's pid and si_uid its real uid; for a child's
 * exit, SIGCHLD carries CLD_EXITED, the child's pid and uid and its exit code.
 */
#include "case.h"

static volatile int code, pid, uid, status, got;
static void h(int s, siginfo_t *si, void *u)
{
    code = si->si_code; pid = si->si_pid; uid = si->si_uid; status = si->si_status; got = s;
}

int main(void)
{
    struct sigaction sa = {0};
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, 0);
    sigaction(SIGCHLD, &sa, 0);
    sigset_t b, old;
    sigemptyset(&b);
    sigaddset(&b, SIGCHLD);
    sigprocmask(SIG_BLOCK, &b, &old);
    pid_t c = fork();
    if (c == 0) { kill(getppid(), SIGUSR1); pause(); _exit(0); }
    while (got != SIGUSR1) usleep(1000);
    SAY("kill: code=%d pid is child's=%d uid=%d", code, pid == c, uid);
    kill(c, SIGKILL);
    waitpid(c, 0, 0);
    siginfo_t si;
    struct timespec zero = {0, 0};
    SHOW("first child's SIGCHLD was pending", sigtimedwait(&b, &si, &zero));   /* and is taken */
    got = 0;
    c = fork();
    if (c == 0) _exit(3);
    waitid(P_PID, c, &si, WEXITED | WNOWAIT);    /* it has exited: its SIGCHLD is pending */
    sigprocmask(SIG_SETMASK, &old, 0);
    while (got != SIGCHLD) usleep(1000);
    SAY("sigchld: code=%d pid is child's=%d uid=%d status=%d", code, pid == c, uid, status);
    waitpid(c, 0, 0);
    return 0;
}
