"""Memory syscalls: the guest's address space is its own, so they run natively.

(get_robust_list may name another thread: its tid is translated.)

mmap of a file maps a descriptor the guest already holds (opened through the
guest VFS), so no name is involved.
"""
from __future__ import annotations

import errno

from umlpy.abi.linux import CAP_IPC_LOCK, PTRACE_MODE_READ_REALCREDS
from umlpy.kernel.creds import require_ptrace
from umlpy.kernel.requests import Native
from umlpy.kernel.table import REWRITE, Long, Ptr, UInt, ULong, syscall

PAGE = 4096


@syscall("get_robust_list", REWRITE)
def get_robust_list(task, pid: int, head: Ptr, size: Ptr):
    """get_robust_list(2): of the caller, or of a guest thread (tid translated) that
    the caller may inspect (PTRACE_MODE_READ_REALCREDS: EPERM)."""
    from umlpy.syscalls.thread import native_pid, peer_process
    if not pid:
        return Native()
    native = native_pid(task, pid)
    require_ptrace(task, peer_process(task, pid), PTRACE_MODE_READ_REALCREDS, "get_robust_list")
    return Native(args={0: native})


# ------------------------------------------------------------------ mlock
# Guest root may lock memory beyond RLIMIT_MEMLOCK, as root (CAP_IPC_LOCK) can;
# the host, for which the guest is an unprivileged user, refuses.  A lock the
# host refused for that reason only is accepted, not made: the memory stays
# counted against the sandbox's memory limit, as locked memory would be, but it
# may be swapped (issue 8).

def _mapped(task, start: int, end: int) -> bool:
    """Is [start, end) wholly mapped in the caller's address space?"""
    try:
        with open(f"/proc/{task.process.host_pid}/maps") as f:
            for line in f:
                lo, hi = (int(x, 16) for x in line.split(None, 1)[0].split("-"))
                if hi <= start:
                    continue
                if lo > start:
                    return False
                start = hi
                if start >= end:
                    return True
    except (OSError, ValueError):
        pass
    return start >= end


def _root_lock(task, start: int, length: int):
    def back(r: int) -> int:
        if r in (-errno.ENOMEM, -errno.EPERM) and task.creds.has(CAP_IPC_LOCK):
            lo = start & ~(PAGE - 1)
            hi = (start + length + PAGE - 1) & ~(PAGE - 1)
            if hi >= lo and _mapped(task, lo, hi):
                return 0
        return r
    return back


@syscall("mlock", REWRITE)
def mlock(task, addr: Ptr, length: ULong):
    """mlock(2): natively; for guest root a refusal by RLIMIT_MEMLOCK is lifted (see above)."""
    return Native(then=_root_lock(task, addr, length))


@syscall("mlock2", REWRITE)
def mlock2(task, addr: Ptr, length: ULong, flags: UInt):
    """mlock2(2): natively; for guest root a refusal by RLIMIT_MEMLOCK is lifted (see above)."""
    return Native(then=_root_lock(task, addr, length))


@syscall("mlockall", REWRITE)
def mlockall(task, flags: Long):
    """mlockall(2): natively; for guest root a refusal by RLIMIT_MEMLOCK is lifted (see above)."""
    def back(r: int) -> int:
        if r in (-errno.ENOMEM, -errno.EPERM) and task.creds.has(CAP_IPC_LOCK):
            return 0
        return r
    return Native(then=back)
