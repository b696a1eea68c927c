/* glibc's fork caches the child's tid (the kernel writes it with
 * CLONE_CHILD_SETTID); raise(3) and pthread_kill(3) in the child use it with
 * tgkill, so they reach the child itself: a handler runs, and a default action
 * ends it with that signal.
 */
#include "case.h"
#include <pthread.h>

static volatile int hits;
static void on(int s) { hits++; }

int main(void)
{
    signal(SIGUSR1, on);
    pid_t c = fork();
    if (c == 0) {
        SHOW("raise", raise(SIGUSR1));
        SHOW("pthread_kill self", pthread_kill(pthread_self(), SIGUSR1));
        SAY("handler ran=%d", hits);
        signal(SIGUSR2, SIG_DFL);
        pthread_kill(pthread_self(), SIGUSR2);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    SAY("child signaled=%d sig=%d", WIFSIGNALED(st), WTERMSIG(st));
    c = fork();
    if (c == 0) {
        pid_t c2 = fork();   /* a grandchild too: its tid cache is set the same way */
        if (c2 == 0) { raise(SIGTERM); _exit(0); }
        int s2;
        waitpid(c2, &s2, 0);
        _exit(WIFSIGNALED(s2) ? WTERMSIG(s2) : 100);
    }
    waitpid(c, &st, 0);
    SAY("grandchild raise: termsig=%d", WEXITSTATUS(st));
    return 0;
}
