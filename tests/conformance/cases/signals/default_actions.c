/* Default actions, in a child that sends each signal to itself with kill(2):
 * SIGHUP, SIGINT, SIGPIPE, SIGALRM, SIGTERM, SIGUSR1/2, SIGPROF, SIGVTALRM, SIGIO,
 * SIGPWR, SIGSTKFLT and real-time signals terminate; SIGQUIT, SIGILL, SIGTRAP,
 * SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS terminate with a core
 * (WCOREDUMP is 0 here, with RLIMIT_CORE 0); SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU
 * stop (the child is put in a group of its own whose parent is outside it, in
 * the same session: stop signals to an orphaned group would be discarded);
 * SIGCHLD, SIGURG, SIGWINCH and SIGCONT are ignored.
 */
#include "case.h"

static void one(int sig)
{
    pid_t c = fork();
    if (c == 0) {
        struct rlimit rl = {0, 0};
        setrlimit(RLIMIT_CORE, &rl);
        sigset_t s;
        sigemptyset(&s);
        sigprocmask(SIG_SETMASK, &s, 0);
        setpgid(0, 0);
        kill(getpid(), sig);
        _exit(100);
    }
    int st;
    waitpid(c, &st, WUNTRACED);
    if (WIFSTOPPED(st)) {
        SAY("%2d %-8s stop by %d", sig, sigabbrev_np(sig), WSTOPSIG(st));
        kill(c, SIGKILL);
        waitpid(c, &st, 0);
    } else if (WIFSIGNALED(st))
        SAY("%2d %-8s term by %d core=%d", sig, sigabbrev_np(sig), WTERMSIG(st), WCOREDUMP(st) != 0);
    else
        SAY("%2d %-8s ignored, exit %d", sig, sigabbrev_np(sig), WEXITSTATUS(st));
}

int main(void)
{
    for (int s = 1; s < 32; s++)
        if (s != SIGKILL)
            one(s);
    one(SIGRTMIN);
    one(SIGRTMAX);
    one(SIGKILL);
    return 0;
}
