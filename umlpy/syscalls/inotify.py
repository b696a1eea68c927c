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
IN_DONT_FOLLOW, IN_ONLYDIR = 0x02000000, 0x01000000


@syscall("inotify_add_watch", EMULATE)
def inotify_add_watch(task, fd: int, path: Path, mask: UInt):
    """inotify_add_watch(2): watch the object `path` names in the guest's view.

    The supervisor opens the object itself and adds the watch to its own
    duplicate of the guest's inotify fd, naming the object by that
    descriptor: events then reach the guest's fd.  Names in events are the
    watched directory's entries, the same in the guest's view.
    """
    lk = existing(resolve_at(task, AT_FDCWD, path, follow=not mask & IN_DONT_FOLLOW))
    if mask & IN_ONLYDIR and not lk.st.is_dir:
        raise KernelError(errno.ENOTDIR)
    obj = task.kernel.vfs.open_path(lk, os.O_NOFOLLOW if lk.st.is_link else 0)
    try:
        with guest_fd(task, fd) as ifd:
            wd = inotify_watch(ifd, f"/proc/self/fd/{obj}", mask & ~IN_DONT_FOLLOW)
    finally:
        os.close(obj)
    if wd < 0:
        raise KernelError(-wd)
    return wd
