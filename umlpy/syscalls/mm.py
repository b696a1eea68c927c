"""Memory syscalls: the guest's address space is its own, so they run natively.

(get_robust_list may name another thread: its tid is translated.)

mmap of a file maps a descriptor the guest already holds (opened through the
guest VFS), so no name is involved.
"""
from __future__ import annotations

from umlpy.kernel.requests import Native
from umlpy.kernel.table import REWRITE, Ptr, syscall


@syscall("get_robust_list", REWRITE)
def get_robust_list(task, pid: int, head: Ptr, size: Ptr):
    """get_robust_list(2): of the caller, or of a guest thread (tid translated)."""
    from umlpy.syscalls.thread import native_pid
    return Native(args={0: native_pid(task, pid)}) if pid else Native()
