/* PTRACE_TRACEME: the parent becomes the tracer.  The child's raise(SIGSTOP) is a
 * signal-delivery-stop the parent's waitpid reports as (SIGSTOP<<8)|0x7f; at a stop
 * the tracer reads registers (GETREGS, PEEKUSER), memory (PEEKDATA) and writes it
 * (POKEDATA).  PTRACE_SYSCALL stops at the next syscall's entry (orig_rax is its
 * number, rax -ENOSYS) and exit (rax its result); with PTRACE_O_TRACESYSGOOD the
 * status is (SIGTRAP|0x80)<<8|0x7f.  PTRACE_O_TRACEFORK reports the fork as an
 * event stop (status>>16 == PTRACE_EVENT_FORK), GETEVENTMSG gives the child's pid,
 * and the child starts traced, in a SIGSTOP stop.  A signal the tracer passes to
 * PTRACE_CONT is delivered; one it does not pass is not.  The tracee's exit is
 * reported to the tracer (its parent) once.
 */
#include "case.h"
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/user.h>

static volatile long cell = 1234;
static volatile int got_usr1;
static void on_usr1(int s) { got_usr1++; }

int main(void)
{
    pid_t c = fork();
    if (c == 0) {
        signal(SIGUSR1, on_usr1);
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        getppid();                           /* the syscall the tracer steps through */
        raise(SIGUSR2);                      /* suppressed by the tracer */
        raise(SIGUSR1);                      /* delivered by the tracer */
        pid_t g = fork();
        if (g == 0)
            _exit(7);
        int st;
        waitpid(g, &st, 0);
        _exit(cell == 99 && got_usr1 == 1 ? 3 : 4);
    }
    int st;
    SHOW("wait stop", waitpid(c, &st, 0) == c);
    SAY("stopped=%d sig=%s status=%#x", WIFSTOPPED(st), sigabbrev_np(WSTOPSIG(st)), st);
    errno = 0;
    long v = ptrace(PTRACE_PEEKDATA, c, (void *)&cell, 0);
    SAY("peekdata=%ld errno=%d", v, errno);
    SHOW("pokedata", ptrace(PTRACE_POKEDATA, c, (void *)&cell, (void *)99L));
    SHOW("peek bad address", ptrace(PTRACE_PEEKDATA, c, (void *)8, 0));
    SHOW("setoptions", ptrace(PTRACE_SETOPTIONS, c, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK));
    SHOW("setoptions bad", ptrace(PTRACE_SETOPTIONS, c, 0, 0x800000));
    /* to the entry of getppid */
    SHOW("syscall", ptrace(PTRACE_SYSCALL, c, 0, 0));
    waitpid(c, &st, 0);
    SAY("entry status=%#x sysgood=%d", st, WSTOPSIG(st) == (SIGTRAP | 0x80));
    struct user_regs_struct r;
    SHOW("getregs", ptrace(PTRACE_GETREGS, c, 0, &r));
    SAY("entry orig_rax is getppid=%d rax=%lld", r.orig_rax == SYS_getppid, (long long)r.rax);
    long orig = ptrace(PTRACE_PEEKUSER, c, offsetof(struct user_regs_struct, orig_rax), 0);
    SAY("peekuser orig_rax is getppid=%d", orig == SYS_getppid);
    SHOW("peekuser unaligned", ptrace(PTRACE_PEEKUSER, c, 3, 0));
    SHOW("peekuser beyond struct user", ptrace(PTRACE_PEEKUSER, c, sizeof(struct user) + 8, 0));
    SHOW("syscall", ptrace(PTRACE_SYSCALL, c, 0, 0));
    waitpid(c, &st, 0);
    SHOW("getregs", ptrace(PTRACE_GETREGS, c, 0, &r));
    SAY("exit status=%#x orig_rax is getppid=%d rax is our pid=%d", st, r.orig_rax == SYS_getppid,
        (pid_t)r.rax == getpid());
    /* run until the SIGUSR2 signal-delivery-stop; suppress it */
    ptrace(PTRACE_CONT, c, 0, 0);
    waitpid(c, &st, 0);
    SAY("signal stop status=%#x sig=%s", st, sigabbrev_np(WSTOPSIG(st)));
    siginfo_t si;
    SHOW("getsiginfo", ptrace(PTRACE_GETSIGINFO, c, 0, &si));
    SAY("si_signo=%s si_code=%d si_pid is the child=%d", sigabbrev_np(si.si_signo), si.si_code, si.si_pid == c);
    ptrace(PTRACE_CONT, c, 0, 0);
    waitpid(c, &st, 0);
    SAY("signal stop sig=%s", sigabbrev_np(WSTOPSIG(st)));
    ptrace(PTRACE_CONT, c, 0, SIGUSR1);
    /* the fork event */
    waitpid(c, &st, 0);
    SAY("fork event=%d sig=%s", st >> 16 == PTRACE_EVENT_FORK, sigabbrev_np(WSTOPSIG(st)));
    unsigned long msg = 0;
    SHOW("geteventmsg", ptrace(PTRACE_GETEVENTMSG, c, 0, &msg));
    pid_t g = msg;
    int gst;
    SHOW("wait grandchild", waitpid(g, &gst, __WALL) == g);
    SAY("grandchild starts stopped=%d sig=%s", WIFSTOPPED(gst), sigabbrev_np(WSTOPSIG(gst)));
    SHOW("cont grandchild", ptrace(PTRACE_CONT, g, 0, 0));
    SHOW("cont child", ptrace(PTRACE_CONT, c, 0, 0));
    SHOW("wait grandchild exit", waitpid(g, &gst, __WALL) == g);
    SAY("grandchild exited=%d code=%d", WIFEXITED(gst), WEXITSTATUS(gst));
    /* the grandchild's exit sends the child SIGCHLD: a signal-delivery-stop
     * the tracer passes on; then the child's exit is reported */
    SHOW("wait child", waitpid(c, &st, 0) == c);
    SAY("child stopped=%d sig=%s", WIFSTOPPED(st), sigabbrev_np(WSTOPSIG(st)));
    SHOW("cont with SIGCHLD", ptrace(PTRACE_CONT, c, 0, SIGCHLD));
    SHOW("wait child", waitpid(c, &st, 0) == c);
    SAY("child exited=%d code=%d", WIFEXITED(st), WEXITSTATUS(st));
    SHOW("wait again", waitpid(c, &st, WNOHANG));
    SHOW("ptrace after exit", ptrace(PTRACE_CONT, c, 0, 0));
    return 0;
}
