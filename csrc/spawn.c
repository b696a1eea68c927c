/*
 * Spawn layer: uh_spawn clones the first guest into a PID namespace of its
 * own (and, rootless, a user namespace of its own, made inside a named
 * network's when it joins one), seizes it with ptrace,
 * and runs it to its first exec.  The child sets itself up one step at a
 * time (fds, session, namespaces, chroot, host credentials, no_new_privs,
 * the seccomp filter with a user-notification listener, rlimits), then
 * execveat()s the program the supervisor opened.  A failed step is reported
 * to the parent, by number, through a shared page; uh_spawn_step_name puts
 * the number in words.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <grp.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "helper.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* What the spawn failed at, in words that follow "while". */
static const char *const step_names[] = {
    [UH_STEP_KEEP_FDS] = "setting aside the program and sync descriptors",
    [UH_STEP_USERNS] = "mapping its host uid and gid into its user namespace",
    [UH_STEP_STDIO] = "laying out stdin, stdout and stderr",
    [UH_STEP_SESSION] = "starting a new session",
    [UH_STEP_CTTY] = "taking the controlling terminal",
    [UH_STEP_NETNS] = "entering new network and IPC namespaces",
    [UH_STEP_CHROOT] = "changing root into the empty root directory",
    [UH_STEP_SEIZED] = "waiting for the supervisor to seize it",
    [UH_STEP_GID] = "dropping to the sandbox gid",
    [UH_STEP_UID] = "dropping to the sandbox uid",
    [UH_STEP_NO_NEW_PRIVS] = "setting no_new_privs",
    [UH_STEP_SECCOMP] = "installing the seccomp filter",
    [UH_STEP_RLIMITS] = "setting the resource limits",
    [UH_STEP_EXEC] = "executing the program",
};

const char *uh_spawn_step_name(int step)
{
    int n = sizeof step_names / sizeof step_names[0];
    if (step <= 0 || step >= n || !step_names[step])
        return "an unknown step";
    return step_names[step];
}

/* ------------------------------------------------------------------ child */

struct spawn_shared {           /* one shared page between parent and child */
    int listener;               /* child's fd number of the notify listener */
    int err;                    /* errno of the step that failed in the child */
    int step;                   /* which step failed (UH_STEP_*) */
    int outer_uid, outer_gid;   /* our ids as the parent user namespace sees them */
    int pid;                    /* the child's pid, or -errno (nested_clone) */
};

/* Each step below returns 0, or -1 with errno set. */

/* Gather the fds we keep at numbers >= 10 so that laying out 0-4 cannot
 * clobber them. */
static int keep_fds(int *exec_fd, int *sync_fd, int *root_fd)
{
    *exec_fd = fcntl(*exec_fd, F_DUPFD_CLOEXEC, 10);
    *sync_fd = fcntl(*sync_fd, F_DUPFD_CLOEXEC, 10);
    if (*root_fd >= 0 && (*root_fd = fcntl(*root_fd, F_DUPFD_CLOEXEC, 10)) < 0)
        return -1;
    return *exec_fd < 0 || *sync_fd < 0 ? -1 : 0;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    errno = e;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Rootless: the child is alone in a new user namespace.  Map its host uid
 * and gid to themselves (one id each: all an unprivileged user may map),
 * so that nothing changes on the host side, and the guest, once it has
 * exec'd as a non-zero uid there, holds no capability in it.  Until then
 * the child has every capability in the namespace, which is what the
 * network namespace and the chroot below need.  Inside a named network's
 * user namespace (nested_clone), our ids are seen there as the keeper's
 * root: "host_uid 0 1", which is the same host uid in the end. */
static int map_ids(const struct uh_spawn_args *a, const struct spawn_shared *sh)
{
    char line[64];
    if (!a->userns)
        return 0;
    snprintf(line, sizeof line, "%d %d 1\n", a->host_uid, sh->outer_uid);
    if (write_file("/proc/self/uid_map", line) < 0)
        return -1;
    if (write_file("/proc/self/setgroups", "deny") < 0)
        return -1;
    snprintf(line, sizeof line, "%d %d 1\n", a->host_gid, sh->outer_gid);
    return write_file("/proc/self/gid_map", line);
}

/* The supervisor is not dumpable (nothing of the host's may ptrace it or
 * read its memory), and a clone inherits that; once the child has made
 * itself dumpable again (child()), its parent may seize it: say so. */
static int ready_to_seize(int ready_fd)
{
    int r = write(ready_fd, "r", 1) == 1 ? 0 : -1;
    close(ready_fd);
    return r;
}

static int dup_high(int fd)
{
    return fd >= 0 ? fcntl(fd, F_DUPFD, 10) : -1;
}

static int dup_onto(int fd, int target)
{
    return fd >= 0 && dup2(fd, target) < 0 ? -1 : 0;
}

/* 0,1,2 are the guest's stdio, 3 the program, 4 the sync pipe; close the rest. */
static int lay_out_fds(const struct uh_spawn_args *a, int exec_fd, int sync_fd, int root_fd)
{
    int in = dup_high(a->stdin_fd);
    int out = dup_high(a->stdout_fd);
    int err = dup_high(a->stderr_fd);
    if (dup_onto(in, 0) < 0 || dup_onto(out, 1) < 0 || dup_onto(err, 2) < 0)
        return -1;
    if (dup2(exec_fd, 3) < 0 || dup2(sync_fd, 4) < 0)
        return -1;
    fcntl(3, F_SETFD, FD_CLOEXEC);
    fcntl(4, F_SETFD, FD_CLOEXEC);
    if (root_fd >= 0) {                 /* at 5, until the chroot closes it */
        if (dup2(root_fd, 5) < 0)
            return -1;
        fcntl(5, F_SETFD, FD_CLOEXEC);
        syscall(SYS_close_range, 6, ~0U, 0);
    } else {
        syscall(SYS_close_range, 5, ~0U, 0);
    }
    return 0;
}

/* The guest's init leads its own session: guest process groups and
 * sessions never include a host process. */
static int new_session(void)
{
    return setsid() < 0 ? -1 : 0;
}

static int take_ctty(const struct uh_spawn_args *a)
{
    return a->make_ctty && ioctl(0, TIOCSCTTY, 0) < 0 ? -1 : 0;
}

/* Orphans of the guest are reparented to guest init, as in a pid ns; the
 * guest dies with the supervisor.  Cannot fail. */
static void become_init(const struct uh_spawn_args *a)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (a->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(a->cpu, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
}

/* Defence in depth: the host kernel's own view of the guest is an empty
 * network namespace, its own System V IPC namespace, and an empty,
 * unwritable root directory.  Every name the guest uses is resolved by the
 * guest kernel; if anything ever reached the host kernel unresolved, it
 * would find nothing there. */
static int enter_netns(const struct uh_spawn_args *a)
{
    if (!a->new_netns)
        return 0;
    if (unshare(CLONE_NEWNET | CLONE_NEWIPC) < 0)
        return -1;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    if (s >= 0)
        close(s);
    /* As Docker does: every port of its own namespace is the guest's to bind
     * (`python3 -m http.server 80`), a setting of this namespace alone, made
     * while we hold the capability for it (rootless: in our user namespace). */
    int fd = open("/proc/sys/net/ipv4/ip_unprivileged_port_start", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (write(fd, "0", 1) != 1) { /* an old kernel: ports below 1024 stay root's */ }
        close(fd);
    }
    return 0;
}

/* The root the supervisor opened for us (fd 5, an empty directory) becomes
 * our root: by descriptor, so no host path is looked up in the child. */
static int enter_chroot(const struct uh_spawn_args *a)
{
    if (a->root_fd < 0)
        return 0;
    if (fchdir(5) < 0 || chroot(".") < 0 || chdir("/") < 0)
        return -1;
    close(5);
    return 0;
}

/* Default SIGPIPE and an empty signal mask.  Cannot fail. */
/* Every disposition back to SIG_DFL and an empty mask: the guest must not
 * inherit what the supervisor's runtime set up for itself (Python ignores
 * SIGPIPE and SIGXFSZ; an ignored signal survives exec), as a program started
 * by an ordinary parent would not (issue 8). */
static void reset_signals(void)
{
    sigset_t none;
    for (int sig = 1; sig < _NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);      /* EINVAL for the two glibc keeps: harmless */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Wait until the supervisor has seized us: from here on a trapped syscall
 * without a tracer would be ENOSYS instead of a stop. */
static int wait_seized(void)
{
    char c;
    return read(4, &c, 1) != 1 ? -1 : 0;
}

static int drop_gid(const struct uh_spawn_args *a)
{
    if (a->gid >= 0 && (setgroups(0, NULL) < 0 || setresgid(a->gid, a->gid, a->gid) < 0))
        return -1;
    return 0;
}

static int drop_uid(const struct uh_spawn_args *a)
{
    return a->uid >= 0 && setresuid(a->uid, a->uid, a->uid) < 0 ? -1 : 0;
}

static int set_no_new_privs(void)
{
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -1 : 0;
}

/* The listener's fd number goes to the parent by a memory write: no
 * syscall, so no trap. */
static int install_filter(const struct uh_spawn_args *a, struct spawn_shared *sh)
{
    struct sock_fprog prog = { a->filter_len, (struct sock_filter *)a->filter };
    long listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                            SECCOMP_FILTER_FLAG_NEW_LISTENER |
                            SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
    if (listener < 0)
        return -1;
    sh->listener = (int)listener;
    return 0;
}

/* Resource limits for the whole sandbox: lowering needs no privilege, and
 * every guest process inherits them.  Set last, so that the fds above (the
 * listener) do not count against an open-files limit.  The hard CPU limit is
 * a second above the soft one, so that SIGXCPU comes before SIGKILL, as with
 * `ulimit -t`. */
static int set_rlimits(const struct uh_spawn_args *a)
{
    for (int i = 0; i < a->n_rlimits; i++) {
        struct rlimit rl = { a->rlimit_val[i], a->rlimit_val[i] };
        if (a->rlimit_res[i] == RLIMIT_CPU)
            rl.rlim_max = rl.rlim_cur + 1;
        if (prlimit(0, a->rlimit_res[i], &rl, NULL) < 0)
            return -1;
    }
    return 0;
}

/* fd 3 is the program the supervisor resolved; no guest path reaches the
 * host kernel.  The listener is close-on-exec by construction.  Returns only
 * on failure. */
static int exec_program(const struct uh_spawn_args *a)
{
    syscall(SYS_execveat, 3, "", a->argv, a->envp, AT_EMPTY_PATH);
    return -1;
}

static void child_fail(struct spawn_shared *sh, int step)
{
    sh->err = errno;
    sh->step = step;
    _exit(127);
}

static void child(const struct uh_spawn_args *a, struct spawn_shared *sh,
                  int exec_fd, int sync_fd, int ready_fd)
{
    int root_fd = a->root_fd;
    /* Dumpable first: a non-dumpable process's /proc/self files are root's,
     * and map_ids writes two of them. */
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    if (map_ids(a, sh) < 0)
        child_fail(sh, UH_STEP_USERNS);
    if (ready_to_seize(ready_fd) < 0)
        child_fail(sh, UH_STEP_SEIZED);
    if (keep_fds(&exec_fd, &sync_fd, &root_fd) < 0)
        child_fail(sh, UH_STEP_KEEP_FDS);
    if (lay_out_fds(a, exec_fd, sync_fd, root_fd) < 0)
        child_fail(sh, UH_STEP_STDIO);
    if (new_session() < 0)
        child_fail(sh, UH_STEP_SESSION);
    if (take_ctty(a) < 0)
        child_fail(sh, UH_STEP_CTTY);
    become_init(a);
    if (enter_netns(a) < 0)
        child_fail(sh, UH_STEP_NETNS);
    if (enter_chroot(a) < 0)
        child_fail(sh, UH_STEP_CHROOT);
    reset_signals();
    if (wait_seized() < 0)
        child_fail(sh, UH_STEP_SEIZED);
    if (drop_gid(a) < 0)
        child_fail(sh, UH_STEP_GID);
    if (drop_uid(a) < 0)
        child_fail(sh, UH_STEP_UID);
    if (set_no_new_privs() < 0)
        child_fail(sh, UH_STEP_NO_NEW_PRIVS);
    if (install_filter(a, sh) < 0)
        child_fail(sh, UH_STEP_SECCOMP);
    if (set_rlimits(a) < 0)
        child_fail(sh, UH_STEP_RLIMITS);
    exec_program(a);
    child_fail(sh, UH_STEP_EXEC);
}

/* ----------------------------------------------------------------- parent */

/* The child died before its exec: report its failed step. */
static int child_failed(struct uh_spawn_args *a, const struct spawn_shared *sh)
{
    a->child_errno = sh->err;
    a->child_step = sh->step;
    if (a->listener_fd >= 0)
        close(a->listener_fd);
    a->listener_fd = -1;
    return -ECHILD;
}

/* Seize the child, then let it go past its wait for that. */
static int seize(struct uh_spawn_args *a, pid_t pid, int sync_fd,
                 const struct spawn_shared *sh)
{
    int status;
    if (ptrace(PTRACE_SEIZE, pid, 0, (void *)(long)a->ptrace_options) < 0) {
        int e = errno;
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        close(sync_fd);
        /* A step before the seize may have failed and exited first. */
        return sh->step ? child_failed(a, sh) : -e;
    }
    if (write(sync_fd, "g", 1) != 1) { /* child died before reading */ }
    close(sync_fd);
    return 0;
}

/* At the seccomp stop of the child's execveat, take its listener. */
static void take_listener(struct uh_spawn_args *a, pid_t pid,
                          const struct spawn_shared *sh)
{
    if (a->listener_fd >= 0 || sh->listener < 0)
        return;
    int pidfd = syscall(SYS_pidfd_open, pid, 0);
    if (pidfd >= 0) {
        a->listener_fd = syscall(SYS_pidfd_getfd, pidfd, sh->listener, 0);
        close(pidfd);
    }
}

/* Run the child up to its first exec.  Its only trapped syscall is the
 * execveat itself: take the listener at that stop, then let it go.  Any
 * other stop (group-stop, a signal) is resumed delivering nothing: we own
 * this child. */
static int run_to_exec(struct uh_spawn_args *a, pid_t pid,
                       const struct spawn_shared *sh)
{
    int status;
    for (;;) {
        if (waitpid(pid, &status, __WALL) < 0)
            return -errno;
        if (WIFEXITED(status) || WIFSIGNALED(status))
            return child_failed(a, sh);
        int event = status >> 16;
        if (event == PTRACE_EVENT_EXEC) {
            if (a->listener_fd < 0) {
                kill(pid, SIGKILL);
                return -EPROTO;
            }
            return pid;            /* stopped at the exec event */
        }
        if (event == PTRACE_EVENT_SECCOMP)
            take_listener(a, pid, sh);
        ptrace(PTRACE_CONT, pid, 0, 0);
    }
}

/* Wait for the child to say it may be seized (ready_to_seize); 0, or
 * -ECHILD with its failed step if it died first. */
static int wait_ready(struct uh_spawn_args *a, pid_t pid, int ready_fd,
                      const struct spawn_shared *sh)
{
    char c;
    ssize_t n;
    do
        n = read(ready_fd, &c, 1);
    while (n < 0 && errno == EINTR);
    close(ready_fd);
    if (n == 1)
        return 0;
    int status;
    kill(pid, SIGKILL);
    waitpid(pid, &status, __WALL);
    return child_failed(a, sh);
}

/* fork(), but the child starts in new namespaces: always a PID namespace
 * (the guest's host view holds no host process, and the guest's own ids
 * are the ones the host kernel gives it), and a user namespace when the
 * supervisor has no privilege to lend. */
static unsigned long clone_flags(const struct uh_spawn_args *a)
{
    unsigned long flags = SIGCHLD;
    if (a->new_pidns)
        flags |= CLONE_NEWPID;
    if (a->userns)
        flags |= CLONE_NEWUSER;
    return flags;
}

/* The same, but the child's user namespace is made inside the one
 * `parent_userns_fd` names (a named network's, rootless), so that the
 * network's keeper may move a veth end into the child's network namespace.
 * Only a single-threaded process may setns into a user namespace, and the
 * supervisor is not one: a short-lived middle process enters it (our uid
 * owns it, so we may), clones the child as the supervisor's own
 * (CLONE_PARENT: we wait for it, seize it, and it dies with us as any
 * other), puts its pid on the shared page and exits.  Returns the child's
 * pid in the parent, 0 in the child, -1 with errno. */
static pid_t nested_clone(const struct uh_spawn_args *a, struct spawn_shared *sh)
{
    int status;
    pid_t mid = syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, 0);
    if (mid < 0)
        return -1;
    if (mid == 0) {
        if (setns(a->parent_userns_fd, CLONE_NEWUSER) < 0) {
            sh->pid = -errno;
            _exit(1);
        }
        sh->outer_uid = geteuid();
        sh->outer_gid = getegid();
        pid_t pid = syscall(SYS_clone, CLONE_PARENT | clone_flags(a), NULL, NULL, NULL, 0);
        if (pid == 0)
            return 0;
        sh->pid = pid < 0 ? -errno : pid;
        _exit(0);
    }
    while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
        ;
    if (sh->pid < 0) {
        errno = -sh->pid;
        return -1;
    }
    return sh->pid;
}

static pid_t clone_child(const struct uh_spawn_args *a, struct spawn_shared *sh)
{
    if (a->userns && a->parent_userns_fd >= 0)
        return nested_clone(a, sh);
    return syscall(SYS_clone, clone_flags(a), NULL, NULL, NULL, 0);
}

int uh_spawn(struct uh_spawn_args *a)
{
    int sync[2], ready[2];
    int r;
    pid_t pid;
    struct spawn_shared *sh;

    sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        return -errno;
    sh->listener = -1;
    sh->pid = -ECHILD;
    if (pipe2(sync, O_CLOEXEC) < 0) {
        r = -errno;
        munmap(sh, 4096);
        return r;
    }
    if (pipe2(ready, O_CLOEXEC) < 0) {
        r = -errno;
        close(sync[0]); close(sync[1]); munmap(sh, 4096);
        return r;
    }
    a->host_uid = sh->outer_uid = geteuid();
    a->host_gid = sh->outer_gid = getegid();
    /* Before the first guest exists, the supervisor stops being dumpable:
     * rootless, guests run as our own host uid, and nothing running as that
     * uid (a guest that got past the seccomp filter, say) may then ptrace us
     * or open our /proc/PID/mem; only CAP_SYS_PTRACE in the host's user
     * namespace could.  As root it changes nothing but core dumps. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    pid = clone_child(a, sh);
    if (pid < 0) {
        r = -errno;
        close(sync[0]); close(sync[1]); close(ready[0]); close(ready[1]);
        munmap(sh, 4096);
        return r;
    }
    if (pid == 0)
        child(a, sh, a->exec_fd, sync[0], ready[1]);

    close(sync[0]);
    close(ready[1]);
    a->pid = pid;
    a->listener_fd = -1;
    a->child_errno = 0;
    a->child_step = 0;
    r = wait_ready(a, pid, ready[0], sh);
    if (r < 0) {
        close(sync[1]);
        munmap(sh, 4096);
        return r;
    }
    r = seize(a, pid, sync[1], sh);
    if (r == 0)
        r = run_to_exec(a, pid, sh);
    munmap(sh, 4096);
    return r;
}
