/* family: misc
 * Bad arguments get Linux's errno, in Linux's order against the permission
 * check.  unshare(-1) is EINVAL.  reboot(2) checks CAP_SYS_BOOT first (EPERM),
 * then its magic numbers (EINVAL).  syslog(2) checks privilege first for the
 * restricted actions (EPERM), then the action (EINVAL).  mknod(2): a bad file
 * type is EINVAL and S_IFDIR EPERM before the path is looked up; a missing
 * parent is ENOENT and an existing name EEXIST before CAP_MKNOD's EPERM.
 * clock_settime(2): an unknown or unsettable clock is EINVAL, a bad pointer
 * EFAULT, a bad timespec EINVAL, and only then EPERM.  getpriority: an unknown
 * `which` is EINVAL, a missing process ESRCH.  sched_getparam/setparam: a
 * negative pid or NULL param EINVAL, a missing process ESRCH.  waitpid: bad
 * options EINVAL, INT_MIN ESRCH, no such child ECHILD; waitid: bad idtype,
 * options or P_PID 0 EINVAL.  setpgid: a negative pgid EINVAL, a missing pid
 * ESRCH.  clone3 stays ENOSYS under umlpy, whatever its arguments.
 * root: reboot and syslog's privilege is CAP_SYS_BOOT/CAP_SYSLOG of the initial namespaces, and the unprivileged half needs setuid
 * differs: clone3 NULL -- umlpy refuses clone3 with ENOSYS (its flags are in guest memory), so libc uses clone
 */
#include "case.h"
#include <sys/reboot.h>
#include <sys/klog.h>
#include <sys/sysmacros.h>
#include <linux/sched.h>

static void both(const char *who)
{
    char l[64];
#define W(name, expr) (snprintf(l, sizeof l, "%s %s", who, name), SHOW(l, expr))
    W("reboot bad magic", syscall(SYS_reboot, 0, 0, 0, 0));
    W("syslog bad action", syscall(SYS_syslog, 99, 0, 0));
    W("syslog read NULL", syscall(SYS_syslog, 3, 0, 10));
    W("syslog console level 9", syscall(SYS_syslog, 8, 0, 9));
    W("mknod bad type", mknod("/tmp/x", 0170000 | 0644, 0));
    W("mknod dir", mknod("/tmp/x", S_IFDIR | 0755, 0));
    W("mknod chr missing dir", mknod("/nonexistent/x", S_IFCHR | 0644, makedev(1, 3)));
    W("mknod chr existing", mknod("/tmp", S_IFCHR | 0644, makedev(1, 3)));
    W("clock_settime bad clock", syscall(SYS_clock_settime, 99, 0));
    W("clock_settime monotonic", clock_settime(CLOCK_MONOTONIC, &(struct timespec){1, 0}));
    W("clock_settime NULL", syscall(SYS_clock_settime, CLOCK_REALTIME, 0));
    W("clock_settime bad nsec", clock_settime(CLOCK_REALTIME, &(struct timespec){1, 2000000000}));
    W("clock_settime negative", clock_settime(CLOCK_REALTIME, &(struct timespec){-1, 0}));
    W("unshare -1", unshare(-1));
    W("clone3 NULL", syscall(SYS_clone3, 0, 0));
    W("getpriority bad which", getpriority(99, 0));
    W("getpriority missing", getpriority(PRIO_PROCESS, 99999));
    W("getpriority -1", getpriority(PRIO_PROCESS, -1));
    struct sched_param sp = {0};
    W("sched_getparam -1", sched_getparam(-1, &sp));
    W("sched_getparam NULL", syscall(SYS_sched_getparam, 0, 0));
    W("sched_getparam missing", sched_getparam(99999, &sp));
    W("sched_setparam -1", sched_setparam(-1, &sp));
    W("sched_setparam NULL", syscall(SYS_sched_setparam, 0, 0));
    W("sched_setparam missing", sched_setparam(99999, &sp));
    sp.sched_priority = 5;
    W("sched_setparam prio 5 other", sched_setparam(0, &sp));
    W("waitpid bad options", waitpid(-1, NULL, 0x4000));
    W("waitpid INT_MIN", waitpid(INT_MIN, NULL, WNOHANG));
    W("waitpid missing", waitpid(99999, NULL, WNOHANG));
    siginfo_t si;
    W("waitid bad idtype", waitid(9, 0, &si, WEXITED | WNOHANG));
    W("waitid no options", waitid(P_ALL, 0, &si, 0));
    W("waitid P_PID 0", waitid(P_PID, 0, &si, WEXITED | WNOHANG));
    W("setpgid -1 pgid", setpgid(0, -1));
    W("setpgid missing", setpgid(99999, 0));
    W("setpgid -1 pid", setpgid(-1, 0));
}

int main(void)
{
    both("root");
    pid_t c = fork();
    if (c == 0) {
        SHOW("setuid", setuid(65534));
        both("user");
        SHOW("user clock_settime valid", clock_settime(CLOCK_REALTIME, &(struct timespec){1, 0}));
        SHOW("user syslog size", syscall(SYS_syslog, 10, 0, 0));
        _exit(0);
    }
    waitpid(c, NULL, 0);
    return 0;
}
