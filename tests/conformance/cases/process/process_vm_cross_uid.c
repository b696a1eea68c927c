/* Reading another process's memory or kernel objects is ptrace access
 * (kernel/ptrace.c __ptrace_may_access): the caller's ids must be the target's
 * real, effective and saved uids and gids, and the target dumpable, or the caller
 * holds CAP_SYS_PTRACE.  process_vm_readv (PTRACE_MODE_ATTACH) and kcmp and
 * get_robust_list (PTRACE_MODE_READ) are EPERM otherwise; /proc/PID/environ is
 * EACCES.  A process that changed its uids is not dumpable (nor are its forked
 * children) until PR_SET_DUMPABLE or an execve; process_vm_readv's flags must be
 * 0 (EINVAL, before the target is looked up).
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"
#include <sys/prctl.h>
#include <sys/uio.h>
#include <linux/capability.h>
#include <linux/kcmp.h>

static char secret[16] = "secret";

static void probe(const char *who, pid_t t)
{
    char buf[16] = "";
    struct iovec local = {buf, sizeof buf}, remote = {secret, sizeof secret};
    char path[64];
    void *head;
    size_t len;
    SAY("-- %s", who);
    SHOW("process_vm_readv", process_vm_readv(t, &local, 1, &remote, 1, 0));
    SAY("read '%s'", buf);
    SHOW("process_vm_readv with flags", process_vm_readv(t, &local, 1, &remote, 1, 1));
    SHOW("kcmp", syscall(SYS_kcmp, getpid(), t, KCMP_VM, 0, 0) >= 0);
    SHOW("get_robust_list", syscall(SYS_get_robust_list, t, &head, &len));
    snprintf(path, sizeof path, "/proc/%d/environ", t);
    SHOW("open /proc/PID/environ", open(path, O_RDONLY) >= 0);
    snprintf(path, sizeof path, "/proc/%d/status", t);
    SHOW("open /proc/PID/status", open(path, O_RDONLY) >= 0);
}

int main(void)
{
    pid_t other = idle_child(2000);
    pid_t c = fork();
    if (c == 0) {
        setresgid(1000, 1000, 1000);
        setresuid(1000, 1000, 1000);
        SHOW("dumpable after setuid", prctl(PR_GET_DUMPABLE));
        pid_t undumpable = idle_child(0);
        probe("another user's", other);
        probe("own user's, not dumpable", undumpable);
        SHOW("PR_SET_DUMPABLE", prctl(PR_SET_DUMPABLE, 1));
        pid_t same = idle_child(0);
        probe("own user's, dumpable", same);
        SHOW("no such process", process_vm_readv(999999, NULL, 0, NULL, 0, 0));
        kill(same, SIGKILL);
        kill(undumpable, SIGKILL);
        while (wait(0) > 0)
            ;
        _exit(0);
    }
    waitpid(c, 0, 0);
    probe("root", other);
    c = fork();
    if (c == 0) {
        struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct d[2];
        syscall(SYS_capget, &h, d);
        d[0].effective &= ~(1u << CAP_SYS_PTRACE);
        SHOW("drop CAP_SYS_PTRACE", syscall(SYS_capset, &h, d));
        probe("root without CAP_SYS_PTRACE", other);
        _exit(0);
    }
    waitpid(c, 0, 0);
    kill(other, SIGKILL);
    waitpid(other, 0, 0);
    return 0;
}
