"""fanotify_mark: the one fanotify call with an answer other than a refusal.

fanotify_init is refused (EPERM, as Linux refuses a caller without
CAP_SYS_ADMIN: an fanotify group watches whole host mounts), so no guest
descriptor can ever be an fanotify group.  fanotify_mark on any descriptor
then fails as Linux fails it on a descriptor that is not one: EBADF for a
closed one, EINVAL for any other.
"""
from __future__ import annotations

import errno

from umlpy.abi.errno import KernelError
from umlpy.kernel.table import EMULATE, Ptr, UInt, ULong, syscall
from umlpy.syscalls.fd import dup_fd_check


@syscall("fanotify_mark", EMULATE)
def fanotify_mark(task, fanotify_fd: int, flags: UInt, mask: ULong, dirfd: int, pathname: Ptr):
    """fanotify_mark(2): no descriptor is an fanotify group here (fanotify_init is refused)."""
    dup_fd_check(task, fanotify_fd)                      # a closed fd: EBADF
    raise KernelError(errno.EINVAL, "not an fanotify descriptor (fanotify_init is refused)")
