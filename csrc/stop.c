/*
 * Stop layer: one C call per ptrace stop of a guest thread (uh_wait: waitpid,
 * decode, registers) and one per resume (uh_resume: optional SETREGS, then
 * CONT/SYSCALL/LISTEN/DETACH), plus the registers, siginfo and signal mask
 * of a stopped thread.  Stops whose answer Python has already decided are
 * answered without it (answer.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "helper.h"

/* Under PTRACE_O_TRACESYSGOOD a syscall stop reports SIGTRAP | 0x80: fetch
 * the registers, and whether this is the entry or the exit. */
static void decode_syscall(struct uh_stop *st)
{
    struct __ptrace_syscall_info info;
    st->kind = UH_SYSCALL;
    if (ptrace(PTRACE_GET_SYSCALL_INFO, st->tid, sizeof info, &info) > 0)
        st->op = info.op;
    ptrace(PTRACE_GETREGS, st->tid, 0, &st->regs);
}

/* A PTRACE_EVENT_* stop. */
static void decode_event(struct uh_stop *st, int sig, int event)
{
    st->event = event;
    if (event == PTRACE_EVENT_SECCOMP) {
        st->kind = UH_SECCOMP;
        ptrace(PTRACE_GETEVENTMSG, st->tid, 0, &st->msg);
        ptrace(PTRACE_GETREGS, st->tid, 0, &st->regs);
    } else if (event == PTRACE_EVENT_STOP) {
        /* Under PTRACE_SEIZE a group-stop reports the stopping signal;
         * PTRACE_INTERRUPT and a new child's first stop report SIGTRAP. */
        if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
            st->kind = UH_GROUP_STOP;
        else
            st->kind = UH_INTERRUPT;
    } else {
        st->kind = UH_EVENT;
        ptrace(PTRACE_GETEVENTMSG, st->tid, 0, &st->msg);
        if (event == PTRACE_EVENT_EXEC)
            ptrace(PTRACE_GETREGS, st->tid, 0, &st->regs);
    }
}

static void decode(struct uh_stop *st)
{
    int status = st->status;
    st->event = 0;
    st->sig = 0;
    st->msg = 0;
    st->op = 0;
    if (WIFEXITED(status)) {
        st->kind = UH_EXITED;
        st->sig = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        st->kind = UH_KILLED;
        st->sig = WTERMSIG(status);
    } else {
        st->sig = WSTOPSIG(status);
        if (st->sig == (SIGTRAP | 0x80))
            decode_syscall(st);
        else if (status >> 16)
            decode_event(st, st->sig, status >> 16);
        else
            st->kind = UH_SIGNAL;
    }
}

int uh_wait(struct uh_stop *st, int tid, int nohang)
{
    int status;
    /* __WNOTHREAD: only this thread's children and tracees, never other
     * children of the process that embeds us. */
    pid_t r = waitpid(tid, &status, __WALL | __WNOTHREAD | (nohang ? WNOHANG : 0));
    if (r < 0)
        return -errno;
    if (r == 0)
        return 0;
    st->tid = r;
    st->status = status;
    decode(st);
    return r;
}

/* Collect every stop that is ready, up to `max`: the first one blocking
 * (unless nohang), the rest without waiting.  waitpid(-1) reports the
 * newest tracee first, so a caller that served one stop per waitpid would
 * let a few busy new threads starve every older thread; served as a batch,
 * in order, each stopped thread waits behind at most one stop of every
 * other thread.  Stops answer.c can answer are answered once the batch is
 * taken (not before: a thread resumed early could stop again and be
 * reported again ahead of older ones) and left out; if that leaves none,
 * wait again.  Returns how many stops were stored, 0 if nohang found
 * none, or -errno (-ECHILD: no tracee is left). */
int uh_wait_many(struct uh_stop *st, int max, int nohang)
{
    for (;;) {
        int n, kept = 0;
        int r;
        uh_prefetch_clear();                /* the last batch's stops have all been served */
        r = uh_wait(&st[0], -1, nohang);
        if (r <= 0)
            return r;
        for (n = 1; n < max; n++)
            if (uh_wait(&st[n], -1, 1) <= 0)
                break;
        for (int i = 0; i < n; i++) {
            uh_restart_check(&st[i]);           /* an open answer.c handed over, beaten by a signal */
            if (uh_answer_stop(&st[i]))
                continue;
            if (kept != i)
                st[kept] = st[i];
            kept++;
        }
        if (kept || nohang)
            return kept;
    }
}

int uh_resume(int tid, int how, int sig, const struct user_regs_struct *regs)
{
    int req;
    if (regs && ptrace(PTRACE_SETREGS, tid, 0, regs) < 0)
        return -errno;
    switch (how) {
    case UH_CONT: req = PTRACE_CONT; break;
    case UH_STEP_SYSCALL: req = PTRACE_SYSCALL; break;
    case UH_LISTEN: req = PTRACE_LISTEN; break;
    case UH_DETACH: req = PTRACE_DETACH; break;
    case UH_SINGLESTEP: req = PTRACE_SINGLESTEP; break;
    default: return -EINVAL;
    }
    if (ptrace(req, tid, 0, (void *)(long)sig) < 0)
        return -errno;
    return 0;
}

int uh_setregs(int tid, const struct user_regs_struct *regs)
{
    return ptrace(PTRACE_SETREGS, tid, 0, regs) < 0 ? -errno : 0;
}

int uh_getregs(int tid, struct user_regs_struct *regs)
{
    return ptrace(PTRACE_GETREGS, tid, 0, regs) < 0 ? -errno : 0;
}

int uh_interrupt(int tid)
{
    return ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 ? -errno : 0;
}

/* Any other request on a stopped tracee, for the guest kernel's emulation of
 * ptrace (kernel/ptrace.py): the rare ones (PEEKUSER of the debug registers,
 * GETREGSET of the FPU state, POKETEXT) are not worth one function each.
 * A PEEK request's word goes to *out; the result is 0 or -errno. */
int uh_ptrace(int req, int tid, uint64_t addr, uint64_t data, long *out)
{
    long r;
    errno = 0;
    r = ptrace(req, tid, (void *)addr, (void *)data);
    if (r == -1 && errno)
        return -errno;
    if (out)
        *out = r;
    return 0;
}

/* The siginfo of a signal-delivery-stop, read or replaced (128 bytes). */
int uh_getsiginfo(int tid, void *buf)
{
    return ptrace(PTRACE_GETSIGINFO, tid, 0, buf) < 0 ? -errno : 0;
}

int uh_setsiginfo(int tid, const void *buf)
{
    return ptrace(PTRACE_SETSIGINFO, tid, 0, buf) < 0 ? -errno : 0;
}

/* The blocked-signal mask of a stopped thread (8 bytes: the kernel's sigset). */
int uh_getsigmask(int tid, uint64_t *mask)
{
    return ptrace(PTRACE_GETSIGMASK, tid, (void *)8, mask) < 0 ? -errno : 0;
}

int uh_setsigmask(int tid, uint64_t mask)
{
    return ptrace(PTRACE_SETSIGMASK, tid, (void *)8, &mask) < 0 ? -errno : 0;
}
