/*
 * Answer layer: the results of calls whose answer the guest kernel has already
 * decided, kept in C so that a stop for one is answered inside uh_wait_many,
 * with no return to Python (issue 10: "answers in C").  getppid, getuid and
 * friends cost one seccomp stop on any ptrace backend; served in Python they
 * also pay the interpreter (about 4 us of 15).  Python stays the source of
 * truth: it stores an answer after its handler has computed one
 * (uh_answer_set), forgets a thread's answers when that thread's ids may change
 * (uh_answer_forget: set*id, execve, a guest tracer attaching), and forgets them
 * all when any process dies (uh_answer_forget_all: a parent's death changes its
 * children's getppid), which is one increment of a generation number.
 *
 * The table is direct-mapped by host tid with a short probe: tids are handed
 * out in order, so live ones rarely collide.  A thread that finds no slot
 * simply keeps stopping into Python.  The state is per supervisor thread
 * (__thread): a thread's tracees are only its own, and two sandboxes run from
 * two threads of one Python process must not see each other's answers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/ptrace.h>

#include "helper.h"

#define SLOTS 1024              /* a power of two */
#define PROBE 4

/* The calls that may be answered here, by their x86-64 numbers; the index in
 * this list is the bit in `have` and the counter in `answered`.  getpid and
 * gettid run natively; getpgrp is left out because another process (the
 * parent's setpgid) may change it. */
static const int answerable[UH_ANSWER_CALLS] = {
    102, /* getuid */  104, /* getgid */  107, /* geteuid */  108, /* getegid */
    110  /* getppid */
};

struct slot {
    int tid;                    /* host tid; 0: free */
    unsigned gen;               /* valid only while == generation */
    unsigned have;              /* bit i: val[i] is the answer to answerable[i] */
    long val[UH_ANSWER_CALLS];
};

static __thread struct slot slots[SLOTS];
static __thread unsigned generation = 1;
static __thread int enabled;
static __thread unsigned long answered[UH_ANSWER_CALLS];

static int call_index(long nr)
{
    for (int i = 0; i < UH_ANSWER_CALLS; i++)
        if (answerable[i] == nr)
            return i;
    return -1;
}

static struct slot *find(int tid, int make)
{
    struct slot *free_slot = NULL;
    for (int i = 0; i < PROBE; i++) {
        struct slot *s = &slots[(tid + i) & (SLOTS - 1)];
        if (s->gen == generation && s->tid == tid)
            return s;
        if (!free_slot && (s->gen != generation || s->tid == 0))
            free_slot = s;
    }
    if (!make || !free_slot)
        return NULL;
    free_slot->tid = tid;
    free_slot->gen = generation;
    free_slot->have = 0;
    return free_slot;
}

void uh_answer_enable(int on)
{
    enabled = on;
    uh_answer_forget_all();
}

int uh_answer_set(int tid, long nr, long value)
{
    int i = call_index(nr);
    struct slot *s;
    if (i < 0)
        return -EINVAL;
    s = find(tid, 1);
    if (!s)
        return -ENOSPC;
    s->val[i] = value;
    s->have |= 1u << i;
    return 0;
}

void uh_answer_forget(int tid)
{
    struct slot *s = find(tid, 0);
    if (s) {
        s->have = 0;
        s->tid = 0;
    }
}

void uh_answer_forget_all(void)
{
    /* A stale slot is one of an old generation; wrapping to 0 would make
     * never-used slots (gen 0) look current, so skip 0. */
    if (++generation == 0)
        generation = 1;
}

/* How many stops of answerable[i] were answered here since the last call
 * (for the run report's counts), then zero. */
void uh_answer_counts(unsigned long *out)
{
    memcpy(out, answered, sizeof answered);
    memset(answered, 0, sizeof answered);
}

int uh_answer_calls(int *out)
{
    memcpy(out, answerable, sizeof answerable);
    return UH_ANSWER_CALLS;
}

/* Called by uh_wait_many for a seccomp stop: 1 if it was answered and the
 * thread resumed (the stop is consumed), 0 if Python must serve it. */
int uh_answer_stop(struct uh_stop *st)
{
    struct user_regs_struct regs;
    struct slot *s;
    int i;
    if (!enabled || st->kind != UH_SECCOMP)
        return 0;
    i = call_index((long)st->regs.orig_rax);
    if (i < 0 || !(s = find(st->tid, 0)) || !(s->have & (1u << i)))
        return 0;
    regs = st->regs;
    regs.orig_rax = (unsigned long long)-1;            /* skip the host syscall */
    regs.rax = (unsigned long long)s->val[i];
    if (ptrace(PTRACE_SETREGS, st->tid, 0, &regs) < 0)
        return 0;       /* gone (ESRCH): Python serves the stop and sees the death */
    ptrace(PTRACE_CONT, st->tid, 0, 0);     /* if it fails the thread is gone:
                                               its death is the next stop */
    answered[i]++;
    return 1;
}
