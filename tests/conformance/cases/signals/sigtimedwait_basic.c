/* sigtimedwait(2): with nothing pending it fails with EAGAIN at the timeout; a
 * pending blocked signal is taken at once, with si_code SI_USER and si_pid the
 * sender's for kill, SI_QUEUE and the value for sigqueue, SI_TKILL for raise;
 * a negative or too large tv_nsec is EINVAL.
 */
#include "case.h"

int main(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &s, 0);
    struct timespec t = {0, 20000000};
    siginfo_t si;
    SHOW("nothing pending", sigtimedwait(&s, &si, &t));
    kill(getpid(), SIGUSR1);
    SHOW("kill", sigtimedwait(&s, &si, &t));
    SAY("code=%d pid self=%d uid=%d", si.si_code, si.si_pid == getpid(), si.si_uid);
    sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 1234});
    SHOW("sigqueue", sigtimedwait(&s, &si, &t) == SIGRTMIN);
    SAY("code=%d value=%d pid self=%d", si.si_code, si.si_value.sival_int, si.si_pid == getpid());
    raise(SIGUSR1);
    SHOW("raise", sigtimedwait(&s, &si, &t));
    SAY("code=%d", si.si_code);
    pid_t c = fork();
    if (c == 0) { kill(getppid(), SIGUSR1); _exit(0); }
    SHOW("from child", sigwaitinfo(&s, &si));
    SAY("pid is child's=%d", si.si_pid == c);
    waitpid(c, 0, 0);
    struct timespec bad = {0, -1}, big = {0, 1000000000};
    SHOW("negative nsec", sigtimedwait(&s, &si, &bad));
    SHOW("nsec too big", sigtimedwait(&s, &si, &big));
    return 0;
}
