/* Sending a signal to another user's process (kernel/signal.c check_kill_permission):
 * allowed if the sender's real or effective uid is the target's real or saved uid,
 * or with CAP_KILL; otherwise EPERM, for signal 0 too (kill(pid, 0) probes
 * permission).  SIGCONT only needs the same session.  The target is found first
 * (ESRCH), the signal number checked next (EINVAL).  A group kill succeeds if any
 * member could be signalled, and is EPERM if none could.  The same rule holds
 * for tkill, tgkill, rt_sigqueueinfo and pidfd_send_signal (PIDFD_SIGNAL_PROCESS_GROUP
 * is a group kill; two scope flags are EINVAL), which also takes a
 * /proc/PID directory fd as a pidfd (any other fd is EBADF).  Root that dropped
 * CAP_KILL is bound by the rule too.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"
#include <linux/capability.h>

static int pipe_a[2];

/* a process of uid 2000 that waits (in its own process group) until killed */
static pid_t victim(void)
{
    pipe(pipe_a);
    pid_t c = fork();
    if (c == 0) {
        setpgid(0, 0);
        signal(SIGCONT, SIG_IGN);
        signal(SIGUSR2, SIG_IGN);
        setresuid(2000, 2000, 2000);
        write(pipe_a[1], "x", 1);
        for (;;)
            pause();
    }
    char x;
    read(pipe_a[0], &x, 1);
    return c;
}

static void as_user(pid_t v)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d", v);
    int procfd = open(path, O_RDONLY | O_DIRECTORY);
    int pidfd = syscall(SYS_pidfd_open, v, 0);
    SAY("opened /proc/PID and a pidfd: %d %d", procfd >= 0, pidfd >= 0);
    setresuid(1000, 1000, 1000);
    SHOW("kill(victim, 0)", kill(v, 0));
    SHOW("kill(victim, SIGUSR2)", kill(v, SIGUSR2));
    SHOW("kill(victim, 999): ESRCH or EINVAL first", kill(v, 999));
    SHOW("kill(999999, 0)", kill(999999, 0));
    SHOW("kill(victim, SIGCONT), same session", kill(v, SIGCONT));
    SHOW("tkill", syscall(SYS_tkill, v, SIGUSR2));
    SHOW("tgkill", syscall(SYS_tgkill, v, v, SIGUSR2));
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_code = SI_QUEUE;
    si.si_signo = SIGUSR2;
    SHOW("rt_sigqueueinfo", syscall(SYS_rt_sigqueueinfo, v, SIGUSR2, &si));
    SHOW("pidfd_send_signal", syscall(SYS_pidfd_send_signal, pidfd, SIGUSR2, NULL, 0));
    SHOW("pidfd_send_signal, /proc/PID fd", syscall(SYS_pidfd_send_signal, procfd, SIGUSR2, NULL, 0));
    SHOW("pidfd_send_signal to the victim's group", syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 4));
    int self = syscall(SYS_pidfd_open, getpid(), 0);
    SHOW("pidfd_send_signal to its own group, which root's main is in",
         syscall(SYS_pidfd_send_signal, self, 0, NULL, 4));
    SHOW("pidfd_send_signal with two scope flags", syscall(SYS_pidfd_send_signal, self, 0, NULL, 5));
    SHOW("kill(-victim's group, 0)", kill(-v, 0));
    SHOW("kill(own group, 0): ourselves at least", kill(0, 0));
    SHOW("kill(-1, 0)", kill(-1, 0));
    /* a process of our own uid: allowed */
    pid_t mine = fork();
    if (mine == 0) {
        pause();
        _exit(0);
    }
    SHOW("kill(own uid's child, 0)", kill(mine, 0));
    SHOW("kill(own uid's child, SIGKILL)", kill(mine, SIGKILL));
    int st;
    waitpid(mine, &st, 0);
    SAY("child killed by %d", WTERMSIG(st));
    SHOW("setsid", setsid() > 0);
    SHOW("kill(victim, SIGCONT), other session", kill(v, SIGCONT));
    /* uid 2000 may: the sender's real uid is the target's */
    SHOW("setresuid(2000, 2000, 2000) needs CAP_SETUID", setresuid(2000, 2000, 2000));
}

static void as_capless_root(pid_t v)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    d[0].effective &= ~(1u << CAP_KILL);
    SHOW("drop CAP_KILL", syscall(SYS_capset, &h, d));
    SHOW("root without CAP_KILL: kill(victim, 0)", kill(v, 0));
    d[0].effective |= 1u << CAP_KILL;
    SHOW("raise it again", syscall(SYS_capset, &h, d));
    SHOW("root with CAP_KILL: kill(victim, 0)", kill(v, 0));
}

static void procfd_ok(pid_t v)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d", v);
    int procfd = open(path, O_RDONLY | O_DIRECTORY);
    SHOW("root: pidfd_send_signal(/proc/PID, 0)", syscall(SYS_pidfd_send_signal, procfd, 0, NULL, 0));
    int st = open("/proc/self/status", O_RDONLY);
    SHOW("pidfd_send_signal(/proc/self/status)", syscall(SYS_pidfd_send_signal, st, 0, NULL, 0));
    int tmp = open("/tmp", O_RDONLY | O_DIRECTORY);
    SHOW("pidfd_send_signal(/tmp)", syscall(SYS_pidfd_send_signal, tmp, 0, NULL, 0));
    snprintf(path, sizeof path, "/proc/%d/task/%d", v, v);
    int taskfd = open(path, O_RDONLY | O_DIRECTORY);
    SHOW("pidfd_send_signal(/proc/PID/task/TID)", syscall(SYS_pidfd_send_signal, taskfd, 0, NULL, 0));
    SHOW("root: pidfd_send_signal(/proc/PID, SIGTERM)", syscall(SYS_pidfd_send_signal, procfd, SIGTERM, NULL, 0));
    int s;
    waitpid(v, &s, 0);
    SAY("victim killed by %d", WTERMSIG(s));
}

int main(void)
{
    pid_t v = victim();
    pid_t c = fork();
    if (c == 0) {
        as_user(v);
        _exit(0);
    }
    waitpid(c, 0, 0);
    c = fork();
    if (c == 0) {
        as_capless_root(v);
        _exit(0);
    }
    waitpid(c, 0, 0);
    procfd_ok(v);
    return 0;
}
