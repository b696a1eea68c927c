/* Scheduling another user's process (kernel/sched/syscalls.c check_same_owner,
 * kernel/sys.c set_one_prio_perm): sched_setaffinity, sched_setscheduler,
 * sched_setparam and setpriority need the caller's effective uid to be the
 * target's real or effective uid, or CAP_SYS_NICE (EPERM); reading
 * (sched_getaffinity, sched_getscheduler, sched_getparam, getpriority) needs
 * nothing.  Root that dropped CAP_SYS_NICE is bound by the rule, and may no
 * longer lower its own nice value (EACCES, RLIMIT_NICE being 0).
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"
#include <sched.h>
#include <linux/capability.h>

static void probe(const char *who, pid_t v)
{
    cpu_set_t set;
    struct sched_param sp = {0};
    SAY("-- %s", who);
    SHOW("sched_getaffinity", sched_getaffinity(v, sizeof set, &set) >= 0);
    SHOW("sched_setaffinity", sched_setaffinity(v, sizeof set, &set));
    SHOW("sched_getscheduler", sched_getscheduler(v));
    SHOW("sched_setscheduler OTHER", sched_setscheduler(v, SCHED_OTHER, &sp));
    SHOW("sched_getparam", sched_getparam(v, &sp));
    SHOW("sched_setparam", sched_setparam(v, &sp));
    errno = 0;
    SHOW("getpriority", getpriority(PRIO_PROCESS, v));
    SHOW("setpriority 5", setpriority(PRIO_PROCESS, v, 5));
}

int main(void)
{
    pid_t v = idle_child(2000);
    pid_t c = fork();
    if (c == 0) {
        setresuid(1000, 1000, 1000);
        probe("uid 1000", v);
        _exit(0);
    }
    waitpid(c, 0, 0);
    c = fork();
    if (c == 0) {
        struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct d[2];
        syscall(SYS_capget, &h, d);
        d[0].effective &= ~(1u << CAP_SYS_NICE);
        d[0].permitted &= ~(1u << CAP_SYS_NICE);
        SHOW("drop CAP_SYS_NICE", syscall(SYS_capset, &h, d));
        probe("root without CAP_SYS_NICE", v);
        SHOW("lower own nice value", setpriority(PRIO_PROCESS, 0, -5));
        _exit(0);
    }
    waitpid(c, 0, 0);
    probe("root", v);
    kill(v, SIGKILL);
    waitpid(v, 0, 0);
    return 0;
}
