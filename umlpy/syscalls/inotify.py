"""inotify_add_watch: a watch on a guest path, added to the supervisor's
duplicate of the guest's inotify fd (inotify_init and reads are native).
"""
from __future__ import annotations

import errno
import os

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import AT_FDCWD
from umlpy.kernel.fdpath import existing, guest_fd, resolve_at
from umlpy.kernel.table import EMULATE, Path, UInt, syscall
from umlpy.platform.host import inotify_add_watch as inotify_watch

# --------------------------------------------------------------- inotify
IN_ALL_EVENTS = 0xfff
IN_UNMOUNT, IN_Q_OVERFLOW, IN_IGNORED = 0x2000, 0x4000, 0x8000
IN_ONLYDIR, IN_DONT_FOLLOW, IN_EXCL_UNLINK = 0x01000000, 0x02000000, 0x04000000
IN_MASK_CREATE, IN_MASK_ADD, IN_ISDIR, IN_ONESHOT = 0x10000000, 0x20000000, 0x40000000, 0x80000000
ALL_INOTIFY_BITS = (IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_ONLYDIR | IN_DONT_FOLLOW
                    | IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD | IN_ISDIR | IN_ONESHOT)


def _is_inotify(hfd: int) -> bool:
    try:
        return os.readlink(f"/proc/self/fd/{hfd}") == "anon_inode:inotify"
    except OSError:
        return False


def _object_fd(task, lk) -> int:
    """A descriptor of the object to watch that makes no event of its own.

    An O_PATH open is no open for inotify (no IN_OPEN, no IN_CLOSE_NOWRITE),
    so a watcher already on the object or its directory sees nothing the
    guest did not do.  Objects no host file system holds get the VFS's
    placeholder."""
    try:
        return lk.mount.fs.open(lk.rel, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, 0)
    except (KernelError, OSError, AttributeError):
        return task.kernel.vfs.open_path(lk, os.O_NOFOLLOW if lk.st.is_link else 0)


@syscall("inotify_add_watch", EMULATE)
def inotify_add_watch(task, fd: int, path: Path, mask: UInt):
    """inotify_add_watch(2): watch the object `path` names in the guest's view.

    Linux's order of checks: the mask (EINVAL), the fd (EBADF, EINVAL if it
    is no inotify instance), then the path.  The supervisor opens the object
    itself (O_PATH) and adds the watch to its own duplicate of the guest's
    inotify fd, naming the object by that descriptor: events then reach the
    guest's fd.  Names in events are the watched directory's entries, the
    same in the guest's view.
    """
    if not mask & ALL_INOTIFY_BITS:
        raise KernelError(errno.EINVAL, "inotify_add_watch: no event in the mask")
    if mask & IN_MASK_ADD and mask & IN_MASK_CREATE:
        raise KernelError(errno.EINVAL, "inotify_add_watch: IN_MASK_ADD with IN_MASK_CREATE")
    with guest_fd(task, fd) as ifd:
        if not _is_inotify(ifd):
            raise KernelError(errno.EINVAL, "inotify_add_watch: not an inotify descriptor")
        lk = existing(resolve_at(task, AT_FDCWD, path, follow=not mask & IN_DONT_FOLLOW))
        if mask & IN_ONLYDIR and not lk.st.is_dir:
            raise KernelError(errno.ENOTDIR)
        obj = _object_fd(task, lk)
        try:
            wd = inotify_watch(ifd, f"/proc/self/fd/{obj}", mask & ~IN_DONT_FOLLOW)
        finally:
            os.close(obj)
    if wd < 0:
        raise KernelError(-wd)
    # From now on an fd hand-over waits for the supervisor to drop its copy of the
    # file before the guest goes on (one more stop: kernel/dispatch.py _install_fd),
    # so that the guest's close() is the last one and IN_CLOSE_* comes with it.
    task.kernel.fs_watched = True
    task.kernel.answers.forget_stats()       # no more opens below Python (kernel/answers.py keep_open)
    return wd
