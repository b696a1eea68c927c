/* sigprocmask(2): a blocked signal stays pending (sigpending shows it) and is
 * delivered, once, when unblocked (standard signals do not queue; real-time
 * ones do); SIGKILL and SIGSTOP cannot be blocked (silently left out); an
 * invalid `how` is EINVAL; the mask is inherited by fork.
 */
#include "case.h"

static volatile int n1, nrt;
static void h1(int s) { n1++; }
static void hrt(int s) { nrt++; }

int main(void)
{
    signal(SIGUSR1, h1);
    signal(SIGRTMIN, hrt);
    sigset_t s, old, pend;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGRTMIN);
    sigaddset(&s, SIGKILL);
    sigaddset(&s, SIGSTOP);
    SHOW("block", sigprocmask(SIG_BLOCK, &s, &old));
    sigprocmask(SIG_BLOCK, 0, &s);
    SAY("kill blocked=%d stop blocked=%d usr1 blocked=%d", sigismember(&s, SIGKILL), sigismember(&s, SIGSTOP),
        sigismember(&s, SIGUSR1));
    raise(SIGUSR1); raise(SIGUSR1);
    sigqueue(getpid(), SIGRTMIN, (union sigval){0});
    sigqueue(getpid(), SIGRTMIN, (union sigval){0});
    sigpending(&pend);
    SAY("pending usr1=%d rt=%d usr2=%d, delivered=%d", sigismember(&pend, SIGUSR1), sigismember(&pend, SIGRTMIN),
        sigismember(&pend, SIGUSR2), n1 + nrt);
    pid_t c = fork();
    if (c == 0) {
        sigset_t m, p;
        sigprocmask(SIG_BLOCK, 0, &m);
        sigpending(&p);
        _exit(sigismember(&m, SIGUSR1) * 10 + sigismember(&p, SIGUSR1));
    }
    int st;
    waitpid(c, &st, 0);
    SAY("child: mask inherited, pending not (10)=%d", WEXITSTATUS(st));
    SHOW("bad how", sigprocmask(42, &s, 0));
    sigprocmask(SIG_SETMASK, &old, 0);
    SAY("after unblock usr1 handled=%d rt handled=%d", n1, nrt);
    return 0;
}
