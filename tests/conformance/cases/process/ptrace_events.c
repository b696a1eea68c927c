/* Event stops: with PTRACE_O_TRACECLONE a new thread is reported as
 * PTRACE_EVENT_CLONE (GETEVENTMSG: its tid) and starts traced, in a SIGSTOP
 * stop; with PTRACE_O_TRACEEXIT each thread stops at its exit
 * (PTRACE_EVENT_EXIT, GETEVENTMSG: its wait status) before the exit is
 * reported; with PTRACE_O_TRACEEXEC an execve is PTRACE_EVENT_EXEC
 * (GETEVENTMSG: the former tid), and no SIGTRAP follows.
 */
#include "case.h"
#include <pthread.h>
#include <sys/ptrace.h>

static void *thread(void *a) { return 0; }

static void ev(const char *what, pid_t pid)
{
    int st;
    pid_t r = waitpid(pid, &st, __WALL);
    unsigned long msg = 0;
    ptrace(PTRACE_GETEVENTMSG, r, 0, &msg);
    SAY("%s: got=%d stopped=%d sig=%s event=%d exited=%d code=%d", what, r == pid, WIFSTOPPED(st),
        WIFSTOPPED(st) ? sigabbrev_np(WSTOPSIG(st) & 0x7f) : "-", st >> 16, WIFEXITED(st), WEXITSTATUS(st));
    if (WIFSTOPPED(st) && st >> 16 == PTRACE_EVENT_EXIT)
        SAY("  exit status in the message: %#lx", msg);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return 9;                         /* the exec'd program */
    pid_t c = fork();
    if (c == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        pthread_t t;
        pthread_create(&t, 0, thread, 0);
        pthread_join(t, 0);
        execl(argv[0], argv[0], "again", (char *)0);
        _exit(1);
    }
    int st;
    waitpid(c, &st, 0);
    SHOW("setoptions", ptrace(PTRACE_SETOPTIONS, c, 0,
                              PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT));
    ptrace(PTRACE_CONT, c, 0, 0);
    waitpid(c, &st, __WALL);
    unsigned long tid = 0;
    ptrace(PTRACE_GETEVENTMSG, c, 0, &tid);
    SAY("clone event=%d sig=%s new tid is another=%d", st >> 16 == PTRACE_EVENT_CLONE,
        sigabbrev_np(WSTOPSIG(st)), tid != 0 && (pid_t)tid != c);
    ev("new thread", tid);
    SHOW("cont thread", ptrace(PTRACE_CONT, tid, 0, 0));
    ev("thread exiting", tid);
    SHOW("cont thread", ptrace(PTRACE_CONT, tid, 0, 0));
    ev("thread gone", tid);
    SHOW("cont", ptrace(PTRACE_CONT, c, 0, 0));
    waitpid(c, &st, __WALL);
    unsigned long former = 0;
    ptrace(PTRACE_GETEVENTMSG, c, 0, &former);
    SAY("exec event=%d sig=%s former is the child=%d", st >> 16 == PTRACE_EVENT_EXEC,
        sigabbrev_np(WSTOPSIG(st)), (pid_t)former == c);
    SHOW("cont", ptrace(PTRACE_CONT, c, 0, 0));
    ev("exiting", c);
    SHOW("cont", ptrace(PTRACE_CONT, c, 0, 0));
    ev("exit", c);
    return 0;
}
