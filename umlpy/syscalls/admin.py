"""System administration calls as a container's root meets them: reboot(2) and syslog(2).

The sandbox may neither reboot the host nor read its kernel log, so both
calls are refused (EPERM), but only once Linux's own checks have passed, in
Linux's order: the privilege first where Linux checks it first, then the
arguments (EINVAL).  reboot(2)'s commands are checked as in a PID namespace
(reboot_pid_ns: only a restart, halt or power-off is accepted there; the
others are EINVAL); an accepted one is refused, as the host administration
it is (tests/security: the guest goes on running).
"""
from __future__ import annotations

import errno

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import CAP_SYS_ADMIN, CAP_SYS_BOOT, CAP_SYSLOG
from umlpy.kernel.table import EMULATE, Ptr, syscall

LINUX_REBOOT_MAGIC1 = 0xFEE1DEAD
LINUX_REBOOT_MAGIC2S = (672274793, 85072278, 369367448, 537993216)
LINUX_REBOOT_CMD_RESTART, LINUX_REBOOT_CMD_HALT = 0x01234567, 0xCDEF0123
LINUX_REBOOT_CMD_POWER_OFF, LINUX_REBOOT_CMD_RESTART2 = 0x4321FEDC, 0xA1B2C3D4


@syscall("reboot", EMULATE)
def reboot(task, magic1: int, magic2: int, cmd: int, arg: Ptr):
    """reboot(2) in a PID namespace: CAP_SYS_BOOT (EPERM), the magic numbers (EINVAL),
    a command other than restart, halt or power-off (EINVAL); then EPERM."""
    if not task.creds.has(CAP_SYS_BOOT):
        raise KernelError(errno.EPERM, "reboot needs CAP_SYS_BOOT")
    magic1 &= 0xFFFFFFFF
    magic2 &= 0xFFFFFFFF
    cmd &= 0xFFFFFFFF
    if magic1 != LINUX_REBOOT_MAGIC1 or magic2 not in LINUX_REBOOT_MAGIC2S:
        raise KernelError(errno.EINVAL, "bad reboot magic")
    if cmd not in (LINUX_REBOOT_CMD_RESTART, LINUX_REBOOT_CMD_RESTART2,
                   LINUX_REBOOT_CMD_HALT, LINUX_REBOOT_CMD_POWER_OFF):
        raise KernelError(errno.EINVAL, f"reboot command {cmd:#x} (in a PID namespace)")
    raise KernelError(errno.EPERM, "the sandbox cannot reboot the host")


SYSLOG_ACTION_READ, SYSLOG_ACTION_READ_ALL, SYSLOG_ACTION_READ_CLEAR = 2, 3, 4
SYSLOG_ACTION_CONSOLE_LEVEL = 8
SYSLOG_ACTIONS = range(0, 11)


@syscall("syslog", EMULATE)
def syslog(task, type_: int, buf: Ptr, length: int):
    """syslog(2): as with kernel.dmesg_restrict=1, every action needs CAP_SYSLOG (or
    CAP_SYS_ADMIN) first; then the action and its arguments are checked (EINVAL); the
    host's log is not the sandbox's, so a valid action is then refused (EPERM)."""
    if not (task.creds.has(CAP_SYSLOG) or task.creds.has(CAP_SYS_ADMIN)):
        raise KernelError(errno.EPERM, "syslog needs CAP_SYSLOG")
    if type_ not in SYSLOG_ACTIONS:
        raise KernelError(errno.EINVAL, f"syslog action {type_}")
    if type_ in (SYSLOG_ACTION_READ, SYSLOG_ACTION_READ_ALL, SYSLOG_ACTION_READ_CLEAR) and (not buf or length < 0):
        raise KernelError(errno.EINVAL, "syslog read with no buffer")
    if type_ == SYSLOG_ACTION_CONSOLE_LEVEL and not 1 <= length <= 8:
        raise KernelError(errno.EINVAL, f"console level {length}")
    raise KernelError(errno.EPERM, "the host's kernel log is not the sandbox's")
