"""reboot(2) and syslog(2): Linux's checks in Linux's order, then the sandbox's
refusal (syscalls/admin.py).  The argument order is conformance misc/arg_order."""
from __future__ import annotations

from conftest import builder, kv, run

ADMIN = r"""
#include <sys/reboot.h>
#include <sys/klog.h>
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("cad=%s\n", ERR(reboot(RB_DISABLE_CAD)));       /* EINVAL in a PID namespace */
    printf("poweroff=%s\n", ERR(reboot(RB_POWER_OFF)));     /* refused: the host's */
    printf("bad_magic=%s\n", ERR(syscall(SYS_reboot, 1, 2, RB_AUTOBOOT, 0)));
    printf("klog_size=%s\n", ERR(klogctl(10, NULL, 0)));
    printf("klog_bad=%s\n", ERR(klogctl(99, NULL, 0)));
    if (fork() == 0) {
        setuid(1000);                                       /* no CAP_SYS_BOOT, no CAP_SYSLOG */
        printf("user_bad_magic=%s\n", ERR(syscall(SYS_reboot, 1, 2, RB_AUTOBOOT, 0)));
        printf("user_klog_bad=%s\n", ERR(klogctl(99, NULL, 0)));
        _exit(0);
    }
    wait(NULL);
    printf("still_here=1\n");
    return 0;
}
"""


def test_reboot_and_syslog_check_then_refuse(sandbox, cc):
    prog = builder(cc, "admin_")("admin", ADMIN, True)
    r = run(sandbox, [prog])
    assert kv(r.stdout) == {"cad": "EINVAL", "poweroff": "EPERM", "bad_magic": "EINVAL",
                            "klog_size": "EPERM", "klog_bad": "EINVAL", "user_bad_magic": "EPERM",
                            "user_klog_bad": "EPERM", "still_here": "1"}, r.stdout + r.stderr
