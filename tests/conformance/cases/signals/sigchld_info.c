/* SIGCHLD reports a child's exit (CLD_EXITED, status the code), its death by a
 * signal (CLD_KILLED), its stop (CLD_STOPPED) and continuation (CLD_CONTINUED),
 * with si_pid the child's; SA_NOCLDSTOP leaves out stops and continues.
 */
#include "case.h"

static volatile int codes[8], stats[8], pids_ok[8], n;
static pid_t child;
static void h(int s, siginfo_t *si, void *u)
{
    codes[n] = si->si_code;
    stats[n] = si->si_status;
    pids_ok[n++] = si->si_pid == child;
}

static void waitn(int k) { while (n < k) usleep(1000); }

/* fork with SIGCHLD blocked until `child` is set: a child that ends at once
 * must not be reported before its parent knows its pid. */
static pid_t fork_child(void)
{
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    child = fork();
    if (child != 0)
        sigprocmask(SIG_SETMASK, &old, 0);
    return child;
}

int main(void)
{
    struct sigaction sa = {0};
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGCHLD, &sa, 0);
    if (fork_child() == 0) { sigprocmask(SIG_SETMASK, &(sigset_t){0}, 0); for (;;) pause(); }
    kill(child, SIGSTOP);
    waitn(1);
    kill(child, SIGCONT);
    waitn(2);
    kill(child, SIGTERM);
    waitn(3);
    waitpid(child, 0, 0);
    if (fork_child() == 0) _exit(7);
    waitn(4);
    waitpid(child, 0, 0);
    for (int i = 0; i < 4; i++)
        SAY("%d: code=%d status=%d pid=%d", i, codes[i], stats[i], pids_ok[i]);
    sa.sa_flags = SA_SIGINFO | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, 0);
    n = 0;
    if (fork_child() == 0) { sigprocmask(SIG_SETMASK, &(sigset_t){0}, 0); for (;;) pause(); }
    kill(child, SIGSTOP);
    usleep(50000);
    SAY("nocldstop: stop reported=%d", n);
    kill(child, SIGKILL);
    waitn(1);
    SAY("kill reported: code=%d status=%d", codes[0], stats[0]);
    waitpid(child, 0, 0);
    return 0;
}
