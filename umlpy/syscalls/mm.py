"""Memory syscalls: the guest's address space is its own, so they run natively.

(get_robust_list may name another thread: its tid is translated.)

mmap of a file maps a descriptor the guest already holds (opened through the
guest VFS), so no name is involved.
"""
from __future__ import annotations

from umlpy.kernel.dispatch import Native
from umlpy.kernel.table import REWRITE, Ptr, native, syscall

native("brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "msync", "mincore",
       "mlock", "mlock2", "munlock", "mlockall", "munlockall", "arch_prctl",
       "set_robust_list", "rseq", "futex", "futex_waitv", "futex_wake",
       "futex_wait", "futex_requeue", "membarrier", "mbind", "set_mempolicy", "get_mempolicy",
       "set_mempolicy_home_node", "pkey_mprotect", "pkey_alloc", "pkey_free", "memfd_secret",
       "mseal", "map_shadow_stack", "remap_file_pages", "shmget", "shmat", "shmdt", "shmctl",
       "semget", "semop", "semtimedop", "semctl", "msgget", "msgsnd", "msgrcv", "msgctl",
       why="the guest's own address space")


@syscall("get_robust_list", REWRITE)
def get_robust_list(task, pid: int, head: Ptr, size: Ptr):
    """get_robust_list(2): of the caller, or of a guest thread (tid translated)."""
    from umlpy.syscalls.thread import host_pid
    return Native(args={0: host_pid(task, pid)}) if pid else Native()
