/* An ignored signal is discarded when it is sent, even while blocked, so it never
 * becomes pending and sigtimedwait(2) waiting for it times out with EAGAIN.
 * (Blocking does not keep an ignored signal: SIG_IGN wins.)
 */
#include "case.h"

int main(void)
{
    pid_t c = fork();
    if (c == 0) {
        signal(SIGUSR1, SIG_IGN);
        sigset_t s, p;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR2);
        sigprocmask(SIG_BLOCK, &s, 0);
        kill(getpid(), SIGUSR1);
        sigpending(&p);
        SAY("ignored not pending=%d", !sigismember(&p, SIGUSR1));
        struct timespec t = {0, 100000000};
        siginfo_t si;
        SHOW("wait other, ignored sent", sigtimedwait(&s, &si, &t));
        _exit(0);
    }
    waitpid(c, 0, 0);
    c = fork();
    if (c == 0) {
        signal(SIGUSR1, SIG_IGN);
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR2);
        sigprocmask(SIG_BLOCK, &s, 0);
        if (fork() == 0) { usleep(20000); kill(getppid(), SIGUSR1); _exit(0); }
        struct timespec t = {0, 200000000};
        siginfo_t si;
        SHOW("ignored from another process", sigtimedwait(&s, &si, &t));
        wait(0);
        _exit(0);
    }
    waitpid(c, 0, 0);
    return 0;
}
