/* sigsuspend(2) replaces the mask while it waits, returns -1 EINTR after a
 * handler ran, and puts the old mask back; a signal blocked before is
 * delivered during sigsuspend if the temporary mask lets it through.
 */
#include "case.h"

static volatile int got;
static void h(int s) { got = s; }

int main(void)
{
    signal(SIGUSR1, h);
    sigset_t b, empty, now;
    sigemptyset(&b);
    sigaddset(&b, SIGUSR1);
    sigprocmask(SIG_BLOCK, &b, 0);
    raise(SIGUSR1);
    SAY("held while blocked=%d", got == 0);
    sigemptyset(&empty);
    SHOW("sigsuspend", sigsuspend(&empty));
    SAY("handled=%d", got == SIGUSR1);
    sigprocmask(SIG_BLOCK, 0, &now);
    SAY("mask restored=%d", sigismember(&now, SIGUSR1));
    got = 0;
    pid_t c = fork();
    if (c == 0) { usleep(30000); kill(getppid(), SIGUSR1); _exit(0); }
    SHOW("sigsuspend for child's signal", sigsuspend(&empty));
    SAY("handled=%d", got == SIGUSR1);
    waitpid(c, 0, 0);
    return 0;
}
