"""Memory syscalls: the guest's address space is its own, so all of them run natively.

mmap of a file maps a descriptor the guest already holds (opened through the
guest VFS), so no name is involved.
"""
from umlpy.syscalls.table import native

native("brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "msync", "mincore",
       "mlock", "mlock2", "munlock", "mlockall", "munlockall", "arch_prctl",
       "set_robust_list", "get_robust_list", "rseq", "futex", "futex_waitv", "futex_wake",
       "futex_wait", "futex_requeue", "membarrier", "mbind", "set_mempolicy", "get_mempolicy",
       "set_mempolicy_home_node", "pkey_mprotect", "pkey_alloc", "pkey_free", "memfd_secret",
       "mseal", "map_shadow_stack", "remap_file_pages", "shmget", "shmat", "shmdt", "shmctl",
       "semget", "semop", "semtimedop", "semctl", "msgget", "msgsnd", "msgrcv", "msgctl",
       why="the guest's own address space")
