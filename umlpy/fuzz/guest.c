/* The guest side of umlpy's syscall fuzzer (python3 -m umlpy.fuzz; docs/fuzzing.md).
 *
 *   guest run SPEC SEED CALLS PROCS THREADS QUOTA     fuzz; results on stdout
 *   guest exit                                        exit 0 (an execve target)
 *
 * Guest init (this program as pid 1) reads SPEC (written by umlpy/fuzz/specs.py: value
 * sets, the corpus, and for every syscall the kind of each argument), creates the
 * corpus, maps a shared control page and an arena of memory of every sort, and forks
 * PROCS workers of THREADS threads each.  Every thread loops: pick a syscall by weight,
 * build each argument from its kind (a real descriptor of the pool, a path of the
 * corpus, a pointer into RW, read-only, PROT_NONE or unmapped memory, flags from the
 * call's own set, ...), make the call with a raw `syscall` instruction, count the result.
 * Calls that create processes (fork, clone, execve, ...) are made in a throwaway child.
 * A worker exits after QUOTA calls and init forks a fresh one (fresh credentials, fresh
 * descriptors).  Init watches every thread: a thread inside one call for 200 ms gets
 * SIGALRM (no SA_RESTART: blocking calls end with EINTR); one inside a call for
 * STUCK_MS is reported as STUCK and its worker killed.  When CALLS calls are made, init
 * stops the workers and prints, per syscall number, how many calls and how many
 * successes, and each errno seen.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>

#define MAXNR 512
#define NERR 134
#define MAXSETS 96
#define MAXCALLS 512
#define MAXCORPUS 1024
#define MAXTHREADS 8
#define MAXPROCS 16
#define POOL 48
#define NKINDS 40
#define STUCK_MS 20000
#define KICK_MS 200

#define PAGE 4096UL
#define ARENA ((char *)0x100000000000UL)
#define TAREA (64 * 1024UL)            /* per thread: 6 argument scratches of 8 KiB + 16 KiB out */
#define SCRATCH 8192UL
#define OFF_EDGE (MAXTHREADS * TAREA)   /* RW page just before a PROT_NONE one */
#define OFF_NONE (OFF_EDGE + PAGE)
#define OFF_RO (OFF_NONE + PAGE)        /* two read-only pages with valid data in them */
#define OFF_HOLE (OFF_RO + 2 * PAGE)    /* unmapped */
#define OFF_AFTER (OFF_HOLE + PAGE)     /* RW again */
#define ARENA_SIZE (OFF_AFTER + PAGE)
#define CTL_ADDR ((void *)0x110000000000UL)

/* ------------------------------------------------------------------ shared state */
struct slot {
    volatile long nr;                   /* -1: not in a call */
    volatile unsigned long args[6];
    volatile long t0, last_kick;
    volatile int pid, tid, reported;
    volatile unsigned long calls;
    char str[2][160];
};

struct ctl {
    volatile int stop;
    volatile long total;
    volatile int worker_pid[MAXPROCS];
    int inet_port;
    unsigned long calls[MAXNR], ok[MAXNR];
    unsigned int err[MAXNR][NERR];
    struct slot slots[MAXPROCS * MAXTHREADS];
};
static struct ctl *ctl;

/* ------------------------------------------------------------------ the spec */
enum {
    K_FD, K_SOCKFD, K_DIRFD, K_PATH, K_OUT, K_IN, K_ANY, K_LEN, K_INT, K_LONG, K_ZERO, K_MODE, K_UID,
    K_PID, K_SIG, K_SOCKADDR, K_ADDRLEN, K_LENP, K_SLEN, K_TIMESPEC, K_TIMESPEC2, K_TIMEVAL2,
    K_UTIMBUF, K_RLIMIT, K_SIGSET, K_SIGINFO, K_SIGEVENT, K_CAPHDR, K_CAPDATA, K_CPUSET,
    K_SCHEDATTR, K_GIDLIST, K_IOV, K_ARGV, K_ENVP, K_CLONE_ARGS, K_OPEN_HOW, K_TRACEE,
    K_ENUM, K_FLAGS, K_STR, K_NKINDS
};
static const char *kind_names[] = {
    "fd", "sockfd", "dirfd", "path", "out", "in", "any", "len", "int", "long", "zero", "mode", "uid",
    "pid", "sig", "sockaddr", "addrlen", "lenp", "slen", "timespec", "timespec2", "timeval2",
    "utimbuf", "rlimit", "sigset", "siginfo", "sigevent", "caphdr", "capdata", "cpuset",
    "schedattr", "gidlist", "iov", "argv", "envp", "clone_args", "open_how", "tracee",
};

struct part { int type, set; };
struct kind { int nparts; struct part p[3]; };
struct call {
    int nr, weight, flags, nk;
    char name[32];
    struct kind k[6];
};
#define F_ISOLATE 1
#define F_RETFD 2
#define F_MOSTLY_ISOLATE 4

struct set { char name[24]; int n; unsigned long v[64]; };
struct strset { char name[24]; int n; char *s[32]; int len[32]; };

static struct set sets[MAXSETS];
static int nsets;
static struct strset strsets[MAXSETS];
static int nstrsets;
static struct call calls[MAXCALLS];
static int ncalls;
static long cumw[MAXCALLS], totalw;
static char *corpus[MAXCORPUS];
static int corpus_len[MAXCORPUS], ncorpus;
static char *sockpaths[16];
static int nsockpaths;

static int nprocs = 2, nthreads = 2;
static long quota = 20000;
static unsigned long seed = 1;

/* ------------------------------------------------------------------ helpers */
static inline long raw6(long n, unsigned long a, unsigned long b, unsigned long c,
                        unsigned long d, unsigned long e, unsigned long f) {
    long ret;
    register unsigned long r10 __asm__("r10") = d;
    register unsigned long r8 __asm__("r8") = e;
    register unsigned long r9 __asm__("r9") = f;
    __asm__ volatile("syscall" : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#define raw0(n) raw6(n, 0, 0, 0, 0, 0, 0)

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static uint64_t mix(uint64_t x) {       /* splitmix64 */
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

struct th {
    int widx, tidx, slot;
    uint64_t rng;
    char *area;
    long last_slen, last_addrlen;
    int gtid, gpid;
    long done, quota;
    int strown[6];                      /* argument i is a string in own scratch */
};

static uint64_t rnd(struct th *t) {     /* xorshift64* */
    uint64_t x = t->rng;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    t->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}
#define R(t, n) ((long)(rnd(t) % (uint64_t)(n)))
#define PICK(t, arr) ((arr)[R(t, sizeof(arr) / sizeof((arr)[0]))])

static int unhex(const char *h, char *out) {
    int n = 0;
    if (h[0] == '-' && h[1] == 0)
        return 0;
    for (; h[0] && h[1]; h += 2) {
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = (char)v;
    }
    return n;
}

static char *dup_hex(const char *h, int *len) {
    char *s = calloc(strlen(h) / 2 + 1, 1);
    int n = unhex(h, s);
    if (len)
        *len = n;
    return s;
}

/* ------------------------------------------------------------------ descriptors */
static int pool[POOL];
static int pool_kind[POOL];
static volatile int listener_counter;

static int is_sockkind(int k) { return (k >= 14 && k <= 20) || k == 38 || k == 39; }
static int is_dirkind(int k) { return k == 4 || k == 5 || k == 6 || k == 7 || k == 11 || (k >= 33 && k <= 36); }

static int make_fd(int kind, int *other) {
    int fd = -1, p[2];
    char name[64];
    *other = -1;
    switch (kind) {
    case 0: return open("/tmp/fz/f", O_RDWR | O_CREAT | O_NONBLOCK, 0644);
    case 1: return open("/etc/passwd", O_RDONLY | O_NONBLOCK);
    case 2: return open("/fzr/f", O_RDWR | O_CREAT | O_NONBLOCK, 0644);
    case 3: return open("/rw/fz/f", O_RDWR | O_CREAT | O_NONBLOCK, 0644);
    case 4: return open("/tmp/fz/d", O_RDONLY | O_DIRECTORY | O_NONBLOCK);
    case 5: return open("/", O_RDONLY | O_DIRECTORY | O_NONBLOCK);
    case 6: return open("/proc", O_RDONLY | O_DIRECTORY | O_NONBLOCK);
    case 7: return open("/proc/self", O_RDONLY | O_DIRECTORY | O_NONBLOCK);
    case 8: return open("/proc/self/status", O_RDONLY | O_NONBLOCK);
    case 9: return open("/tmp/fz/f", O_PATH | O_NONBLOCK);
    case 10: return open("/tmp/fz/ln_f", O_PATH | O_NOFOLLOW | O_NONBLOCK);
    case 11: return open("/fz", O_PATH | O_DIRECTORY | O_NONBLOCK);
    case 12: case 13:
        if (pipe2(p, kind == 13 ? O_NONBLOCK : 0) < 0) return -1;
        *other = p[1];
        return p[0];
    case 14:
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) < 0) return -1;
        *other = p[1];
        return p[0];
    case 15: return socket(AF_UNIX, SOCK_DGRAM, 0);
    case 16: {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        snprintf(sa.sun_path, sizeof sa.sun_path, "/tmp/fz/l.%d.%d", (int)getpid(),
                 __atomic_add_fetch(&listener_counter, 1, __ATOMIC_RELAXED));
        bind(fd, (struct sockaddr *)&sa, sizeof sa);
        listen(fd, 4);
        return fd;
    }
    case 17: return socket(AF_INET, SOCK_STREAM, 0);
    case 18: {
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        bind(fd, (struct sockaddr *)&sa, sizeof sa);
        listen(fd, 4);
        return fd;
    }
    case 19: return socket(AF_INET, SOCK_DGRAM, 0);
    case 20: return socket(AF_INET6, SOCK_STREAM, 0);
    case 21: return eventfd(1, 0);
    case 22: {
        fd = epoll_create1(0);
        struct epoll_event ev = {.events = EPOLLIN};
        epoll_ctl(fd, EPOLL_CTL_ADD, pool[0] >= 0 ? pool[0] : 0, &ev);
        return fd;
    }
    case 23: {
        fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
        struct itimerspec its = {{0, 10000000}, {0, 10000000}};
        timerfd_settime(fd, 0, &its, NULL);
        return fd;
    }
    case 24: {
        sigset_t m;
        sigemptyset(&m);
        sigaddset(&m, SIGUSR2);
        return signalfd(-1, &m, SFD_NONBLOCK);
    }
    case 25:
        fd = memfd_create("fz", 0);
        if (fd >= 0) write(fd, "memfd data\n", 11);
        return fd;
    case 26:
        fd = inotify_init1(IN_NONBLOCK);
        inotify_add_watch(fd, "/tmp/fz", IN_ALL_EVENTS);
        return fd;
    case 27: return open("/dev/null", O_RDWR | O_NONBLOCK);
    case 28: return open("/dev/zero", O_RDONLY | O_NONBLOCK);
    case 29: return (int)syscall(SYS_pidfd_open, 1, 0);
    case 30: return open("/tmp/fz/fifo", O_RDWR | O_NONBLOCK);
    case 31: return open("/dev/urandom", O_RDONLY | O_NONBLOCK);
    case 32: return open("/fz/guest", O_RDONLY | O_NONBLOCK);
    case 33: return open("/rw/fz/d", O_RDONLY | O_DIRECTORY | O_NONBLOCK);
    case 34: return open("/fzr/d", O_RDONLY | O_DIRECTORY | O_NONBLOCK);
    case 35: return open("/tmp", O_RDONLY | O_DIRECTORY | O_NONBLOCK);
    case 36: return open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_NONBLOCK);
    case 37: return open("/proc/self/maps", O_RDONLY | O_NONBLOCK);
    case 38: return socket(AF_NETLINK, SOCK_RAW, 0);
    case 39: {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (nsockpaths) {
            snprintf(name, sizeof name, "%s", sockpaths[getpid() % nsockpaths]);
            memcpy(sa.sun_path, name, strlen(name));
            connect(fd, (struct sockaddr *)&sa, sizeof sa);
        }
        return fd;
    }
    }
    return -1;
}

static void pool_put(int i, int fd, int kind) {
    int old = pool[i];
    pool[i] = fd;
    pool_kind[i] = kind;
    if (old > 2 && old != fd)
        close(old);
}

static void pool_refresh(struct th *t, int i, int kind) {
    int other, fd = make_fd(kind, &other);
    pool_put(i, fd, kind);
    if (other >= 0)
        pool_put((i + 1 + R(t, POOL - 1)) % POOL, other, kind);
}

static void adopt(struct th *t, long fd) {
    if (fd > 2 && fd < 65536)
        pool_put(R(t, POOL), (int)fd, -1);
}

/* ------------------------------------------------------------------ memory */
static char *scratch(struct th *t, int i) { return t->area + i * SCRATCH; }

static unsigned long bad_ptr(struct th *t) {
    static const unsigned long kernel[] = {0xffffffffff600000UL, 0xffff888000000000UL, ~0UL,
                                           0x8000000000000000UL, 1, 4096, 0x10000};
    switch (R(t, 4)) {
    case 0: return (unsigned long)(ARENA + OFF_NONE + R(t, PAGE));
    case 1: return (unsigned long)(ARENA + OFF_HOLE + R(t, PAGE));
    case 2: return PICK(t, kernel);
    }
    return 0;
}

/* A pointer for a buffer of about `want` bytes, own memory in half the cases. */
static unsigned long mem_ptr(struct th *t, int i, unsigned long want, int fill) {
    char *p;
    long r = R(t, 100);
    if (want > SCRATCH)
        want = SCRATCH;
    if (r < 50) {
        p = scratch(t, i) + (R(t, 10) == 0 ? R(t, 8) : 0);
        if (fill)
            for (unsigned long j = 0; j < want; j += 8) {
                uint64_t v = rnd(t);
                memcpy(p + j, &v, want - j < 8 ? want - j : 8);
            }
        return (unsigned long)p;
    }
    if (r < 58) return (unsigned long)(ARENA + OFF_RO + R(t, 2 * PAGE - 64));
    if (r < 72) return bad_ptr(t);
    if (r < 78) return (unsigned long)(ARENA + OFF_NONE - 1 - R(t, want < 64 ? want + 1 : 64));
    if (r < 84) return (unsigned long)(ARENA + R(t, nthreads) * TAREA + 6 * SCRATCH + R(t, 4096));
    if (r < 90) return (unsigned long)(ARENA + OFF_AFTER + R(t, PAGE / 2));
    return (unsigned long)(t->area + 6 * SCRATCH + R(t, 8192));
}

/* ------------------------------------------------------------------ values */
static const unsigned long uids[] = {0, 0, 1, 1000, 65534, 0xffffffffUL, 0x80000000UL, 0xfffffffeUL,
                                     0x7fffffffUL, 65535, 100000};
static const int safe_sigs[] = {0, 0, SIGUSR1, SIGUSR2, SIGALRM, SIGHUP, SIGIO, SIGCHLD, SIGURG,
                                SIGWINCH, SIGCONT, SIGPIPE, 34, 35, 64, 65, -1, 1000};
static const unsigned long lens[] = {0, 1, 8, 16, 24, 64, 128, 255, 256, 1024, 4096, 4096, 8192,
                                     65536, 1 << 20, 0x7fffffffUL, 0xffffffffUL, ~0UL, 1UL << 40};
static const long ints[] = {0, 0, 1, 1, 2, 3, -1, -2, 16, 255, 256, 4096, INT_MAX, INT_MIN, 64};

static struct set *set_of(int i) { return &sets[i]; }

static unsigned long gen_enum(struct th *t, struct set *s) {
    if (R(t, 12) == 0)
        return R(t, 3) ? (unsigned long)R(t, 64) : rnd(t);
    return s->v[R(t, s->n)];
}

static unsigned long gen_flags(struct th *t, struct set *s) {
    unsigned long v = 0;
    long r = R(t, 100);
    if (r < 8) return 0;
    if (r < 11) {
        for (int i = 0; i < s->n; i++) v |= s->v[i];
        return v;
    }
    if (r < 17) return rnd(t) & (R(t, 2) ? 0xffffffffUL : ~0UL);
    for (long k = 1 + R(t, 3); k > 0; k--) v |= s->v[R(t, s->n)];
    return v;
}

static unsigned long gen_pid(struct th *t) {
    long r = R(t, 16);
    switch (r) {
    case 0: case 1: return 0;
    case 2: return (unsigned long)-1L;
    case 3: return 1;
    case 4: case 5: return t->gpid;
    case 6: return t->gtid;
    case 7: return ctl->worker_pid[R(t, nprocs)];
    case 8: return (unsigned long)-(long)t->gpid;
    case 9: return 99999;
    case 10: return (unsigned long)(long)INT_MIN;
    case 11: return t->gpid + 1 + R(t, 4);
    case 12: return (unsigned long)-1L * (1 + R(t, 4));
    case 13: return 2 + R(t, 30);
    }
    return (unsigned long)(long)(int)rnd(t);
}

static unsigned long gen_fd(struct th *t, int dir) {
    static const long bad[] = {-1, -100, 9999, INT_MAX, 0, 1, 2, 1023, -2};
    long r = R(t, 100);
    if (dir == 2 && r < 70) {
        for (int tries = 0; tries < 12; tries++) {
            int i = R(t, POOL);
            if (is_sockkind(pool_kind[i])) return (unsigned long)(long)pool[i];
        }
    }
    if (dir == 1) {
        if (r < 40) return (unsigned long)-100L;
        if (r < 80) {
            for (int tries = 0; tries < 8; tries++) {
                int i = R(t, POOL);
                if (is_dirkind(pool_kind[i])) return (unsigned long)(long)pool[i];
            }
        }
        if (r < 90) return (unsigned long)(long)pool[R(t, POOL)];
        return (unsigned long)PICK(t, bad);
    }
    if (r < 88) return (unsigned long)(long)pool[R(t, POOL)];
    return (unsigned long)PICK(t, bad);
}

static const char *mutate_suffix[] = {"/", "/.", "/..", "/x", "//", "/../..", "/./", "/f", "/e", "\xff"};
static const char *mutate_prefix[] = {"/proc/self/root", "/proc/self/cwd/", "/proc/1/root",
                                      "/tmp/fz/ln_d/", "/tmp/fz/ln_root", "../", "./", "//"};

/* A path into own scratch i (or somewhere worse); returns the pointer. */
static unsigned long gen_path(struct th *t, int i) {
    char *s = scratch(t, i);
    long r = R(t, 100);
    t->strown[i] = 0;
    if (r < 74 && ncorpus) {
        int c = R(t, ncorpus), n = 0;
        if (R(t, 4) == 0) {
            const char *pre = PICK(t, mutate_prefix);
            n = strlen(pre);
            memcpy(s, pre, n);
        }
        memcpy(s + n, corpus[c], corpus_len[c]);
        n += corpus_len[c];
        if (R(t, 4) == 0) {
            const char *suf = PICK(t, mutate_suffix);
            memcpy(s + n, suf, strlen(suf));
            n += strlen(suf);
        }
        if (R(t, 12) == 0 && ncorpus) {     /* two corpus entries joined */
            int d = R(t, ncorpus);
            s[n++] = '/';
            memcpy(s + n, corpus[d], corpus_len[d]);
            n += corpus_len[d];
        }
        s[n] = 0;
        t->strown[i] = 1;
        t->last_slen = n;
        return (unsigned long)s;
    }
    if (r < 78) return 0;
    if (r < 82) return bad_ptr(t);
    if (r < 86 && ncorpus) {                /* runs into the PROT_NONE page, no NUL */
        int c = R(t, ncorpus), n = corpus_len[c] ? corpus_len[c] : 1;
        char *p = ARENA + OFF_NONE - n;
        memcpy(p, corpus_len[c] ? corpus[c] : "/", n);
        return (unsigned long)p;
    }
    if (r < 89) return (unsigned long)(ARENA + OFF_RO + 64 * R(t, 6));
    if (r < 94) {                           /* long: a path that walks, or one huge name */
        static const int longs[] = {4095, 4096, 4097, 5000, 8000};
        int n = PICK(t, longs), k = 0;
        if (R(t, 2)) {
            memcpy(s, "/tmp/fz", 7);
            for (k = 7; k + 5 <= n; k += 5) memcpy(s + k, "/d/..", 5);
            for (; k < n; k++) s[k] = '/';
        } else {
            s[0] = '/';
            for (k = 1; k < n; k++) s[k] = 'n';
        }
        s[n] = 0;
        t->last_slen = n;
        return (unsigned long)s;
    }
    {                                       /* random bytes */
        int n = 1 + R(t, 48);
        for (int k = 0; k < n; k++) {
            s[k] = (char)(rnd(t) & 0xff);
            if (!s[k]) s[k] = '/';
        }
        s[n] = 0;
        t->last_slen = n;
        return (unsigned long)s;
    }
}

static unsigned long gen_str(struct th *t, int i, struct strset *ss) {
    long r = R(t, 100);
    char *s = scratch(t, i);
    if (r < 4) return 0;
    if (r < 8) return bad_ptr(t);
    if (r < 12) return gen_path(t, i);
    int k = R(t, ss->n);
    memcpy(s, ss->s[k], ss->len[k]);
    s[ss->len[k]] = 0;
    t->last_slen = ss->len[k];
    t->strown[i] = 1;
    return (unsigned long)s;
}

static unsigned long gen_sockaddr(struct th *t, int i) {
    char *b = scratch(t, i);
    struct sockaddr_un *un = (struct sockaddr_un *)b;
    struct sockaddr_in *in = (struct sockaddr_in *)b;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)b;
    long r = R(t, 100);
    memset(b, 0, 128);
    if (r < 35 && ncorpus) {
        const char *src;
        int n;
        if (R(t, 2) && nsockpaths) {
            src = sockpaths[R(t, nsockpaths)];
            n = strlen(src);
        } else {
            int c = R(t, ncorpus);
            src = corpus[c];
            n = corpus_len[c] > 107 ? 107 : corpus_len[c];
        }
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, src, n);
        t->last_addrlen = 2 + n + (R(t, 2) ? 1 : 0);
    } else if (r < 42) {
        un->sun_family = AF_UNIX;
        t->last_addrlen = 2 + 1 + snprintf(un->sun_path + 1, 100, "fz-%ld", R(t, 4));
    } else if (r < 46) {
        un->sun_family = AF_UNIX;
        memset(un->sun_path, 'a', 108);
        t->last_addrlen = 110;
    } else if (r < 50) {
        un->sun_family = AF_UNIX;
        t->last_addrlen = 2;
    } else if (r < 53) {
        un->sun_family = AF_UNIX;
        strcpy(un->sun_path, R(t, 2) ? "/tmp/fz/\xff\xfe-s" : "/rw/fz/\xc3\x28");
        t->last_addrlen = 2 + strlen(un->sun_path) + 1;
    } else if (r < 72) {
        static const uint32_t addrs[] = {0x7f000001, 0x7f000001, 0, 0x0a000001, 0x08080808, 0xffffffff};
        static const int ports[] = {0, 80, 53, 1, 65535};
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(PICK(t, addrs));
        in->sin_port = htons(R(t, 2) ? ctl->inet_port : PICK(t, ports));
        t->last_addrlen = sizeof *in;
    } else if (r < 82) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(R(t, 2) ? ctl->inet_port : 0);
        if (R(t, 3) == 0) in6->sin6_addr.s6_addr[15] = 1;                    /* ::1 */
        else if (R(t, 2)) {                                                 /* ::ffff:127.0.0.1 */
            in6->sin6_addr.s6_addr[10] = in6->sin6_addr.s6_addr[11] = 0xff;
            in6->sin6_addr.s6_addr[12] = 127;
            in6->sin6_addr.s6_addr[15] = 1;
        }
        t->last_addrlen = sizeof *in6;
    } else if (r < 86) {
        t->last_addrlen = 16;                                               /* AF_UNSPEC */
    } else if (r < 89) {
        b[0] = AF_NETLINK;
        t->last_addrlen = 12;
    } else if (r < 94) {
        for (int k = 0; k < 128; k++) b[k] = (char)rnd(t);
        t->last_addrlen = R(t, 130);
    } else {
        t->last_addrlen = 16;
        return bad_ptr(t);
    }
    return (unsigned long)b;
}

static const long sizes_socklen[] = {0, 1, 2, 3, 16, 110, 111, 128, 1000, -1, 0x80000000L};

static unsigned long gen(struct th *t, struct part *p, int i, unsigned long *a) {
    char *s = scratch(t, i);
    long r;
    switch (p->type) {
    case K_FD: return gen_fd(t, 0);
    case K_DIRFD: return gen_fd(t, 1);
    case K_SOCKFD: return gen_fd(t, 2);
    case K_PATH: return gen_path(t, i);
    case K_OUT: return mem_ptr(t, i, 4096, 0);
    case K_IN: return mem_ptr(t, i, 512, 1);
    case K_ANY:
        r = R(t, 10);
        if (r < 4) return (unsigned long)PICK(t, ints);
        if (r < 8) return mem_ptr(t, i, 256, 1);
        return gen_pid(t);
    case K_LEN: return R(t, 3) ? PICK(t, lens) : (unsigned long)R(t, 4096);
    case K_INT: return R(t, 8) ? (unsigned long)PICK(t, ints) : (unsigned long)(long)(int)rnd(t);
    case K_LONG: {
        static const unsigned long longs[] = {0, 1, 4096, ~0UL, 1UL << 40, 1UL << 63, ~0UL >> 1, 100};
        return R(t, 6) ? PICK(t, longs) : rnd(t);
    }
    case K_ZERO: return R(t, 20) ? 0 : rnd(t) & 0xff;
    case K_MODE: {
        static const unsigned long types[] = {0100000, 010000, 020000, 060000, 0140000, 040000,
                                              0120000, 0170000};
        unsigned long m = R(t, 01000);
        if (R(t, 6) == 0) m |= PICK(t, ((unsigned long[]){04000, 02000, 01000, 06000, 07000}));
        if (R(t, 5) == 0) m |= PICK(t, types);
        if (R(t, 25) == 0) m = rnd(t) & 0xffffffff;
        return m;
    }
    case K_UID: return PICK(t, uids);
    case K_PID: return gen_pid(t);
    case K_TRACEE: {            /* never this program as pid 1: a worker tracing it would freeze the watchdog */
        unsigned long p = gen_pid(t);
        return p == 1 ? (unsigned long)t->gpid : p;
    }
    case K_SIG: return (unsigned long)(long)PICK(t, safe_sigs);
    case K_SOCKADDR: return gen_sockaddr(t, i);
    case K_ADDRLEN: return R(t, 4) ? (unsigned long)t->last_addrlen : (unsigned long)PICK(t, sizes_socklen);
    case K_LENP: {
        static const int vals[] = {0, 4, 16, 28, 110, 128, 4096, -1};
        if (R(t, 7) == 0) return bad_ptr(t);
        *(int *)s = PICK(t, vals);
        return (unsigned long)s;
    }
    case K_SLEN: return R(t, 5) ? (unsigned long)t->last_slen : (unsigned long)PICK(t, ints);
    case K_TIMESPEC: {
        r = R(t, 100);
        long *ts = (long *)s;
        if (r < 4) return 0;
        if (r < 10) return bad_ptr(t);
        ts[0] = 0; ts[1] = 0;
        if (r < 45) ts[1] = 0;
        else if (r < 70) ts[1] = 1000000;
        else if (r < 80) ts[1] = 10000000;
        else if (r < 82) ts[0] = 1;
        else if (r < 90) ts[0] = -1;
        else ts[1] = 1000000000L;
        return (unsigned long)s;
    }
    case K_TIMESPEC2: case K_TIMEVAL2: case K_UTIMBUF: {
        static const long secs[] = {0, 1, -1, 1000000000L, 1L << 40, LONG_MIN, LONG_MAX};
        static const long nsecs[] = {0, 0x3fffffffL, 0x3ffffffeL, 999999999L, 1000000000L, -1, 999999, 1000000};
        long *v = (long *)s;
        if (R(t, 10) == 0) return R(t, 2) ? 0 : bad_ptr(t);
        for (int k = 0; k < 4; k++) v[k] = k % 2 ? PICK(t, nsecs) : PICK(t, secs);
        if (p->type == K_UTIMBUF) v[1] = PICK(t, secs);
        return (unsigned long)s;
    }
    case K_RLIMIT: {
        unsigned long *v = (unsigned long *)s;
        unsigned long res = a[1] & 0xffffffff;
        static const unsigned long lim[] = {0, 1, 1024, ~0UL, 1UL << 20};
        int dangerous = res == 0 || res == 1 || res == 2 || res == 3 || res == 6 || res == 7 ||
                        res == 9 || res == 11;
        r = R(t, 10);
        if (r == 0) return 0;
        if (r == 1) return bad_ptr(t);
        if (dangerous) { v[0] = v[1] = ~0UL; }
        else { v[0] = PICK(t, lim); v[1] = PICK(t, lim); }
        return (unsigned long)s;
    }
    case K_SIGSET: {
        unsigned long *v = (unsigned long *)s;
        r = R(t, 6);
        if (r == 0) return bad_ptr(t);
        v[0] = r == 1 ? ~0UL : r == 2 ? 0 : r == 3 ? (1UL << (SIGALRM - 1)) : rnd(t);
        v[0] &= ~((1UL << 31) | (1UL << 32));    /* never glibc's own signals */
        return (unsigned long)s;
    }
    case K_SIGINFO: {
        static const int codes[] = {-1, 0, -6, 1, -60, 0x80, -4, -5};
        if (R(t, 8) == 0) return bad_ptr(t);
        memset(s, 0, 128);
        ((int *)s)[0] = PICK(t, safe_sigs);
        ((int *)s)[1] = (int)R(t, 3);
        ((int *)s)[2] = PICK(t, codes);
        ((int *)s)[4] = (int)gen_pid(t);
        ((int *)s)[5] = (int)PICK(t, uids);
        return (unsigned long)s;
    }
    case K_SIGEVENT: {
        static const int notify[] = {0, 1, 2, 4, 99};
        if (R(t, 8) == 0) return R(t, 2) ? 0 : bad_ptr(t);
        memset(s, 0, 64);
        *(long *)s = rnd(t);
        ((int *)s)[2] = PICK(t, safe_sigs);
        ((int *)s)[3] = PICK(t, notify);
        ((int *)s)[4] = R(t, 2) ? t->gtid : (int)gen_pid(t);
        return (unsigned long)s;
    }
    case K_CAPHDR: {
        static const unsigned vers[] = {0x19980330, 0x20071026, 0x20080522, 0x20080522, 0, 0xdeadbeef};
        if (R(t, 10) == 0) return bad_ptr(t);
        ((unsigned *)s)[0] = PICK(t, vers);
        ((int *)s)[1] = R(t, 2) ? 0 : (int)gen_pid(t);
        return (unsigned long)s;
    }
    case K_CAPDATA:
        r = R(t, 4);
        if (r == 0) return bad_ptr(t);
        for (int k = 0; k < 6; k++) ((unsigned *)s)[k] = r == 1 ? 0 : r == 2 ? ~0u : (unsigned)rnd(t);
        return (unsigned long)s;
    case K_CPUSET:
        r = R(t, 6);
        if (r == 0) return bad_ptr(t);
        memset(s, r == 1 ? 0xff : 0, 128);
        if (r == 2) s[0] = 1;
        if (r == 3) s[0] = 2;
        if (r == 4) s[0] = 3;
        if (r == 5) for (int k = 0; k < 128; k++) s[k] = (char)rnd(t);
        return (unsigned long)s;
    case K_SCHEDATTR: {
        static const unsigned sz[] = {48, 56, 0, 8, 100, 4096};
        static const unsigned pol[] = {0, 1, 2, 3, 5, 6, 7};
        if (R(t, 10) == 0) return bad_ptr(t);
        memset(s, 0, 128);
        ((unsigned *)s)[0] = PICK(t, sz);
        ((unsigned *)s)[1] = PICK(t, pol);
        ((unsigned long *)s)[1] = R(t, 3) ? 0 : rnd(t) & 0x7f;
        ((int *)s)[4] = (int)R(t, 40) - 20;
        ((unsigned *)s)[5] = R(t, 100);
        ((unsigned long *)s)[3] = R(t, 2) ? 0 : 1000000;
        ((unsigned long *)s)[4] = R(t, 2) ? 0 : 2000000;
        ((unsigned long *)s)[5] = R(t, 2) ? 0 : 3000000;
        return (unsigned long)s;
    }
    case K_GIDLIST:
        if (R(t, 8) == 0) return bad_ptr(t);
        for (int k = 0; k < 256; k++) ((unsigned *)s)[k] = (unsigned)PICK(t, uids);
        return (unsigned long)s;
    case K_IOV: {
        unsigned long *v = (unsigned long *)s;
        if (R(t, 8) == 0) return bad_ptr(t);
        for (int k = 0; k < 8; k++) {
            v[2 * k] = mem_ptr(t, (i + 1 + k) % 6, 256, 0);
            v[2 * k + 1] = R(t, 4) ? (unsigned long)R(t, 512) : PICK(t, lens);
        }
        return (unsigned long)s;
    }
    case K_ARGV: case K_ENVP: {
        char **v = (char **)s;
        char *strs = s + 2048;
        r = R(t, 10);
        if (r == 0) return 0;
        if (r == 1) return bad_ptr(t);
        if (p->type == K_ENVP) {
            strcpy(strs, "A=1");
            strcpy(strs + 16, "PATH=/bin");
            strcpy(strs + 32, "LD_PRELOAD=/tmp/fz/f");
            v[0] = strs; v[1] = r < 5 ? NULL : strs + 16; v[2] = r < 8 ? NULL : strs + 32; v[3] = NULL;
            if (r == 9) v[1] = (char *)bad_ptr(t);
            return (unsigned long)s;
        }
        strcpy(strs, "/fz/guest");
        strcpy(strs + 16, "exit");
        strcpy(strs + 32, "true");
        strcpy(strs + 48, "sh");
        strcpy(strs + 64, "-c");
        strcpy(strs + 80, "exit 3");
        v[0] = v[1] = v[2] = v[3] = NULL;
        if (r < 5) { v[0] = strs; v[1] = strs + 16; }
        else if (r == 5) v[0] = strs + 32;
        else if (r == 6) { v[0] = strs + 48; v[1] = strs + 64; v[2] = strs + 80; }
        else if (r == 7) v[0] = (char *)bad_ptr(t);
        else if (r == 8) { for (int k = 0; k < 200; k++) v[k] = strs + 16; v[200] = NULL; }
        return (unsigned long)s;
    }
    case K_CLONE_ARGS: {
        unsigned long *v = (unsigned long *)s;
        static const unsigned long ssize[] = {0, 4096, 1 << 20};
        static const unsigned long tid_size[] = {0, 0, 1, 2, 33};
        if (R(t, 10) == 0) return bad_ptr(t);
        memset(s, 0, 128);
        struct set *cs = NULL;
        for (int k = 0; k < nsets; k++)
            if (!strcmp(sets[k].name, "clone")) cs = &sets[k];
        v[0] = cs ? gen_flags(t, cs) & ~0xffUL : 0;
        if (R(t, 10) == 0) v[0] |= 0x100000000UL << R(t, 2);   /* CLEAR_SIGHAND, INTO_CGROUP */
        v[1] = (unsigned long)(s + 1024);
        v[2] = mem_ptr(t, (i + 1) % 6, 8, 0);
        v[3] = mem_ptr(t, (i + 2) % 6, 8, 0);
        v[4] = PICK(t, ((unsigned long[]){0, 17, 17, 10, 64, 65}));
        v[5] = R(t, 2) ? 0 : (unsigned long)(scratch(t, (i + 3) % 6));
        v[6] = PICK(t, ssize);
        v[7] = 0;
        ((int *)(s + 2048))[0] = 1;
        ((int *)(s + 2048))[1] = 99999;
        v[8] = (unsigned long)(s + 2048);
        v[9] = PICK(t, tid_size);
        v[10] = R(t, 2) ? 0 : gen_fd(t, 0);
        return (unsigned long)s;
    }
    case K_OPEN_HOW: {
        unsigned long *v = (unsigned long *)s;
        static const unsigned long modes[] = {0, 0644, 07777, 0170000, 0x10000};
        if (R(t, 10) == 0) return bad_ptr(t);
        memset(s, 0, 64);
        struct set *os = NULL;
        for (int k = 0; k < nsets; k++)
            if (!strcmp(sets[k].name, "open")) os = &sets[k];
        v[0] = (os ? gen_flags(t, os) : 0) | R(t, 3);
        if (R(t, 20) == 0) v[0] |= 1UL << 40;
        v[1] = PICK(t, modes);
        v[2] = R(t, 2) ? 0 : (rnd(t) & (R(t, 8) ? 0x3f : 0x7f));
        return (unsigned long)s;
    }
    case K_ENUM: return gen_enum(t, set_of(p->set));
    case K_FLAGS: return gen_flags(t, set_of(p->set));
    case K_STR: return gen_str(t, i, &strsets[p->set]);
    }
    return 0;
}

/* ------------------------------------------------------------------ one call */
static void record(struct slot *sl, struct th *t, struct call *c, unsigned long *a) {
    int j = 0;
    for (int k = 0; k < 6; k++)
        sl->args[k] = a[k];
    sl->str[0][0] = sl->str[1][0] = 0;
    for (int k = 0; k < c->nk && j < 2; k++)
        if (t->strown[k]) {
            strncpy(sl->str[j], (char *)a[k], sizeof sl->str[j] - 1);
            sl->str[j][sizeof sl->str[j] - 1] = 0;
            j++;
        }
    sl->t0 = now_ms();
    sl->last_kick = sl->t0;
    __atomic_store_n(&sl->nr, c->nr, __ATOMIC_RELEASE);
}

static long isolated(struct call *c, unsigned long *a) {
    int st;
    pid_t p = fork();
    if (p < 0)
        return -errno;
    if (p == 0) {
        signal(SIGALRM, SIG_DFL);
        alarm(3);
        long r = raw6(c->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (r == 0)                          /* the new child of fork, vfork, clone */
            raw6(SYS_exit_group, 0, 0, 0, 0, 0, 0);
        raw6(SYS_exit_group, r < 0 ? (unsigned long)(-r & 0xff) : 100, 0, 0, 0, 0, 0);
    }
    long deadline = now_ms() + 4000;
    for (int sleep_us = 100;; sleep_us = sleep_us < 10000 ? sleep_us * 2 : sleep_us) {
        pid_t w = waitpid(p, &st, WNOHANG | __WALL);
        if (w == p)
            break;
        if (w < 0 && errno != EINTR)
            return 0;                        /* reaped by a fuzzed wait4: result unknown */
        if (now_ms() > deadline) {
            kill(p, SIGKILL);
            waitpid(p, &st, __WALL);
            return -ETIMEDOUT;
        }
        usleep(sleep_us);
    }
    if (WIFEXITED(st))
        return WEXITSTATUS(st) == 100 || WEXITSTATUS(st) == 0 ? 0 : -WEXITSTATUS(st);
    return -EINTR;
}

static struct call *pick(struct th *t) {
    long r = R(t, totalw);
    int lo = 0, hi = ncalls - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cumw[mid] > r) hi = mid;
        else lo = mid + 1;
    }
    return &calls[lo];
}

static void one_call(struct th *t) {
    struct call *c = pick(t);
    unsigned long a[6];
    struct slot *sl = &ctl->slots[t->slot];
    for (int k = 0; k < 6; k++) {
        t->strown[k] = 0;
        a[k] = 0;
    }
    for (int k = 0; k < c->nk; k++) {
        unsigned long v = 0;
        for (int q = 0; q < c->k[k].nparts; q++)
            v |= gen(t, &c->k[k].p[q], k, a);
        a[k] = v;
    }
    for (int k = c->nk; k < 6; k++)
        a[k] = R(t, 4) ? 0 : rnd(t);
    record(sl, t, c, a);
    int iso = (c->flags & F_ISOLATE) || ((c->flags & F_MOSTLY_ISOLATE) && R(t, 10));
    long r = iso ? isolated(c, a) : raw6(c->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    __atomic_store_n(&sl->nr, -1, __ATOMIC_RELEASE);
    sl->calls++;
    __atomic_add_fetch(&ctl->total, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&ctl->calls[c->nr], 1, __ATOMIC_RELAXED);
    if (r >= 0 || r < -4095) {
        __atomic_add_fetch(&ctl->ok[c->nr], 1, __ATOMIC_RELAXED);
        if (c->flags & F_RETFD && !(c->nr == SYS_fcntl && a[1] != 0 && a[1] != 1030))
            adopt(t, r);
        if ((c->nr == SYS_pipe2 || c->nr == SYS_socketpair) && r == 0) {
            unsigned long p = c->nr == SYS_pipe2 ? a[0] : a[3];
            if (p >= (unsigned long)t->area && p < (unsigned long)(t->area + TAREA - 8)) {
                adopt(t, ((int *)p)[0]);
                adopt(t, ((int *)p)[1]);
            }
        }
    } else {
        long e = -r < NERR ? -r : NERR - 1;
        __atomic_add_fetch(&ctl->err[c->nr][e], 1, __ATOMIC_RELAXED);
    }
    if (R(t, 150) == 0)
        pool_refresh(t, R(t, POOL), R(t, NKINDS));
}

/* ------------------------------------------------------------------ workers */
static void on_signal(int sig) { (void)sig; }

static void install_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGALRM, &sa, NULL);           /* no SA_RESTART: blocking calls end with EINTR */
    sa.sa_flags = SA_RESTART;
    int caught[] = {SIGUSR1, SIGUSR2, SIGHUP, SIGIO, SIGPROF, SIGVTALRM, SIGXCPU};
    for (unsigned k = 0; k < sizeof caught / sizeof caught[0]; k++)
        sigaction(caught[k], &sa, NULL);
    for (int s = 34; s <= 64; s++)
        sigaction(s, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    signal(SIGTTOU, SIG_IGN);
    signal(SIGTTIN, SIG_IGN);
    signal(SIGTSTP, SIG_IGN);
}

static volatile int threads_done;

static void *fuzz_thread(void *arg) {
    struct th *t = arg;
    struct slot *sl = &ctl->slots[t->slot];
    t->gtid = (int)raw0(SYS_gettid);
    t->gpid = (int)raw0(SYS_getpid);
    sl->tid = t->gtid;
    sl->pid = t->gpid;
    sl->reported = 0;
    while (!ctl->stop && t->done < t->quota) {
        one_call(t);
        t->done++;
    }
    __atomic_add_fetch(&threads_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void worker(int widx, int gen) {
    static struct th ths[MAXTHREADS];
    pthread_t pt[MAXTHREADS];
    threads_done = 0;
    ctl->worker_pid[widx] = (int)raw0(SYS_getpid);
    int nul = open("/dev/null", O_RDWR);        /* init's stdout is not the workers' to fuzz */
    for (int fd = 0; fd < 3; fd++)
        dup2(nul, fd);
    if (nul > 2)
        close(nul);
    if (chdir("/tmp/fz") < 0) {}
    for (int i = 0; i < POOL; i++) { pool[i] = -1; pool_kind[i] = -1; }
    struct th seedth = {.rng = mix(seed ^ ((uint64_t)widx << 40) ^ ((uint64_t)gen << 20)) | 1};
    for (int i = 0; i < POOL; i++)
        if (pool[i] < 0) pool_refresh(&seedth, i, i % NKINDS);
    for (int i = 0; i < nthreads; i++) {
        ths[i] = (struct th){.widx = widx, .tidx = i, .slot = widx * MAXTHREADS + i,
                             .rng = mix(seedth.rng ^ (uint64_t)i) | 1,
                             .area = ARENA + i * TAREA, .quota = (quota + nthreads - 1) / nthreads};
        ctl->slots[ths[i].slot].nr = -1;
    }
    int started = 1;
    for (int i = 1; i < nthreads; i++)
        started += pthread_create(&pt[i], NULL, fuzz_thread, &ths[i]) == 0;
    fuzz_thread(&ths[0]);
    /* Not pthread_join: a fuzzed set_tid_address moves the word the kernel clears at exit. */
    while (__atomic_load_n(&threads_done, __ATOMIC_ACQUIRE) < started) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    raw6(SYS_exit_group, 0, 0, 0, 0, 0, 0);
}

/* ------------------------------------------------------------------ setup */
static int find_set(const char *name, int str) {
    if (str) {
        for (int i = 0; i < nstrsets; i++)
            if (!strcmp(strsets[i].name, name)) return i;
    } else {
        for (int i = 0; i < nsets; i++)
            if (!strcmp(sets[i].name, name)) return i;
    }
    fprintf(stderr, "guest: unknown set %s\n", name);
    exit(2);
}

static void parse_kind(char *tok, struct kind *k) {
    k->nparts = 0;
    for (char *part = strtok_r(tok, "|", &tok); part && k->nparts < 3; part = strtok_r(NULL, "|", &tok)) {
        struct part *p = &k->p[k->nparts++];
        if (part[1] == ':') {
            p->type = part[0] == 'e' ? K_ENUM : part[0] == 'f' ? K_FLAGS : K_STR;
            p->set = find_set(part + 2, part[0] == 's');
            continue;
        }
        p->type = -1;
        for (int i = 0; i < K_ENUM; i++)
            if (!strcmp(kind_names[i], part)) p->type = i;
        if (p->type < 0) {
            fprintf(stderr, "guest: unknown kind %s\n", part);
            exit(2);
        }
    }
}

static void add_corpus(const char *h) {
    if (ncorpus < MAXCORPUS) {
        corpus[ncorpus] = dup_hex(h, &corpus_len[ncorpus]);
        ncorpus++;
    }
}

static void setup_op(const char *op, char *a, char *b) {
    char *p = dup_hex(a, NULL);
    int r = 0;
    if (!strcmp(op, "mkdir")) r = mkdir(p, 0755);
    else if (!strcmp(op, "file")) { r = open(p, O_WRONLY | O_CREAT, 0644); if (r >= 0) { write(r, "data\n", 5); close(r); r = 0; } }
    else if (!strcmp(op, "fifo")) r = mkfifo(p, 0644);
    else if (!strcmp(op, "sock")) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        strncpy(sa.sun_path, p, sizeof sa.sun_path - 1);
        r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
        if (r == 0) listen(fd, 64);
        if (r == 0 && nsockpaths < 16) sockpaths[nsockpaths++] = strdup(p);
    } else if (!strcmp(op, "symlink") && b) {
        char *q = dup_hex(b, NULL);
        r = symlink(p, q);
        free(p);
        p = q;
        a = b;
    }
    if (r < 0 && errno != EEXIST)
        printf("SETUP %s %s errno=%d\n", op, a, errno);
    add_corpus(a);
    free(p);
}

static void read_spec(const char *path) {
    FILE *f = fopen(path, "r");
    static char line[65536];
    if (!f) { perror(path); exit(2); }
    while (fgets(line, sizeof line, f)) {
        char *save, *w = strtok_r(line, " \n", &save);
        if (!w) continue;
        if (!strcmp(w, "set") && nsets < MAXSETS) {
            struct set *s = &sets[nsets++];
            snprintf(s->name, sizeof s->name, "%s", strtok_r(NULL, " \n", &save));
            for (char *v; (v = strtok_r(NULL, " \n", &save)) && s->n < 64;)
                s->v[s->n++] = strtoul(v, NULL, 16);
        } else if (!strcmp(w, "str") && nstrsets < MAXSETS) {
            struct strset *s = &strsets[nstrsets++];
            snprintf(s->name, sizeof s->name, "%s", strtok_r(NULL, " \n", &save));
            for (char *v; (v = strtok_r(NULL, " \n", &save)) && s->n < 32;) {
                s->s[s->n] = dup_hex(v, &s->len[s->n]);
                s->n++;
            }
        } else if (!strcmp(w, "call") && ncalls < MAXCALLS) {
            struct call *c = &calls[ncalls++];
            c->nr = atoi(strtok_r(NULL, " \n", &save));
            snprintf(c->name, sizeof c->name, "%s", strtok_r(NULL, " \n", &save));
            c->weight = atoi(strtok_r(NULL, " \n", &save));
            c->flags = atoi(strtok_r(NULL, " \n", &save));
            for (char *v; (v = strtok_r(NULL, " \n", &save)) && c->nk < 6;)
                parse_kind(v, &c->k[c->nk++]);
        } else if (!strcmp(w, "path")) {
            add_corpus(strtok_r(NULL, " \n", &save));
        } else {
            char *a = strtok_r(NULL, " \n", &save), *b = strtok_r(NULL, " \n", &save);
            if (a) setup_op(w, a, b);
        }
    }
    fclose(f);
    for (int i = 0; i < ncalls; i++) {
        totalw += calls[i].weight;
        cumw[i] = totalw;
    }
}

static void setup_memory(void) {
    char *a = mmap(ARENA, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (a != ARENA) { perror("arena"); exit(2); }
    static const char *ro[] = {"/tmp/fz/f", "/proc/self/status", "/tmp/fz/\xff\xfe", "/tmp/fz/d", "", "/"};
    for (int k = 0; k < 6; k++)
        strcpy(a + OFF_RO + 64 * k, ro[k]);
    struct sockaddr_un *un = (struct sockaddr_un *)(a + OFF_RO + 512);
    un->sun_family = AF_UNIX;
    strcpy(un->sun_path, "/tmp/fz/sock");
    for (unsigned long k = 1024; k < 2 * PAGE; k++)
        a[OFF_RO + k] = (char)(k * 7);
    mprotect(a + OFF_NONE, PAGE, PROT_NONE);
    mprotect(a + OFF_RO, 2 * PAGE, PROT_READ);
    munmap(a + OFF_HOLE, PAGE);
    ctl = mmap(CTL_ADDR, sizeof *ctl, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (ctl != CTL_ADDR) { perror("ctl"); exit(2); }
    for (int k = 0; k < MAXPROCS * MAXTHREADS; k++)
        ctl->slots[k].nr = -1;
}

static void setup_inet(void) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    socklen_t n = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 16) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &n) == 0)
        ctl->inet_port = ntohs(sa.sin_port);
}

static const char *call_name(long nr) {
    for (int i = 0; i < ncalls; i++)
        if (calls[i].nr == nr) return calls[i].name;
    return "?";
}

static void print_slot(const char *what, struct slot *sl, long extra) {
    printf("%s %ld %ld %s", what, extra, sl->nr, call_name(sl->nr));
    for (int k = 0; k < 6; k++)
        printf(" %lx", sl->args[k]);
    for (int j = 0; j < 2; j++) {
        printf(" ");
        for (char *p = sl->str[j]; *p; p++) printf("%02x", (unsigned char)*p);
        if (!sl->str[j][0]) printf("-");
    }
    printf("\n");
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "exit"))
        return 0;
    if (argc < 8 || strcmp(argv[1], "run")) {
        fprintf(stderr, "usage: guest run SPEC SEED CALLS PROCS THREADS QUOTA | guest exit\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    seed = strtoul(argv[3], NULL, 0);
    long target = atol(argv[4]);
    nprocs = atoi(argv[5]);
    nthreads = atoi(argv[6]);
    quota = atol(argv[7]);
    if (nprocs < 1 || nprocs > MAXPROCS || nthreads < 1 || nthreads > MAXTHREADS) {
        fprintf(stderr, "guest: 1..%d processes, 1..%d threads\n", MAXPROCS, MAXTHREADS);
        return 2;
    }
    setup_memory();
    read_spec(argv[2]);
    setup_inet();
    install_handlers();
    long t_start = now_ms();
    pid_t pids[MAXPROCS];
    int gens = 0, deaths = 0, stucks = 0;
    for (int w = 0; w < nprocs; w++) {
        pids[w] = fork();
        if (pids[w] == 0) worker(w, gens);
        gens++;
    }
    long stop_at = 0, last_total = 0, last_progress = now_ms();
    int noprogress = 0;
    for (;;) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
        long now = now_ms();
        if (!ctl->stop && ctl->total >= target) {
            ctl->stop = 1;
            stop_at = now;
        }
        int st;
        pid_t p;
        while ((p = waitpid(-1, &st, WNOHANG | __WALL)) > 0) {
            if (WIFSTOPPED(st)) {
                /* A worker made this process its tracer (a fuzzed PTRACE_TRACEME): its
                 * stops come here and it would wait in them for good (15 s of NOEXIT).
                 * Let it go, with the signal it stopped for (not a stop signal). */
                int sig = WSTOPSIG(st);
                if (st >> 16 || sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU ||
                    sig == (SIGTRAP | 0x80))
                    sig = 0;
                ptrace(PTRACE_DETACH, p, 0, sig);
                continue;
            }
            for (int w = 0; w < nprocs; w++) {
                if (pids[w] != p) continue;
                for (int i = 0; i < nthreads; i++) {
                    struct slot *sl = &ctl->slots[w * MAXTHREADS + i];
                    if (WIFSIGNALED(st) && sl->nr >= 0 && !sl->reported) {
                        print_slot("DEATH", sl, WTERMSIG(st));
                        deaths++;
                    }
                    sl->nr = -1;
                }
                pids[w] = -1;
                if (WIFSIGNALED(st) && !ctl->stop)
                    printf("WORKER_SIGNAL %d\n", WTERMSIG(st));
                if (!ctl->stop) {
                    pids[w] = fork();
                    if (pids[w] == 0) worker(w, gens);
                    gens++;
                }
            }
        }
        int alive = 0;
        for (int w = 0; w < nprocs; w++) {
            if (pids[w] <= 0) continue;
            alive++;
            for (int i = 0; i < nthreads; i++) {
                struct slot *sl = &ctl->slots[w * MAXTHREADS + i];
                long nr = sl->nr, t0 = sl->t0;
                if (nr < 0 || sl->reported) continue;
                if (now - t0 > STUCK_MS) {
                    sl->reported = 1;
                    print_slot("STUCK", sl, now - t0);
                    stucks++;
                    kill(pids[w], SIGKILL);
                } else if (now - t0 > KICK_MS && now - sl->last_kick > KICK_MS) {
                    sl->last_kick = now;
                    syscall(SYS_tgkill, sl->pid, sl->tid, SIGALRM);
                }
            }
        }
        if (ctl->total != last_total) {
            last_total = ctl->total;
            last_progress = now;
        } else if (!ctl->stop && now - last_progress > STUCK_MS + 5000) {
            printf("NOPROGRESS %ld ms at %ld calls\n", now - last_progress, last_total);
            for (int w = 0; w < nprocs; w++)
                if (pids[w] > 0) kill(pids[w], SIGKILL);
            last_progress = now;
            if (++noprogress >= 2) {            /* fresh workers are stuck too: give up */
                printf("GIVEUP at %ld calls\n", last_total);
                ctl->stop = 1;
                stop_at = now;
            }
        }
        if (ctl->stop && !alive) break;
        if (ctl->stop && now - stop_at > 15000) {
            for (int w = 0; w < nprocs; w++)
                if (pids[w] > 0) {
                    printf("NOEXIT worker %d\n", w);
                    kill(pids[w], SIGKILL);
                }
            stop_at = now;
        }
    }
    long elapsed = now_ms() - t_start;
    printf("RESULT total=%ld elapsed_ms=%ld workers=%d deaths=%d stuck=%d\n", ctl->total, elapsed,
           gens, deaths, stucks);
    for (int nr = 0; nr < MAXNR; nr++) {
        if (!ctl->calls[nr]) continue;
        printf("NR %d %lu %lu", nr, ctl->calls[nr], ctl->ok[nr]);
        for (int e = 1; e < NERR; e++)
            if (ctl->err[nr][e]) printf(" %d:%u", e, ctl->err[nr][e]);
        printf("\n");
    }
    fflush(stdout);
    return 0;
}
