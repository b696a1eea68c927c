/* floor_tracer: the least a ptrace + seccomp sandbox can do per trapped call.
 *
 * It is the "floor" runner of bench/run.py: the physical limit for a ptrace
 * backend such as umlpy's.  It forks PROG, the child asks to be traced
 * (PTRACE_TRACEME + raise(SIGSTOP)), installs a seccomp filter that allows
 * exactly the calls umlpy lets run natively (same argument rules) and returns
 * SECCOMP_RET_TRACE for all others, then execs PROG.  Per trapped call the
 * tracer does the minimum: one PTRACE_EVENT_SECCOMP stop, PTRACE_GETEVENTMSG,
 * then either answers the call itself (getppid: orig_rax = -1, rax = 1, as
 * umlpy emulates it: GETREGS + SETREGS) or lets it run (PTRACE_CONT).  No
 * path walk, no bookkeeping: whatever umlpy costs above this is Python's work.
 *
 * It follows fork/vfork/clone/exec (PTRACE_O_TRACEFORK|VFORK|CLONE|EXEC) and
 * kills everything if it dies (EXITKILL); signals are re-injected; a
 * group-stop is resumed at once (no job control: benchmarks do not use it).
 *
 *   floor_tracer [-r ROOT] ALLOWFILE PROG [ARG...]
 *
 * -r ROOT: chroot(ROOT) in the child first (needs root).  ALLOWFILE, written
 * by bench/run.py from umlpy.syscalls.linux64.TABLE.native_numbers(), has one
 * line per native syscall:
 *   NR                         always allowed
 *   NR in|out ARG V1 V2 ...    allowed when the low 32 bits of argument ARG
 *                              are (in) or are not (out) one of the values
 *   NR zero ARG                allowed when argument ARG (64 bits) is 0
 * Every other number stops; getppid (110) is answered by the tracer.
 * The exit status is the traced program's (128+N if killed by signal N).
 * With FLOOR_STATS=1 in the environment it prints its counts to stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXI 4096
static struct sock_filter prog[MAXI];
static int np;

static void emit(uint16_t code, uint8_t jt, uint8_t jf, uint32_t k) {
    if (np >= MAXI) { fprintf(stderr, "floor_tracer: filter too long\n"); exit(126); }
    prog[np++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
}

#define LD(off) emit(BPF_LD | BPF_W | BPF_ABS, 0, 0, (off))
#define RET(v) emit(BPF_RET | BPF_K, 0, 0, (v))
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#define TRACE_EMULATE 1         /* SECCOMP_RET_DATA of getppid: answer it */

/* The filter: arch check, getppid -> TRACE|1, each ALLOWFILE line, else TRACE. */
static void build_filter(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); exit(126); }
    LD(offsetof(struct seccomp_data, arch));
    emit(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
    RET(SECCOMP_RET_KILL_PROCESS);
    LD(offsetof(struct seccomp_data, nr));
    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, SYS_getppid);
    RET(SECCOMP_RET_TRACE | TRACE_EMULATE);
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        char *s = line, *end;
        long nr = strtol(s, &end, 10);
        if (end == s) continue;
        s = end;
        char kind[8] = "";
        int arg = 0, used = 0;
        if (sscanf(s, " %7s %d%n", kind, &arg, &used) < 2) {   /* always allowed */
            emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, nr);
            RET(SECCOMP_RET_ALLOW);
            continue;
        }
        s += used;
        if (strcmp(kind, "zero") == 0) {
            /* jeq nr ?:+5; ld lo; jeq 0 ?:+2; ld hi; jeq 0 ?:+1; ALLOW; TRACE */
            emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 6, nr);
            LD(ARG_LO(arg));
            emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 3, 0);
            LD(ARG_HI(arg));
            emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0);
            RET(SECCOMP_RET_ALLOW);
            RET(SECCOMP_RET_TRACE);
            continue;
        }
        uint32_t vals[256];
        int nv = 0;
        long v;
        while (nv < 256 && (v = strtol(s, &end, 10), end != s)) {
            vals[nv++] = (uint32_t)v;
            s = end;
        }
        int in = strcmp(kind, "in") == 0;
        /* jeq nr ?:+len; ld arg; (jeq v ?:+1; RET hit)*nv; RET miss */
        int len = 1 + 2 * nv + 1;
        if (len > 255) { fprintf(stderr, "floor_tracer: rule of %ld too long\n", nr); exit(126); }
        emit(BPF_JMP | BPF_JEQ | BPF_K, 0, len, nr);
        LD(ARG_LO(arg));
        for (int i = 0; i < nv; i++) {
            emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, vals[i]);
            RET(in ? SECCOMP_RET_ALLOW : SECCOMP_RET_TRACE);
        }
        RET(in ? SECCOMP_RET_TRACE : SECCOMP_RET_ALLOW);
    }
    fclose(f);
    RET(SECCOMP_RET_TRACE);
}

/* pids whose first stop (the attach SIGSTOP) has been seen: open addressing */
#define HN (1 << 16)
static int seen[HN];
static int seen_has(int pid) {
    for (unsigned h = (unsigned)pid * 2654435761u % HN;; h = (h + 1) % HN) {
        if (seen[h] == pid) return 1;
        if (seen[h] == 0) return 0;
    }
}
static void seen_add(int pid) {
    for (unsigned h = (unsigned)pid * 2654435761u % HN;; h = (h + 1) % HN)
        if (seen[h] == 0 || seen[h] == -1) { seen[h] = pid; return; }
}
static void seen_del(int pid) {
    for (unsigned h = (unsigned)pid * 2654435761u % HN;; h = (h + 1) % HN) {
        if (seen[h] == pid) { seen[h] = -1; return; }      /* tombstone */
        if (seen[h] == 0) return;
    }
}

int main(int argc, char **argv) {
    const char *root = NULL;
    int a = 1;
    if (a + 1 < argc && strcmp(argv[a], "-r") == 0) { root = argv[a + 1]; a += 2; }
    if (argc - a < 2) {
        fprintf(stderr, "usage: floor_tracer [-r ROOT] ALLOWFILE PROG [ARG...]\n");
        return 126;
    }
    build_filter(argv[a]);
    struct sock_fprog fprog = { .len = (unsigned short)np, .filter = prog };

    pid_t child = fork();
    if (child < 0) { perror("fork"); return 126; }
    if (child == 0) {
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0) { perror("PTRACE_TRACEME"); _exit(126); }
        raise(SIGSTOP);
        if (root && (chroot(root) < 0 || chdir("/") < 0)) { perror(root); _exit(126); }
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) { perror("NO_NEW_PRIVS"); _exit(126); }
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0) { perror("seccomp"); _exit(126); }
        execv(argv[a + 1], argv + a + 1);
        perror(argv[a + 1]);
        _exit(127);
    }
    int st;
    if (waitpid(child, &st, 0) != child || !WIFSTOPPED(st)) { fprintf(stderr, "floor_tracer: no stop\n"); return 126; }
    seen_add(child);
    long opts = PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
    if (ptrace(PTRACE_SETOPTIONS, child, 0, opts) < 0) { perror("PTRACE_SETOPTIONS"); return 126; }
    ptrace(PTRACE_CONT, child, 0, 0);

    long n_seccomp = 0, n_emulated = 0, n_fork = 0, n_exec = 0, n_signal = 0, n_other = 0;
    int result = 126;
    for (;;) {
        pid_t pid = waitpid(-1, &st, __WALL);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;                                   /* ECHILD: every tracee is gone */
        }
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            if (pid == child)
                result = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            seen_del(pid);
            continue;
        }
        if (!WIFSTOPPED(st)) continue;
        int sig = WSTOPSIG(st), ev = st >> 16;
        if (!seen_has(pid)) {                        /* a new auto-attached tracee */
            seen_add(pid);
            if (sig == SIGSTOP && ev == 0) { ptrace(PTRACE_CONT, pid, 0, 0); continue; }
        }
        if (sig == SIGTRAP && ev != 0) {
            if (ev == PTRACE_EVENT_SECCOMP) {
                unsigned long data = 0;
                n_seccomp++;
                ptrace(PTRACE_GETEVENTMSG, pid, 0, &data);
                if (data == TRACE_EMULATE) {         /* answer it: the call never runs */
                    struct user_regs_struct r;
                    ptrace(PTRACE_GETREGS, pid, 0, &r);
                    r.orig_rax = (unsigned long long)-1;
                    r.rax = 1;
                    ptrace(PTRACE_SETREGS, pid, 0, &r);
                    n_emulated++;
                }
            } else if (ev == PTRACE_EVENT_EXEC) {
                n_exec++;
            } else if (ev == PTRACE_EVENT_FORK || ev == PTRACE_EVENT_VFORK || ev == PTRACE_EVENT_CLONE) {
                n_fork++;
            } else {
                n_other++;
            }
            ptrace(PTRACE_CONT, pid, 0, 0);
            continue;
        }
        if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
            siginfo_t si;
            if (ptrace(PTRACE_GETSIGINFO, pid, 0, &si) < 0) {   /* group-stop: resume */
                ptrace(PTRACE_CONT, pid, 0, 0);
                continue;
            }
        }
        n_signal++;
        ptrace(PTRACE_CONT, pid, 0, sig);            /* signal-delivery-stop: re-inject */
    }
    if (getenv("FLOOR_STATS"))
        fprintf(stderr, "floor_tracer: %d filter insns, %ld seccomp stops (%ld answered), "
                "%ld fork/clone, %ld exec, %ld signals, %ld other\n",
                np, n_seccomp, n_emulated, n_fork, n_exec, n_signal, n_other);
    return result;
}
