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
 * The same goes for stat(2), lstat(2) and newfstatat(2) of an absolute path
 * whose answer cannot change while no name or metadata changes in any guest
 * file system: an object of the read-only rootfs under the overlay, or a name
 * the walk found missing (Dispatcher.keep_stat decides which).
 * Python stores the 144 bytes of struct stat it wrote (or the errno) by path
 * (uh_stat_set), marks the threads whose walk would be the same (root "/",
 * the first mount namespace, no search-permission checks: UH_STAT_OK), and
 * forgets every path when any name or metadata changes (uh_stat_forget_all).
 *
 * The table is direct-mapped by host tid with a short probe: tids are handed
 * out in order, so live ones rarely collide.  A thread that finds no slot
 * simply keeps stopping into Python.  The state is per supervisor thread
 * (__thread): a thread's tracees are only its own, and two sandboxes run from
 * two threads of one Python process must not see each other's answers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>

#include "helper.h"

#define SLOTS 1024              /* a power of two */
#define PROBE 4
#define STAT_OK (1u << 31)      /* in `have`: the thread may be answered from the stat table */
#define PATHS 8192              /* stat table entries, a power of two */
#define PATH_MAX_KEPT 232
#define STAT_SIZE 144           /* struct stat, x86-64 */

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

struct path_entry {
    unsigned gen;               /* valid only while == path_generation */
    unsigned hash;
    int err;                    /* > 0: the errno to answer, else `st` */
    unsigned short len;
    unsigned char nofollow;
    unsigned char open_ok;      /* a read-only open may be served: open `rel` below open_root */
    char path[PATH_MAX_KEPT];
    char rel[PATH_MAX_KEPT];    /* the object's path in the rootfs's host tree, without symlinks */
    unsigned char st[STAT_SIZE];
};

static __thread struct path_entry *paths;       /* PATHS entries, made on first use */

/* Paths answer_stat read for stops it left to Python, so that Python's read
 * of the same argument (uh_read_str) costs no second process_vm_readv.  Valid
 * for the batch they were read in: the thread is stopped until it is served. */
#define PREFETCHED 16
static __thread struct { int tid; uint64_t addr; long len; char path[PATH_MAX_KEPT + 1]; } prefetch[PREFETCHED];
static __thread int n_prefetched;
static __thread unsigned path_generation = 1;
static __thread unsigned long stats_answered[3];    /* stat, lstat, newfstatat */

/* readlink("/proc/self/exe") of a thread whose answer Python has given at its
 * exec (uh_exe_set): glibc's static start-up asks it at once, as do Go's
 * runtime and Python's.  Kept per thread, direct-mapped by tid (a collision
 * just stops into Python), and valid while both generations are: the ids'
 * (an exec, a set*id call, chroot, unshare, setns, a death: uh_answer_forget*)
 * and the stat answers' (a mount or a rename may change what the walk of
 * /proc/self/exe finds: uh_stat_forget_all). */
#define EXES 256
static __thread struct {
    int tid;
    unsigned gen, path_gen;
    unsigned short len;
    char exe[PATH_MAX_KEPT];
    char comm[16];              /* PR_GET_NAME's answer while the host's name is still... */
    char host_comm[17];         /* ...this one, what the host named the thread at the exec */
} exes[EXES];
static __thread unsigned long exes_answered, names_answered;

/* Read-only opens of the rootfs's regular files (uh_open_enable): the host
 * tree's root, the listener of the fd hand-over and the magic syscall number
 * that reaches it (notify.c), and the threads whose hand-over a signal beat:
 * their call restarts as the open it was (restart_pending), as
 * Platform.restart_syscall does for Python's hand-overs. */
static __thread int open_root = -1, open_listener = -1;
static __thread long open_magic;
static __thread unsigned long opens_answered[2];      /* open, openat */
#define RESTARTS 16
static __thread struct { int tid; long nr; } restarts[RESTARTS];
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define O_ANSWERABLE (02000000 | 0400 | 0100000 | 04000)   /* O_CLOEXEC O_NOCTTY O_LARGEFILE O_NONBLOCK */
#define CONFINED (0x10 | 0x02 | 0x04)      /* RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS */

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
    if (exes[tid & (EXES - 1)].tid == tid)
        exes[tid & (EXES - 1)].tid = 0;
}

/* From now on, answer thread `tid`'s readlink of "/proc/self/exe" with `exe`
 * (len bytes, no NUL; len 0: do not), until either generation moves; and its
 * prctl(PR_GET_NAME) with `comm` (16 bytes, NUL-padded) while the host still
 * names the thread `host_comm` (the name the host gave it at the exec: the
 * guest renames its threads natively, PR_SET_NAME or /proc/TID/comm). */
int uh_exec_names_set(int tid, const char *exe, size_t len, const char *comm, const char *host_comm)
{
    if (len >= PATH_MAX_KEPT || strlen(host_comm) > 16)
        return -EINVAL;
    int i = tid & (EXES - 1);
    exes[i].tid = tid;
    exes[i].gen = generation;
    exes[i].path_gen = path_generation;
    exes[i].len = (unsigned short)len;
    memcpy(exes[i].exe, exe, len);
    memcpy(exes[i].comm, comm, 16);
    strcpy(exes[i].host_comm, host_comm);
    return 0;
}

/* readlink(/proc/self/exe) and PR_GET_NAME answers since the last call, then zero. */
void uh_exec_names_answered(unsigned long *out)
{
    out[0] = exes_answered;
    out[1] = names_answered;
    exes_answered = names_answered = 0;
}

/* prctl(PR_GET_NAME, buf) answered from exes[] while the host's name of the
 * thread is the one it got at the exec; else 0 (Python reads the new name). */
static int answer_name(struct uh_stop *st, struct user_regs_struct *regs, int i)
{
    char path[40], host[32];
    int fd;
    long n;
    if (st->regs.rdi != 16)                        /* PR_GET_NAME */
        return 0;
    snprintf(path, sizeof path, "/proc/%d/comm", st->tid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    n = read(fd, host, sizeof host - 1);
    close(fd);
    if (n <= 0 || host[n - 1] != '\n')
        return 0;
    host[n - 1] = 0;
    if (strcmp(host, exes[i].host_comm) != 0)
        return 0;
    if (uh_write(st->tid, st->regs.rsi, exes[i].comm, 16) != 16)
        return 0;
    regs->rax = 0;
    names_answered++;
    return 1;
}

/* readlink (89) or readlinkat(AT_FDCWD) (267) of "/proc/self/exe", or
 * prctl (157) PR_GET_NAME, answered from exes[]; 0 to leave the stop to
 * Python (any other path or option, a bad buffer). */
static int answer_exe(struct uh_stop *st, struct user_regs_struct *regs)
{
    static const char self_exe[] = "/proc/self/exe";
    unsigned long long nr = st->regs.orig_rax, pathp, buf;
    long size, n;
    char path[sizeof self_exe + 1];
    int i = st->tid & (EXES - 1);
    if (exes[i].tid != st->tid || exes[i].gen != generation || exes[i].path_gen != path_generation)
        return 0;
    if (nr == 157)
        return answer_name(st, regs, i);
    if (exes[i].len == 0)
        return 0;
    if (nr == 89) {
        pathp = st->regs.rdi;
        buf = st->regs.rsi;
        size = (long)st->regs.rdx;
    } else if (nr == 267 && (int)st->regs.rdi == -100) {     /* AT_FDCWD */
        pathp = st->regs.rsi;
        buf = st->regs.rdx;
        size = (long)st->regs.r10;
    } else {
        return 0;
    }
    if (size <= 0)
        return 0;                                  /* EINVAL: Python says it */
    n = uh_read_str(st->tid, pathp, path, sizeof path - 1);
    if (n != (long)sizeof self_exe - 1 || memcmp(path, self_exe, n) != 0)
        return 0;
    n = exes[i].len < size ? exes[i].len : size;
    if (uh_write(st->tid, buf, exes[i].exe, n) != n)
        return 0;
    regs->rax = (unsigned long long)n;
    exes_answered++;
    return 1;
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

/* A path read for a stop left to Python, for Python's read of the same argument. */
static void keep_prefetched(int tid, uint64_t addr, const char *path, long n)
{
    if (n_prefetched < PREFETCHED) {
        prefetch[n_prefetched].tid = tid;
        prefetch[n_prefetched].addr = addr;
        prefetch[n_prefetched].len = n;
        memcpy(prefetch[n_prefetched].path, path, n + 1);
        n_prefetched++;
    }
}

/* FNV-1a: the table is indexed by the path's hash. */
static unsigned hash_path(const char *p, size_t len, int nofollow)
{
    unsigned h = 2166136261u ^ (unsigned)nofollow;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

void uh_prefetch_clear(void)
{
    n_prefetched = 0;
}

/* The string at `addr` of thread `tid` if answer_stat read it in this batch:
 * its length (copied to buf, NUL included, if it fits in max), else -1. */
long uh_prefetched(int tid, uint64_t addr, char *buf, size_t max)
{
    for (int i = 0; i < n_prefetched; i++)
        if (prefetch[i].tid == tid && prefetch[i].addr == addr && (size_t)prefetch[i].len <= max) {
            memcpy(buf, prefetch[i].path, prefetch[i].len + 1);
            return prefetch[i].len;
        }
    return -1;
}

/* The kept entry for the absolute path at guest address `pathp` of thread
 * `tid` (stat's if !nofollow, lstat's if nofollow), or NULL.  On a miss the
 * path read is kept for Python's read of the same argument. */
static struct path_entry *kept_path(int tid, uint64_t pathp, int nofollow)
{
    char path[PATH_MAX_KEPT + 1];
    long n = uh_read_str(tid, pathp, path, PATH_MAX_KEPT);
    if (n <= 0 || path[0] != '/')
        return NULL;
    unsigned h = hash_path(path, n, nofollow);
    struct path_entry *e = &paths[h & (PATHS - 1)];
    if (e->gen != path_generation || e->hash != h || e->len != n || e->nofollow != nofollow ||
        memcmp(e->path, path, n) != 0) {
        keep_prefetched(tid, pathp, path, n);     /* Python reads it next */
        return NULL;
    }
    return e;
}

/* Remember what stat (nofollow 1: lstat; 2: both, for an object that is no
 * symlink) of absolute `path` answers: errno `err` if > 0, else the struct
 * stat `st`; with `rel`, a read-only open may be served by opening `rel`
 * below open_root.  Thread `tid` (the one whose stat it was) may then be
 * answered from the table.  A path too long is not kept. */
int uh_stat_set(int tid, const char *path, size_t len, int nofollow, int err, const void *st,
                const char *rel)
{
    struct path_entry *e;
    unsigned h;
    size_t rlen = rel ? strlen(rel) : 0;
    if (len == 0 || len >= PATH_MAX_KEPT || path[0] != '/' || rlen >= PATH_MAX_KEPT)
        return -EINVAL;
    if (nofollow == 2) {
        int r = uh_stat_set(tid, path, len, 0, err, st, rel);
        return r < 0 ? r : uh_stat_set(tid, path, len, 1, err, st, NULL);
    }
    uh_stat_allow(tid, 1);
    if (!paths && !(paths = calloc(PATHS, sizeof *paths)))
        return -ENOMEM;
    h = hash_path(path, len, nofollow);
    e = &paths[h & (PATHS - 1)];
    e->gen = path_generation;
    e->hash = h;
    e->err = err;
    e->len = len;
    e->nofollow = nofollow;
    memcpy(e->path, path, len);
    if (err <= 0)
        memcpy(e->st, st, STAT_SIZE);
    e->open_ok = rel != NULL && open_root >= 0;
    if (e->open_ok)
        memcpy(e->rel, rel, rlen + 1);
    return 0;
}

/* Serve read-only opens of kept regular files (root >= 0), or stop (-1). */
void uh_open_enable(int root, int listener, long magic)
{
    open_root = root;
    open_listener = listener;
    open_magic = magic;
    uh_stat_forget_all();
}

/* How many open and openat stops were answered here since the last call, then zero. */
void uh_opens_answered(unsigned long *out)
{
    memcpy(out, opens_answered, sizeof opens_answered);
    memset(opens_answered, 0, sizeof opens_answered);
}

/* A signal-delivery stop of a thread whose hand-over a signal beat: make its
 * interrupted magic syscall restart as the open it was, after the handler. */
void uh_restart_check(struct uh_stop *st)
{
    if (st->kind != UH_SIGNAL)
        return;
    for (int i = 0; i < RESTARTS; i++) {
        if (restarts[i].tid != st->tid)
            continue;
        struct user_regs_struct regs;
        restarts[i].tid = 0;
        if (ptrace(PTRACE_GETREGS, st->tid, 0, &regs) < 0)
            return;
        regs.orig_rax = restarts[i].nr;
        if (regs.rax == (unsigned long long)-ERESTARTSYS)
            regs.rax = (unsigned long long)-ERESTARTNOINTR;
        ptrace(PTRACE_SETREGS, st->tid, 0, &regs);
        return;
    }
}

/* An open or openat stop for O_RDONLY of a kept regular file: open it below
 * open_root, hand it over, resume the thread (1); else 0, leaving it to Python. */
static int answer_open(struct uh_stop *st, const struct user_regs_struct *entry_regs)
{
    unsigned long long nr = st->regs.orig_rax, pathp, flags;
    if (nr == 2) {                                 /* open */
        pathp = st->regs.rdi;
        flags = st->regs.rsi;
    } else {                                       /* openat: dirfd ignored for an absolute path */
        pathp = st->regs.rsi;
        flags = st->regs.rdx;
    }
    if ((flags & 3) != 0 || (flags & ~(unsigned long long)O_ANSWERABLE) != 0)
        return 0;
    struct path_entry *e = kept_path(st->tid, pathp, 0);
    if (!e || !e->open_ok || e->err > 0)
        return 0;
    int fd = uh_openat2(open_root, e->rel[1] ? e->rel + 1 : ".",
                        02000000 | 0400 | (flags & 04000), 0, CONFINED);
    if (fd < 0)
        return 0;
    struct user_regs_struct regs = *entry_regs;
    regs.orig_rax = open_magic;
    int r = uh_resume_addfd(st->tid, UH_CONT, &regs, open_listener, fd, (flags & 02000000) != 0, 5000);
    close(fd);
    if (r == -EINTR) {                             /* a signal came first: restart as the open */
        uh_stat_allow(st->tid, 0);                 /* and let Python serve its next ones: it holds
                                                      signals off hand-overs they keep beating */
        for (int i = 0; i < RESTARTS; i++)
            if (restarts[i].tid == 0 || restarts[i].tid == st->tid) {
                restarts[i].tid = st->tid;
                restarts[i].nr = (long)nr;
                break;
            }
    }
    opens_answered[nr == 2 ? 0 : 1]++;
    return 1;
}

void uh_stat_forget_all(void)
{
    if (++path_generation == 0)
        path_generation = 1;
}

/* Let thread `tid` be answered from the stat table (or no longer). */
void uh_stat_allow(int tid, int on)
{
    struct slot *s = find(tid, on);
    if (!s)
        return;
    if (on)
        s->have |= STAT_OK;
    else
        s->have &= ~STAT_OK;
}

/* How many stat, lstat and newfstatat stops were answered from the table
 * since the last call, then zero. */
void uh_stat_answered(unsigned long *out)
{
    memcpy(out, stats_answered, sizeof stats_answered);
    memset(stats_answered, 0, sizeof stats_answered);
}

/* A stat, lstat or newfstatat stop of a thread allowed the stat table:
 * 1 with regs set to the answer (the struct already written), 0 to leave
 * the stop to Python (not kept, not absolute, unusual flags, or a guest
 * pointer that faults: Python gives the EFAULT). */
static int answer_stat(struct uh_stop *st, struct user_regs_struct *regs)
{
    unsigned long long nr = st->regs.orig_rax, pathp, buf;
    int nofollow;
    if (nr == 4 || nr == 6) {                      /* stat, lstat */
        pathp = st->regs.rdi;
        buf = st->regs.rsi;
        nofollow = nr == 6;
    } else if (nr == 262) {                        /* newfstatat: dirfd ignored for an absolute path */
        unsigned long long flags = st->regs.r10;
        if (flags & ~0x900ULL)                     /* AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT */
            return 0;
        pathp = st->regs.rsi;
        buf = st->regs.rdx;
        nofollow = (flags & 0x100) != 0;
    } else {
        return 0;
    }
    struct path_entry *e = kept_path(st->tid, pathp, nofollow);
    if (!e)
        return 0;
    if (e->err > 0) {
        regs->rax = (unsigned long long)(long)-e->err;
    } else {
        if (uh_write(st->tid, buf, e->st, STAT_SIZE) != STAT_SIZE)
            return 0;
        regs->rax = 0;
    }
    stats_answered[nr == 4 ? 0 : nr == 6 ? 1 : 2]++;
    return 1;
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
    if (!(s = find(st->tid, 0)))
        return 0;
    regs = st->regs;
    if ((st->regs.orig_rax == 2 || st->regs.orig_rax == 257) && (s->have & STAT_OK) && paths &&
        open_root >= 0)
        return answer_open(st, &regs);
    i = call_index((long)st->regs.orig_rax);
    if (i >= 0 && (s->have & (1u << i))) {
        regs.rax = (unsigned long long)s->val[i];
        answered[i]++;
    } else if (st->regs.orig_rax == 89 || st->regs.orig_rax == 267 || st->regs.orig_rax == 157) {
        if (!answer_exe(st, &regs))
            return 0;
    } else if (!(i < 0 && (s->have & STAT_OK) && paths && answer_stat(st, &regs))) {
        return 0;
    }
    regs.orig_rax = (unsigned long long)-1;            /* skip the host syscall */
    if (ptrace(PTRACE_SETREGS, st->tid, 0, &regs) < 0)
        return 0;       /* gone (ESRCH): Python serves the stop and sees the death */
    ptrace(PTRACE_CONT, st->tid, 0, 0);     /* if it fails the thread is gone:
                                               its death is the next stop */
    return 1;
}
