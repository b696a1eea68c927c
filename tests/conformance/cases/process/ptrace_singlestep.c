/* PTRACE_SINGLESTEP runs one instruction and stops with SIGTRAP (status 0x57f,
 * si_code TRAP_TRACE); a `syscall` instruction is one step too, after which rax
 * holds the syscall's result.  SETREGS moves the tracee's rip; restoring the
 * saved registers lets it go on as if nothing happened.
 */
#include "case.h"
#include <sys/ptrace.h>
#include <sys/user.h>

extern char ss_start[], ss_sys[], ss_end[];

/* a block of instructions the tracer steps through (never called) */
asm(".text\n.globl ss_start\nss_start: nop\n nop\n nop\n"
    " mov $110, %eax\n"                        /* getppid */
    ".globl ss_sys\nss_sys: syscall\n"
    ".globl ss_end\nss_end: nop\n ret\n");

int main(void)
{
    pid_t c = fork();
    if (c == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        _exit(5);
    }
    int st;
    waitpid(c, &st, 0);
    SAY("stopped sig=%s", sigabbrev_np(WSTOPSIG(st)));
    struct user_regs_struct saved, r;
    SHOW("getregs", ptrace(PTRACE_GETREGS, c, 0, &saved));
    r = saved;
    r.rip = (unsigned long)ss_start;
    SHOW("setregs", ptrace(PTRACE_SETREGS, c, 0, &r));
    for (int i = 1; i <= 4; i++) {
        SHOW("singlestep", ptrace(PTRACE_SINGLESTEP, c, 0, 0));
        waitpid(c, &st, 0);
        ptrace(PTRACE_GETREGS, c, 0, &r);
        siginfo_t si;
        ptrace(PTRACE_GETSIGINFO, c, 0, &si);
        SAY("step %d: status=%#x rip=ss_start+%ld si_code=%d", i, st,
            (long)(r.rip - (unsigned long)ss_start), si.si_code);
    }
    SHOW("singlestep over syscall", ptrace(PTRACE_SINGLESTEP, c, 0, 0));
    waitpid(c, &st, 0);
    ptrace(PTRACE_GETREGS, c, 0, &r);
    SAY("after syscall: status=%#x at ss_end=%d rax is our pid=%d", st, r.rip == (unsigned long)ss_end,
        (pid_t)r.rax == getpid());
    SHOW("restore", ptrace(PTRACE_SETREGS, c, 0, &saved));
    SHOW("cont", ptrace(PTRACE_CONT, c, 0, 0));
    waitpid(c, &st, 0);
    SAY("exited=%d code=%d", WIFEXITED(st), WEXITSTATUS(st));
    return 0;
}
