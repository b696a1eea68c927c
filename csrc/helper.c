/*
 * umlpy's C helper: the few things that must not go through Python on the hot
 * path, or must happen in a child before its first exec.
 *
 *   uh_spawn      fork the first guest: ptrace-seize it, then (in the child)
 *                 new session, no_new_privs, drop host credentials, install
 *                 the seccomp filter with a user-notification listener, and
 *                 execveat() the program the supervisor opened.
 *   uh_wait       one call per ptrace stop: waitpid + decode + registers.
 *   uh_resume     one call per resume: optional SETREGS + CONT/SYSCALL/LISTEN.
 *   uh_read/...   guest memory through process_vm_readv/writev: a bad guest
 *                 pointer is -EFAULT, never a crash.
 *   uh_addfd      hand a supervisor-owned descriptor to a guest thread that is
 *                 parked in the seccomp user-notification "magic" syscall.
 *
 * Every function returns >= 0 on success or -errno; none of them exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "helper.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* <sys/ptrace.h> and <linux/ptrace.h> clash; declare the libc entry point. */
extern long ptrace(int request, ...);
#define PTRACE_TRACEME_ 0
#define PTRACE_CONT_ 7
#define PTRACE_KILL_ 8
#define PTRACE_GETREGS_ 12
#define PTRACE_SETREGS_ 13
#define PTRACE_SYSCALL_ 24
#define PTRACE_SETOPTIONS_ 0x4200
#define PTRACE_GETEVENTMSG_ 0x4201
#define PTRACE_GETSIGINFO_ 0x4202

/* ------------------------------------------------------------------ spawn */

struct spawn_shared {           /* one shared page between parent and child */
    int listener;               /* child's fd number of the notify listener */
    int err;                    /* errno of the step that failed in the child */
    int step;                   /* which step failed (for the message) */
};

static void child_fail(struct spawn_shared *sh, int step)
{
    sh->err = errno;
    sh->step = step;
    _exit(127);
}

static void child(const struct uh_spawn_args *a, struct spawn_shared *sh,
                  int exec_fd, int sync_fd)
{
    struct sock_fprog prog;
    char c;
    long listener;

    /* Gather the fds we keep at numbers >= 10 so the dup2s below cannot
     * clobber them, then lay out 0,1,2 and close everything else. */
    exec_fd = fcntl(exec_fd, F_DUPFD_CLOEXEC, 10);
    sync_fd = fcntl(sync_fd, F_DUPFD_CLOEXEC, 10);
    if (exec_fd < 0 || sync_fd < 0)
        child_fail(sh, 1);
    int in = a->stdin_fd >= 0 ? fcntl(a->stdin_fd, F_DUPFD, 10) : -1;
    int out = a->stdout_fd >= 0 ? fcntl(a->stdout_fd, F_DUPFD, 10) : -1;
    int err = a->stderr_fd >= 0 ? fcntl(a->stderr_fd, F_DUPFD, 10) : -1;
    if ((in >= 0 && dup2(in, 0) < 0) || (out >= 0 && dup2(out, 1) < 0) ||
        (err >= 0 && dup2(err, 2) < 0))
        child_fail(sh, 2);
    if (dup2(exec_fd, 3) < 0 || dup2(sync_fd, 4) < 0)
        child_fail(sh, 2);
    fcntl(3, F_SETFD, FD_CLOEXEC);
    fcntl(4, F_SETFD, FD_CLOEXEC);
    syscall(SYS_close_range, 5, ~0U, 0);

    /* The guest's init leads its own session: guest process groups and
     * sessions never include a host process. */
    if (setsid() < 0)
        child_fail(sh, 3);
    if (a->make_ctty && ioctl(0, TIOCSCTTY, 0) < 0)
        child_fail(sh, 4);
    /* Orphans of the guest are reparented to guest init, as in a pid ns. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (a->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(a->cpu, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
    /* Defence in depth: the host kernel's own view of the guest is an empty
     * network namespace, its own System V IPC namespace, and an empty,
     * unwritable root directory.  Every name
     * the guest uses is resolved by the guest kernel; if anything ever reached
     * the host kernel unresolved, it would find nothing there. */
    if (a->new_netns) {
        if (unshare(CLONE_NEWNET | CLONE_NEWIPC) < 0)
            child_fail(sh, 10);
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr;
        memset(&ifr, 0, sizeof ifr);
        strcpy(ifr.ifr_name, "lo");
        if (s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
            ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
            ioctl(s, SIOCSIFFLAGS, &ifr);
        }
        if (s >= 0) close(s);
    }
    if (a->chroot_dir) {
        if (chroot(a->chroot_dir) < 0 || chdir("/") < 0)
            child_fail(sh, 11);
    }
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    /* Wait until the supervisor has seized us: from here on a trapped
     * syscall without a tracer would be ENOSYS instead of a stop. */
    if (read(4, &c, 1) != 1)
        child_fail(sh, 5);

    if (a->gid >= 0) {
        if (setgroups(0, NULL) < 0 || setresgid(a->gid, a->gid, a->gid) < 0)
            child_fail(sh, 6);
    }
    if (a->uid >= 0 && setresuid(a->uid, a->uid, a->uid) < 0)
        child_fail(sh, 6);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        child_fail(sh, 7);

    prog.len = a->filter_len;
    prog.filter = (struct sock_filter *)a->filter;
    listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                       SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
    if (listener < 0)
        child_fail(sh, 8);
    sh->listener = (int)listener;   /* a memory write: no syscall, no trap */

    /* Resource limits for the whole sandbox: lowering needs no privilege,
     * and every guest process inherits them.  Set last, so that the fds
     * above (the listener) do not count against an open-files limit.  The
     * hard CPU limit is a second above the soft one, so that SIGXCPU comes
     * before SIGKILL, as with `ulimit -t`. */
    for (int i = 0; i < a->n_rlimits; i++) {
        struct rlimit rl = { a->rlimit_val[i], a->rlimit_val[i] };
        if (a->rlimit_res[i] == RLIMIT_CPU)
            rl.rlim_max = rl.rlim_cur + 1;
        if (prlimit(0, a->rlimit_res[i], &rl, NULL) < 0)
            child_fail(sh, 12);
    }

    /* fd 3 is the program the supervisor resolved; no guest path reaches the
     * host kernel.  The listener is close-on-exec by construction. */
    syscall(SYS_execveat, 3, "", a->argv, a->envp, AT_EMPTY_PATH);
    child_fail(sh, 9);
}

int uh_spawn(struct uh_spawn_args *a)
{
    int sync[2];
    int status;
    pid_t pid;
    struct spawn_shared *sh;

    sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        return -errno;
    sh->listener = -1;
    if (pipe2(sync, O_CLOEXEC) < 0) {
        int e = errno;
        munmap(sh, 4096);
        return -e;
    }
    pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sync[0]); close(sync[1]); munmap(sh, 4096);
        return -e;
    }
    if (pid == 0)
        child(a, sh, a->exec_fd, sync[0]);

    close(sync[0]);
    a->pid = pid;
    a->listener_fd = -1;
    a->child_errno = 0;
    a->child_step = 0;
    if (ptrace(PTRACE_SEIZE, pid, 0, (void *)(long)a->ptrace_options) < 0) {
        int e = errno;
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        close(sync[1]); munmap(sh, 4096);
        return -e;
    }
    if (write(sync[1], "g", 1) != 1) { /* child died before reading */ }
    close(sync[1]);

    /* Run the child up to its first exec.  Its only trapped syscall is the
     * execveat itself: take the listener at that stop, then let it go. */
    for (;;) {
        if (waitpid(pid, &status, __WALL) < 0) {
            int e = errno;
            munmap(sh, 4096);
            return -e;
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            a->child_errno = sh->err;
            a->child_step = sh->step;
            if (a->listener_fd >= 0) close(a->listener_fd);
            a->listener_fd = -1;
            munmap(sh, 4096);
            return -ECHILD;
        }
        int event = status >> 16;
        if (event == PTRACE_EVENT_SECCOMP) {
            if (a->listener_fd < 0 && sh->listener >= 0) {
                int pidfd = syscall(SYS_pidfd_open, pid, 0);
                if (pidfd >= 0) {
                    a->listener_fd = syscall(SYS_pidfd_getfd, pidfd, sh->listener, 0);
                    close(pidfd);
                }
            }
            ptrace(PTRACE_CONT_, pid, 0, 0);
        } else if (event == PTRACE_EVENT_EXEC) {
            munmap(sh, 4096);
            if (a->listener_fd < 0) {
                kill(pid, SIGKILL);
                return -EPROTO;
            }
            return pid;            /* stopped at the exec event */
        } else if (event == PTRACE_EVENT_STOP) {
            ptrace(PTRACE_CONT_, pid, 0, 0);
        } else {
            /* A signal before exec: deliver nothing, we own this child. */
            ptrace(PTRACE_CONT_, pid, 0, 0);
        }
    }
}

/* ------------------------------------------------------------- stop loop */

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
        return;
    }
    if (WIFSIGNALED(status)) {
        st->kind = UH_KILLED;
        st->sig = WTERMSIG(status);
        return;
    }
    int sig = WSTOPSIG(status);
    int event = status >> 16;
    st->sig = sig;
    if (sig == (SIGTRAP | 0x80)) {
        struct ptrace_syscall_info info;
        st->kind = UH_SYSCALL;
        if (ptrace(PTRACE_GET_SYSCALL_INFO, st->tid, sizeof info, &info) > 0)
            st->op = info.op;
        ptrace(PTRACE_GETREGS_, st->tid, 0, &st->regs);
        return;
    }
    if (event == PTRACE_EVENT_SECCOMP) {
        st->kind = UH_SECCOMP;
        st->event = event;
        ptrace(PTRACE_GETEVENTMSG_, st->tid, 0, &st->msg);
        ptrace(PTRACE_GETREGS_, st->tid, 0, &st->regs);
        return;
    }
    if (event == PTRACE_EVENT_STOP) {
        /* Under PTRACE_SEIZE a group-stop reports the stopping signal;
         * PTRACE_INTERRUPT and a new child's first stop report SIGTRAP. */
        st->event = event;
        if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
            st->kind = UH_GROUP_STOP;
        else
            st->kind = UH_INTERRUPT;
        return;
    }
    if (event) {
        st->kind = UH_EVENT;
        st->event = event;
        ptrace(PTRACE_GETEVENTMSG_, st->tid, 0, &st->msg);
        if (event == PTRACE_EVENT_EXEC)
            ptrace(PTRACE_GETREGS_, st->tid, 0, &st->regs);
        return;
    }
    st->kind = UH_SIGNAL;
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

int uh_resume(int tid, int how, int sig, const struct user_regs_struct *regs)
{
    long req;
    if (regs && ptrace(PTRACE_SETREGS_, tid, 0, regs) < 0)
        return -errno;
    switch (how) {
    case UH_CONT: req = PTRACE_CONT_; break;
    case UH_STEP_SYSCALL: req = PTRACE_SYSCALL_; break;
    case UH_LISTEN: req = PTRACE_LISTEN; break;
    case UH_DETACH: req = PTRACE_DETACH; break;
    default: return -EINVAL;
    }
    if (ptrace(req, tid, 0, (void *)(long)sig) < 0)
        return -errno;
    return 0;
}

int uh_setregs(int tid, const struct user_regs_struct *regs)
{
    return ptrace(PTRACE_SETREGS_, tid, 0, regs) < 0 ? -errno : 0;
}

int uh_getregs(int tid, struct user_regs_struct *regs)
{
    return ptrace(PTRACE_GETREGS_, tid, 0, regs) < 0 ? -errno : 0;
}

int uh_interrupt(int tid)
{
    return ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 ? -errno : 0;
}

/* ---------------------------------------------------------- guest memory */

long uh_read(int pid, uint64_t addr, void *buf, size_t len)
{
    struct iovec local = { buf, len }, remote = { (void *)addr, len };
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n < 0)
        return -errno;
    return n;
}

long uh_write(int pid, uint64_t addr, const void *buf, size_t len)
{
    struct iovec local = { (void *)buf, len }, remote = { (void *)addr, len };
    ssize_t n = process_vm_writev(pid, &local, 1, &remote, 1, 0);
    if (n < 0)
        return -errno;
    return n;
}

/* Read a NUL-terminated string of at most max bytes (NUL excluded).  Reads
 * page by page so a string that ends just before an unmapped page works.
 * Returns its length, -EFAULT, or -ENAMETOOLONG. */
long uh_read_str(int pid, uint64_t addr, char *buf, size_t max)
{
    size_t got = 0;
    if (addr == 0)
        return -EFAULT;
    while (got <= max) {
        size_t chunk = 4096 - ((addr + got) & 4095);
        if (chunk > max + 1 - got)
            chunk = max + 1 - got;
        long n = uh_read(pid, addr + got, buf + got, chunk);
        if (n <= 0)
            return -EFAULT;
        char *nul = memchr(buf + got, 0, n);
        if (nul)
            return nul - buf;
        got += n;
    }
    return -ENAMETOOLONG;
}

/* --------------------------------------------------------- fd hand-over */

/* The thread `tid` has been pointed at the magic syscall and resumed; it is
 * now (or will very soon be) parked in a seccomp user notification.  Install
 * `srcfd` in its fd table and make the syscall return the new number. */
static int thread_has_stopped(int tid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    return waitid(P_PID, tid, &si, WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL) == 0 &&
           si.si_pid == tid;
}

int uh_addfd(int listener, int tid, int srcfd, int cloexec, int timeout_ms)
{
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        /* No notification for us yet: has the thread stopped instead (a
         * signal came first and interrupted the magic syscall) or died? */
        if (thread_has_stopped(tid))
            return -EINTR;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 > timeout_ms)
            return -ETIMEDOUT;
        struct pollfd p = { listener, POLLIN, 0 };
        int r = poll(&p, 1, 10);
        if (r <= 0)
            continue;
        struct seccomp_notif notif;
        memset(&notif, 0, sizeof notif);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &notif) < 0)
            continue;           /* EINTR, or ENOENT: it was interrupted meanwhile */
        if ((int)notif.pid != tid) {
            /* A guest making the magic syscall itself: refuse it. */
            struct seccomp_notif_resp resp;
            memset(&resp, 0, sizeof resp);
            resp.id = notif.id;
            resp.error = -ENOSYS;
            ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
            continue;
        }
        struct seccomp_notif_addfd add;
        memset(&add, 0, sizeof add);
        add.id = notif.id;
        add.flags = SECCOMP_ADDFD_FLAG_SEND;
        add.srcfd = srcfd;
        add.newfd_flags = cloexec ? O_CLOEXEC : 0;
        r = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
        if (r < 0) {
            int e = errno;
            struct seccomp_notif_resp resp;
            memset(&resp, 0, sizeof resp);
            resp.id = notif.id;
            resp.error = -e;
            ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
            return -e;
        }
        return r;
    }
}

/* ------------------------------------------------------- host-side files */

/* openat2 confined to the directory `rootfd`: the host kernel itself refuses
 * to leave it through "..", absolute symlinks or magic links. */
int uh_openat2(int rootfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = flags;
    how.mode = mode;
    how.resolve = resolve;
    long r = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    return r < 0 ? -errno : (int)r;
}

int uh_pidfd_open(int pid)
{
    long r = syscall(SYS_pidfd_open, pid, 0);
    return r < 0 ? -errno : (int)r;
}

int uh_pidfd_getfd(int pidfd, int fd)
{
    long r = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    return r < 0 ? -errno : (int)r;
}

int uh_kill_tid(int tgid, int tid, int sig)
{
    long r = syscall(SYS_tgkill, tgid, tid, sig);
    return r < 0 ? -errno : 0;
}

int uh_memfd(const char *name)
{
    long r = syscall(SYS_memfd_create, name, MFD_CLOEXEC);
    return r < 0 ? -errno : (int)r;
}

/* The siginfo of a signal-delivery-stop, read or replaced (128 bytes). */
int uh_getsiginfo(int tid, void *buf)
{
    return ptrace(PTRACE_GETSIGINFO_, tid, 0, buf) < 0 ? -errno : 0;
}

int uh_setsiginfo(int tid, const void *buf)
{
    return ptrace(0x4203 /* PTRACE_SETSIGINFO */, tid, 0, buf) < 0 ? -errno : 0;
}

/* The blocked-signal mask of a stopped thread (PTRACE_GETSIGMASK/SETSIGMASK). */
int uh_getsigmask(int tid, uint64_t *mask)
{
    return ptrace(0x420a, tid, (void *)8, mask) < 0 ? -errno : 0;
}

int uh_setsigmask(int tid, uint64_t mask)
{
    return ptrace(0x420b, tid, (void *)8, &mask) < 0 ? -errno : 0;
}

/* inotify_add_watch on the supervisor's duplicate of a guest inotify fd. */
int uh_inotify_add_watch(int fd, const char *path, uint32_t mask)
{
    long r = syscall(SYS_inotify_add_watch, fd, path, mask);
    return r < 0 ? -errno : (int)r;
}
