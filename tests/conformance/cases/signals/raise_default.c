/* family: signals
 * A signal whose action is the default ends the process that raised it (SIGUSR1,
 * SIGABRT, SIGSEGV), and its parent's wait status names the signal; an ignored
 * one does nothing; a caught one runs the handler, once.
 */
#include "case.h"

static volatile int caught;
static void on(int s) { caught++; }

static void child_raises(const char *label, int sig, int how)
{
    pid_t c = fork();
    if (c == 0) {
        if (how == 1)
            signal(sig, SIG_IGN);
        if (how == 2)
            signal(sig, on);
        raise(sig);
        _exit(caught ? 3 : 0);
    }
    int st;
    waitpid(c, &st, 0);
    SAY("%s: exited=%d code=%d signaled=%d sig=%d", label, WIFEXITED(st), WIFEXITED(st) ? WEXITSTATUS(st) : -1,
        WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

int main(void)
{
    child_raises("usr1 default", SIGUSR1, 0);
    child_raises("abrt default", SIGABRT, 0);
    child_raises("segv default", SIGSEGV, 0);
    child_raises("usr1 ignored", SIGUSR1, 1);
    child_raises("usr1 caught", SIGUSR1, 2);
    child_raises("term default", SIGTERM, 0);
    return 0;
}
