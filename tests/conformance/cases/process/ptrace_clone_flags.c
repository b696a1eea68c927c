/* clone's ptrace flags: a traced process's child made with CLONE_PTRACE is traced
 * by the same tracer though no PTRACE_O_TRACE* option asks for it (it starts in
 * a SIGSTOP stop, and no event stop is reported); with CLONE_UNTRACED and
 * PTRACE_O_TRACEFORK set, there is no fork event and the child is not traced
 * (the tracer cannot wait for it: ECHILD).
 */
#include "case.h"
#include <sys/ptrace.h>

int main(void)
{
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        sigset_t chld;                   /* no SIGCHLD stops: they would race the pipe */
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        sigprocmask(SIG_BLOCK, &chld, 0);
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        long g = syscall(SYS_clone, SIGCHLD | 0x2000 /* CLONE_PTRACE */, 0, 0, 0, 0);
        if (g == 0)
            _exit(3);
        write(p[1], &g, sizeof g);
        int st;
        waitpid(g, &st, 0);
        raise(SIGSTOP);                  /* the tracer sets PTRACE_O_TRACEFORK here */
        long u = syscall(SYS_clone, SIGCHLD | CLONE_UNTRACED, 0, 0, 0, 0);
        if (u == 0)
            _exit(4);
        write(p[1], &u, sizeof u);
        waitpid(u, &st, 0);
        _exit(WEXITSTATUS(st));
    }
    int st;
    waitpid(c, &st, 0);
    ptrace(PTRACE_CONT, c, 0, 0);
    long g;
    read(p[0], &g, sizeof g);
    SHOW("wait CLONE_PTRACE child", waitpid(g, &st, __WALL) == g);
    SAY("stopped=%d sig=%s event=%d", WIFSTOPPED(st), sigabbrev_np(WSTOPSIG(st)), st >> 16);
    SHOW("cont it", ptrace(PTRACE_CONT, g, 0, 0));
    SHOW("wait its exit", waitpid(g, &st, __WALL) == g);
    SAY("exited=%d code=%d", WIFEXITED(st), WEXITSTATUS(st));
    waitpid(c, &st, __WALL);
    SAY("child stopped=%d sig=%s event=%d", WIFSTOPPED(st), sigabbrev_np(WSTOPSIG(st)), st >> 16);
    SHOW("setoptions TRACEFORK", ptrace(PTRACE_SETOPTIONS, c, 0, PTRACE_O_TRACEFORK));
    ptrace(PTRACE_CONT, c, 0, 0);
    long u;
    read(p[0], &u, sizeof u);
    SHOW("wait CLONE_UNTRACED child", waitpid(u, &st, __WALL | WNOHANG));
    SHOW("wait child", waitpid(c, &st, __WALL) == c);
    SAY("child exited=%d code=%d", WIFEXITED(st), WEXITSTATUS(st));
    return 0;
}
