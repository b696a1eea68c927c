"""Per-thread attributes the host cannot show the guest: no_new_privs, the seccomp
mode, and the thread's name after an execve.

The host runs every guest thread with the supervisor's no_new_privs bit and
seccomp filter, so a native prctl(PR_GET_NO_NEW_PRIVS) or PR_GET_SECCOMP
would answer 1 and 2 (filter) in a process that set neither.  The guest
kernel keeps both per thread (Task.no_new_privs, Task.seccomp_mode: copied
to the threads and children a thread makes, kept across execve), answers
prctl from them, and shows them in /proc/PID/status.

A guest's own seccomp filter is installed natively, on top of the
supervisor's: filters only restrict, and the most restrictive action wins.
Linux's rule for installing one (no_new_privs or CAP_SYS_ADMIN) is checked
on the guest's values first.  A filter that asks for a user-space listener
(SECCOMP_FILTER_FLAG_NEW_LISTENER) is refused: SECCOMP_RET_USER_NOTIF
outranks the supervisor's SECCOMP_RET_TRACE, and a listener answering
"continue" would run a call the supervisor never saw.  (docs/design.md,
"The guest's no_new_privs, seccomp filters and thread names".)

The thread's name (PR_GET_NAME, /proc/PID/comm) is the host's, which
PR_SET_NAME and writes to /proc/PID/task/TID/comm set natively, except
right after an execve: the host exec'd ld.so or a descriptor, so its name
is not the one Linux gives (the last component of the path exec'd); the
guest's is then Process.comm.
"""
from __future__ import annotations

import errno

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import (
    CAP_SYS_ADMIN,
    PR_GET_NAME,
    PR_GET_NO_NEW_PRIVS,
    PR_GET_SECCOMP,
    PR_SET_NO_NEW_PRIVS,
    PR_SET_SECCOMP,
    SECCOMP_FILTER_FLAG_NEW_LISTENER,
    SECCOMP_FILTER_FLAG_TSYNC,
    SECCOMP_FILTER_FLAGS,
    SECCOMP_MODE_FILTER,
    SECCOMP_MODE_STRICT,
    SECCOMP_SET_MODE_FILTER,
    SECCOMP_SET_MODE_STRICT,
)
from umlpy.kernel.requests import Native
from umlpy.kernel.table import REWRITE, Ptr, UInt, syscall

# The prctl options served here (syscalls/identity.py prctl hands them over).
PRCTL_OPTIONS = frozenset({PR_GET_NO_NEW_PRIVS, PR_SET_NO_NEW_PRIVS, PR_GET_SECCOMP, PR_SET_SECCOMP,
                           PR_GET_NAME})
BPF_MAXINSNS = 4096


def thread_name(task) -> bytes:
    """The name Linux would give the thread (at most 15 bytes)."""
    proc = task.process
    try:
        with open(f"/proc/{task.host_tid}/comm", "rb", buffering=0) as f:
            host = f.read().rstrip(b"\n")
    except OSError:
        host = b""
    if not host or (proc.exec_host_comm and host == proc.exec_host_comm):
        return proc.comm[:15] or host
    return host


def prctl(task, option: int, arg2: int, arg3: int, arg4: int, arg5: int):
    """prctl(2) options about no_new_privs, seccomp and the thread's name (kernel/sys.c)."""
    if option == PR_SET_NO_NEW_PRIVS:
        if arg2 != 1 or arg3 or arg4 or arg5:
            raise KernelError(errno.EINVAL)
        task.no_new_privs = True
        return 0
    if option == PR_GET_NO_NEW_PRIVS:
        if arg2 or arg3 or arg4 or arg5:
            raise KernelError(errno.EINVAL)
        return int(task.no_new_privs)
    if option == PR_GET_SECCOMP:
        return task.seccomp_mode
    if option == PR_SET_SECCOMP:
        if arg2 == SECCOMP_MODE_STRICT:
            return _set_mode(task, SECCOMP_SET_MODE_STRICT, 0, 0)
        if arg2 == SECCOMP_MODE_FILTER:
            return _set_mode(task, SECCOMP_SET_MODE_FILTER, 0, arg3)
        raise KernelError(errno.EINVAL, f"seccomp mode {arg2}")
    if option == PR_GET_NAME:
        task.write(arg2, thread_name(task)[:15].ljust(16, b"\0"))
        return 0
    raise KernelError(errno.EINVAL)


@syscall("seccomp", REWRITE)
def seccomp(task, operation: UInt, flags: UInt, args: Ptr):
    """seccomp(2): the filter-installing operations check Linux's rules on the guest's
    no_new_privs and capabilities, then install natively; the others run natively."""
    if operation in (SECCOMP_SET_MODE_STRICT, SECCOMP_SET_MODE_FILTER):
        return _set_mode(task, operation, flags, args)
    return Native()


def _set_mode(task, operation: int, flags: int, args: int):
    if operation == SECCOMP_SET_MODE_STRICT:
        if flags or args:
            raise KernelError(errno.EINVAL)
        # Strict mode cannot be entered by a thread already in filter mode (the
        # host's view of every guest thread), so it is not offered.
        raise KernelError(errno.EINVAL, "strict mode is not supported under umlpy (docs/design.md)")
    if flags & ~SECCOMP_FILTER_FLAGS:
        raise KernelError(errno.EINVAL, f"seccomp flags {flags:#x}")
    # seccomp_prepare_user_filter: the struct sock_fprog is read (EFAULT), its
    # length checked (EINVAL), then the caller's right to filter (EACCES).
    raw = task.read(args, 16)
    length = int.from_bytes(raw[0:2], "little")
    if length == 0 or length > BPF_MAXINSNS:
        raise KernelError(errno.EINVAL, f"filter of {length} instructions")
    if not task.no_new_privs and not task.creds.has(CAP_SYS_ADMIN):
        raise KernelError(errno.EACCES, "a seccomp filter needs no_new_privs or CAP_SYS_ADMIN")
    if flags & SECCOMP_FILTER_FLAG_NEW_LISTENER:
        raise KernelError(errno.EBUSY, "a user-space listener could let calls past the supervisor")

    def then(r: int) -> int:
        if r >= 0:
            threads = task.process.threads.values() if flags & SECCOMP_FILTER_FLAG_TSYNC else (task,)
            for t in list(threads):
                t.seccomp_mode = SECCOMP_MODE_FILTER
        return r
    return Native(then=then)
