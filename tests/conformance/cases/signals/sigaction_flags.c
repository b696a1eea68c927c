/* sigaction(2): SA_RESETHAND restores SIG_DFL when the handler is entered, so a
 * second signal takes the default action; without SA_NODEFER the signal is
 * blocked while its handler runs, with it it is not; sa_mask is added to the
 * mask during the handler; the old mask comes back after.  sigaction of SIGKILL
 * or SIGSTOP, of 0 and of 65 is EINVAL (reading SIGKILL's action is allowed).
 */
#include "case.h"

static volatile int blocked_in_handler, other_blocked;
static void h(int s)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, 0, &cur);
    blocked_in_handler = sigismember(&cur, s);
    other_blocked = sigismember(&cur, SIGUSR2);
}

int main(void)
{
    struct sigaction sa = {0}, old;
    sa.sa_handler = h;
    sigaction(SIGUSR1, &sa, 0);
    raise(SIGUSR1);
    SAY("default: self blocked in handler=%d", blocked_in_handler);
    sa.sa_flags = SA_NODEFER;
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, 0);
    raise(SIGUSR1);
    SAY("nodefer: self blocked=%d sa_mask blocked=%d", blocked_in_handler, other_blocked);
    sigset_t cur;
    sigprocmask(SIG_BLOCK, 0, &cur);
    SAY("after: usr2 blocked=%d", sigismember(&cur, SIGUSR2));
    pid_t c = fork();
    if (c == 0) {
        struct sigaction r = {0};
        r.sa_handler = h;
        r.sa_flags = SA_RESETHAND;
        sigaction(SIGUSR1, &r, 0);
        raise(SIGUSR1);
        struct sigaction now;
        sigaction(SIGUSR1, 0, &now);
        printf("resethand: reset to default=%d nodefer implied=%d\n", now.sa_handler == SIG_DFL, !blocked_in_handler);
        fflush(stdout);
        raise(SIGUSR1);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    SAY("second signal: signaled=%d sig=%d", WIFSIGNALED(st), WTERMSIG(st));
    SHOW("set SIGKILL", sigaction(SIGKILL, &sa, 0));
    SHOW("set SIGSTOP", sigaction(SIGSTOP, &sa, 0));
    SHOW("get SIGKILL", sigaction(SIGKILL, 0, &old));
    SHOW("signal 0", syscall(SYS_rt_sigaction, 0, 0, &old, 8));
    SHOW("signal 65", syscall(SYS_rt_sigaction, 65, 0, &old, 8));
    SHOW("bad sigsetsize", syscall(SYS_rt_sigaction, SIGUSR1, 0, &old, 4));
    return 0;
}
