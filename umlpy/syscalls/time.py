"""Time syscalls: reading clocks, sleeping and timers run natively; setting clocks is denied.

Most clock reads never even enter the kernel (the vDSO answers them).  The
sandbox shares the host's clocks; it may not change them.
"""
from __future__ import annotations

import errno

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import SIGEV_THREAD_ID
from umlpy.kernel.requests import Native
from umlpy.kernel.table import EMULATE, REWRITE, Ptr, syscall

CLOCK_REALTIME = 0


@syscall("timer_create", REWRITE)
def timer_create(task, clockid: int, sevp: Ptr, timerid: Ptr):
    """timer_create(2): natively; a SIGEV_THREAD_ID target thread is a guest tid, translated."""
    if sevp == 0:
        return Native()
    raw = task.read(sevp, 16)
    notify = int.from_bytes(raw[12:16], "little", signed=True)
    if notify & SIGEV_THREAD_ID != SIGEV_THREAD_ID:
        return Native()
    guest_tid = int.from_bytes(task.read(sevp + 16, 4), "little", signed=True)
    target = task.kernel.pidns.task(guest_tid)
    if target is None or target.process is not task.process:
        raise KernelError(errno.EINVAL)
    native = task.kernel.pidns.to_native(guest_tid)
    if native == guest_tid:
        return Native()
    task.write(sevp + 16, native.to_bytes(4, "little"))

    def restore(r: int) -> int:
        try:
            task.write(sevp + 16, guest_tid.to_bytes(4, "little", signed=True))
        except KernelError:
            pass
        return r
    return Native(then=restore)


@syscall("clock_settime", EMULATE)
def clock_settime(task, clockid: int, tp: Ptr):
    """clock_settime(2): only CLOCK_REALTIME (and another process's CPU clock, never)
    can be set; any other clock is EINVAL, before any permission check.  The sandbox
    may not set the host's clock: a valid request is EPERM."""
    if clockid >= 0 and clockid != CLOCK_REALTIME:
        raise KernelError(errno.EINVAL, f"clock {clockid} cannot be set")
    raw = task.read(tp, 16)                  # EFAULT first, as Linux copies it in
    sec = int.from_bytes(raw[:8], "little", signed=True)
    nsec = int.from_bytes(raw[8:], "little", signed=True)
    if clockid == CLOCK_REALTIME and (sec < 0 or not 0 <= nsec < 1_000_000_000):
        raise KernelError(errno.EINVAL, "invalid time")
    raise KernelError(errno.EPERM, "the sandbox may not set the host's clocks")
