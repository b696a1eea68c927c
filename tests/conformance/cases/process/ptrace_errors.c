/* ptrace's errors: a pid that is no tracee of the caller, or a tracee not in a
 * ptrace-stop, is ESRCH; attaching to oneself, to a thread of one's own process
 * or to a traced process is EPERM; TRACEME twice is EPERM; an invalid signal,
 * SEIZE with addr or unknown options, INTERRUPT of a non-seized tracee, PEEKUSER
 * at an unaligned offset and an unknown request are EIO; SETOPTIONS with
 * unknown bits and GETREGSET of an unknown set are EINVAL.  After PTRACE_DETACH
 * the tracee is no longer the caller's.
 */
#include "case.h"
#include <elf.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>

int main(void)
{
    SHOW("peek not a tracee (parent)", ptrace(PTRACE_PEEKDATA, getppid(), 0, 0));
    SHOW("attach self", ptrace(PTRACE_ATTACH, getpid(), 0, 0));
    SHOW("attach no such pid", ptrace(PTRACE_ATTACH, 999999, 0, 0));
    SHOW("attach pid 0", ptrace(PTRACE_ATTACH, 0, 0, 0));
    SHOW("cont no such pid", ptrace(PTRACE_CONT, 999999, 0, 0));
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        char b;
        SHOW("child: traceme", ptrace(PTRACE_TRACEME, 0, 0, 0));
        SHOW("child: traceme again", ptrace(PTRACE_TRACEME, 0, 0, 0));
        raise(SIGSTOP);
        read(p[0], &b, 1);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    SAY("stopped sig=%s", sigabbrev_np(WSTOPSIG(st)));
    SHOW("attach traced", ptrace(PTRACE_ATTACH, c, 0, 0));
    SHOW("seize traced", ptrace(PTRACE_SEIZE, c, 0, 0));
    SHOW("cont bad signal", ptrace(PTRACE_CONT, c, 0, 100));
    SHOW("interrupt not seized", ptrace(PTRACE_INTERRUPT, c, 0, 0));
    SHOW("listen not seized", ptrace(PTRACE_LISTEN, c, 0, 0));
    SHOW("peekuser unaligned", ptrace(PTRACE_PEEKUSER, c, 5, 0));
    SHOW("setoptions unknown", ptrace(PTRACE_SETOPTIONS, c, 0, 0x80000000UL));
    struct user_regs_struct r;
    struct iovec iov = { &r, sizeof r };
    SHOW("getregset unknown", ptrace(PTRACE_GETREGSET, c, 0x9999, &iov));
    SHOW("getregset prstatus", ptrace(PTRACE_GETREGSET, c, NT_PRSTATUS, &iov));
    SAY("iov_len=%zu", iov.iov_len);
    SHOW("unknown request", ptrace((enum __ptrace_request)0x7777, c, 0, 0));
    SHOW("getregs bad pointer", ptrace(PTRACE_GETREGS, c, 0, (void *)8));
    SHOW("detach", ptrace(PTRACE_DETACH, c, 0, 0));
    SHOW("peek after detach", ptrace(PTRACE_PEEKDATA, c, 0, 0));
    SHOW("seize bad options", ptrace(PTRACE_SEIZE, c, 0, 0x800000));
    SHOW("seize with addr", ptrace(PTRACE_SEIZE, c, 8, 0));
    SHOW("seize", ptrace(PTRACE_SEIZE, c, 0, 0));
    SHOW("cont while running", ptrace(PTRACE_CONT, c, 0, 0));
    SHOW("wait nohang", waitpid(c, &st, WNOHANG | __WALL));
    write(p[1], "x", 1);
    SHOW("wait exit", waitpid(c, &st, __WALL) == c);
    SAY("exited=%d code=%d", WIFEXITED(st), WEXITSTATUS(st));
    return 0;
}
