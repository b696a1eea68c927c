"""A guest's file descriptors, as the supervisor reaches them.

The guest's fd table is the host's (so read/write/poll/mmap run natively);
the guest kernel keeps no copy of it.  When a syscall names an fd that the
guest kernel must understand (fstat, getdents64, fchdir, openat's dirfd), the
supervisor duplicates it out of the guest with pidfd_getfd(2) and looks the
host object up in the VFS's record of what it opened.
"""
from __future__ import annotations

import errno
import os
import stat as S
from typing import TYPE_CHECKING

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import AT_FDCWD
from umlpy.platform.host import pidfd_getfd
from umlpy.vfs.vfs import Lookup

if TYPE_CHECKING:
    from umlpy.kernel.task import Task


def dup_fd(task: Task, fd: int) -> int:
    """Our own duplicate of guest fd `fd` (same open file description); EBADF if none."""
    if fd < 0:
        raise KernelError(errno.EBADF)
    pidfd = task.process.pidfd
    if pidfd is None:
        raise KernelError(errno.EBADF)
    r = pidfd_getfd(pidfd, fd)
    if r < 0:
        raise KernelError(errno.EBADF if -r in (errno.EBADF, errno.ENOENT) else -r)
    return r


class guest_fd:
    """`with guest_fd(task, fd) as hfd:` our duplicate of guest fd `fd`, closed after.
    (A class: a generator context manager costs twice the calls, on every fstat.)"""
    __slots__ = ("fd",)

    def __init__(self, task: Task, fd: int) -> None:
        self.fd = dup_fd(task, fd)

    def __enter__(self) -> int:
        return self.fd

    def __exit__(self, *exc) -> None:
        os.close(self.fd)


def fd_path(task: Task, fd: int) -> str | None:
    """The guest path an fd was opened as, or None (pipes, sockets, unknown)."""
    with guest_fd(task, fd) as hfd:
        path, _ = task.kernel.vfs.path_of_host_fd(hfd)
        return path


def dir_of(task: Task, dirfd: int) -> str:
    """The guest directory a dirfd argument names (AT_FDCWD: the cwd)."""
    if dirfd == AT_FDCWD:
        return task.fs.cwd
    with guest_fd(task, dirfd) as hfd:
        path, st = task.kernel.vfs.path_of_host_fd(hfd)
        if not S.S_ISDIR(st.st_mode):
            raise KernelError(errno.ENOTDIR)
        if path is None:
            raise KernelError(errno.ENOENT, "directory fd not opened through the guest VFS")
        return path


def resolve_at(task: Task, dirfd: int, path: str, *, follow: bool = True) -> Lookup:
    """Walk `path` relative to `dirfd` like the *at() syscalls do."""
    vfs = task.kernel.vfs
    base = task.fs.cwd if path.startswith("/") else dir_of(task, dirfd)
    return vfs.resolve(path, cwd=base, follow=follow, root=task.fs.root, creds=task.creds)


def existing(lk: Lookup) -> Lookup:
    if lk.st is None:
        raise KernelError(errno.ENOENT)
    return lk
