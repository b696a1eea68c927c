/* A program started by an ordinary parent with default dispositions sees every
 * signal's action as SIG_DFL and an empty signal mask: whatever the launcher's
 * own runtime ignored (Python ignores SIGPIPE and SIGXFSZ) must be reset before
 * the first guest program runs, so that kill -XFSZ ends a process.
 */
#include "case.h"

int main(void)
{
    int notdfl = 0;
    for (int s = 1; s <= 64; s++) {
        struct sigaction sa;
        if (sigaction(s, 0, &sa) == 0 && sa.sa_handler != SIG_DFL) {
            SAY("signal %d (%s) is not SIG_DFL", s, sigabbrev_np(s) ? sigabbrev_np(s) : "rt");
            notdfl++;
        }
    }
    SAY("not default=%d", notdfl);
    sigset_t m;
    sigprocmask(SIG_BLOCK, 0, &m);
    int blocked = 0;
    for (int s = 1; s <= 64; s++)
        blocked += sigismember(&m, s) == 1;
    SAY("blocked=%d", blocked);
    pid_t c = fork();
    if (c == 0) { kill(getpid(), SIGXFSZ); _exit(0); }
    int st;
    waitpid(c, &st, 0);
    SAY("SIGXFSZ kills a child: signaled=%d sig=%d", WIFSIGNALED(st), WTERMSIG(st));
    return 0;
}
