/* family: misc
 * A process without CAP_SYS_ADMIN in its effective set (root that dropped it
 * with capset) may not make namespaces: unshare of every kind is EPERM, as
 * are clone with CLONE_NEWUTS, setns and sethostname.  Unknown flags are
 * still EINVAL (checked first), and unshare without a namespace flag still
 * works.
 */
#include "case.h"
#include <linux/capability.h>
#include <sched.h>
#include <sys/syscall.h>

static long raw_clone(unsigned long flags)
{
    long r = syscall(SYS_clone, flags, 0, 0, 0, 0);
    if (r == 0)
        _exit(0);
    if (r > 0)
        waitpid(r, 0, 0);
    return r;
}

int main(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    SHOW("capget", syscall(SYS_capget, &h, d));
    d[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
    SHOW("capset without CAP_SYS_ADMIN", syscall(SYS_capset, &h, d));
    int fd = open("/proc/self/ns/uts", O_RDONLY);
    int ipc = open("/proc/self/ns/ipc", O_RDONLY);
    SHOW("unshare unknown bit", unshare(0x1));
    SHOW("unshare newuts", unshare(CLONE_NEWUTS));
    SHOW("unshare newns", unshare(CLONE_NEWNS));
    SHOW("unshare newipc", unshare(CLONE_NEWIPC));
    SHOW("unshare newnet", unshare(CLONE_NEWNET));
    SHOW("unshare newpid", unshare(CLONE_NEWPID));
    SHOW("unshare newcgroup", unshare(CLONE_NEWCGROUP));
    SHOW("unshare newuser", unshare(CLONE_NEWUSER));
    SHOW("unshare files", unshare(CLONE_FILES));
    SHOW("clone newuts", raw_clone(CLONE_NEWUTS | SIGCHLD));
    SHOW("setns uts", setns(fd, CLONE_NEWUTS));
    SHOW("setns ipc", setns(ipc, CLONE_NEWIPC));
    SHOW("sethostname", sethostname("x", 1));
    SHOW("setdomainname", setdomainname("x", 1));
    return 0;
}
