/* execve(2) resets caught signals to SIG_DFL, keeps ignored ones ignored, and
 * keeps the signal mask and pending signals; an alternate signal stack is
 * dropped.
 */
#include "case.h"

static void h(int s) {}

int main(int argc, char **argv)
{
    if (argc > 1) {
        struct sigaction a;
        sigaction(SIGUSR1, 0, &a);
        SAY("caught -> default=%d", a.sa_handler == SIG_DFL);
        sigaction(SIGUSR2, 0, &a);
        SAY("ignored stays=%d", a.sa_handler == SIG_IGN);
        sigset_t m, p;
        sigprocmask(SIG_BLOCK, 0, &m);
        sigpending(&p);
        SAY("mask kept=%d pending kept=%d", sigismember(&m, SIGHUP), sigismember(&p, SIGHUP));
        stack_t ss;
        sigaltstack(0, &ss);
        SAY("altstack disabled=%d", (ss.ss_flags & SS_DISABLE) != 0);
        return 0;
    }
    signal(SIGUSR1, h);
    signal(SIGUSR2, SIG_IGN);
    sigset_t b;
    sigemptyset(&b);
    sigaddset(&b, SIGHUP);
    sigprocmask(SIG_BLOCK, &b, 0);
    raise(SIGHUP);
    static char stk[65536];
    stack_t ss = {.ss_sp = stk, .ss_size = sizeof stk};
    sigaltstack(&ss, 0);
    char *a[] = {argv[0], "x", 0};
    execv(argv[0], a);
    return 1;
}
