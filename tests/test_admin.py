"""reboot(2) ends the sandbox as it ends a PID namespace; syslog(2) checks as Linux
does, then refuses (syscalls/admin.py).  The argument order is conformance misc/arg_order."""
from __future__ import annotations

import signal

import pytest

from conftest import builder, run

REBOOT = r"""
#include <sys/reboot.h>
int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int cmd = argv[1][0] == 'r' ? RB_AUTOBOOT : RB_POWER_OFF;
    pid_t c = fork();
    if (c == 0) {
        printf("cad=%s\n", ERR(reboot(RB_DISABLE_CAD)));    /* EINVAL in a PID namespace */
        reboot(cmd);
        printf("returned\n");
        _exit(0);
    }
    for (;;) pause();
}
"""


@pytest.mark.parametrize("how,sig", [("restart", signal.SIGHUP), ("poweroff", signal.SIGINT)])
def test_reboot_ends_the_sandbox_as_a_pid_namespace(sandbox, cc, how, sig):
    prog = builder(cc, "admin_")("reboot", REBOOT, True)
    r = run(sandbox, [prog, how])
    assert r.stdout == "cad=EINVAL\n"
    assert r.returncode == -sig
