/* kill(0, sig) signals every process in the caller's group (the caller too);
 * kill(-pgid, sig) every process in group pgid; kill(-1, sig) every process the
 * caller may signal except itself and init -- in a PID namespace, every other
 * process in it.
 */
#include "case.h"

static volatile int got;
static void h(int s) { got++; }

static pid_t child(int pipew)
{
    pid_t c = fork();
    if (c == 0) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR1);
        sigprocmask(SIG_BLOCK, &s, 0);
        write(pipew, "r", 1);
        int sig;
        sigwait(&s, &sig);
        _exit(sig);
    }
    return c;
}

int main(void)
{
    signal(SIGUSR1, h);
    int p[2];
    pipe(p);
    char b;
    pid_t leader = fork();
    if (leader == 0) {
        setpgid(0, 0);
        signal(SIGUSR1, h);
        pid_t a = child(p[1]), d = child(p[1]);
        read(p[0], &b, 1); read(p[0], &b, 1);
        SHOW("kill(0)", kill(0, SIGUSR1));
        int st, n = 0;
        waitpid(a, &st, 0); n += WEXITSTATUS(st) == SIGUSR1;
        waitpid(d, &st, 0); n += WEXITSTATUS(st) == SIGUSR1;
        SAY("group members got it=%d caller too=%d", n, got);
        _exit(0);
    }
    waitpid(leader, 0, 0);
    pid_t a = child(p[1]);
    read(p[0], &b, 1);
    setpgid(a, a);
    pid_t d = child(p[1]);
    read(p[0], &b, 1);
    SHOW("kill(-pgid)", kill(-a, SIGUSR1));
    int st;
    waitpid(a, &st, 0);
    SAY("member got it=%d", WEXITSTATUS(st) == SIGUSR1);
    SAY("other still running=%d", waitpid(d, &st, WNOHANG) == 0);
    pid_t e = child(p[1]);
    read(p[0], &b, 1);
    got = 0;
    SHOW("kill(-1)", kill(-1, SIGUSR1));
    waitpid(d, &st, 0);
    int ok = WEXITSTATUS(st) == SIGUSR1;
    waitpid(e, &st, 0);
    SAY("both others got it=%d caller did not=%d", ok + (WEXITSTATUS(st) == SIGUSR1), got == 0);
    SHOW("kill(-1) nobody left", kill(-1, SIGUSR1));
    return 0;
}
