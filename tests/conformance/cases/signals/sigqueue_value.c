/* sigqueue(3) (rt_sigqueueinfo) delivers its value to an SA_SIGINFO handler
 * with si_code SI_QUEUE, si_pid the sender, si_uid its real uid; real-time
 * signals queue and are delivered lowest number first, in order of sending
 * within one number.
 */
#include "case.h"

static int vals[8], sigs[8], n, code, pid_ok;
static void h(int s, siginfo_t *si, void *u)
{
    sigs[n] = s;
    vals[n++] = si->si_value.sival_int;
    code = si->si_code;
    pid_ok = si->si_pid == getpid();
}

int main(void)
{
    struct sigaction sa = {0};
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGRTMIN, &sa, 0);
    sigaction(SIGRTMIN + 1, &sa, 0);
    SHOW("sigqueue", sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 42}));
    SAY("value=%d code=%d pid self=%d", vals[0], code, pid_ok);
    sigset_t b;
    sigemptyset(&b);
    sigaddset(&b, SIGRTMIN);
    sigaddset(&b, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &b, 0);
    n = 0;
    sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_int = 1});
    sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 2});
    sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 3});
    sigprocmask(SIG_UNBLOCK, &b, 0);
    SAY("delivered=%d order: %d:%d %d:%d %d:%d", n, sigs[0] - SIGRTMIN, vals[0], sigs[1] - SIGRTMIN, vals[1],
        sigs[2] - SIGRTMIN, vals[2]);
    SHOW("sigqueue unknown pid", sigqueue(99999, SIGRTMIN, (union sigval){0}));
    siginfo_t si = {0};
    si.si_code = SI_USER;
    SHOW("rt_sigqueueinfo SI_USER to another", syscall(SYS_rt_sigqueueinfo, 99999, SIGRTMIN, &si));
    return 0;
}
