"""mount(2) and umount2(2): the guest's own mount table.

The mount table is the guest kernel's (umlpy/vfs/mount.py), so mounting
changes only what the guest's path walk finds; the host's mounts are never
touched.  Supported: new tmpfs, proc and devtmpfs instances, bind mounts of
any guest directory (MS_BIND), and remounting a mount read-only or
read-write (MS_REMOUNT).  Only guest root may mount.

The table is the caller's mount namespace's (kernel/namespaces.py).  Every
mount is private: nothing propagates between namespaces.  A change of
propagation type (MS_PRIVATE, MS_SLAVE, MS_UNBINDABLE, MS_SHARED, as
`unshare -m` makes of "/") is checked as Linux checks it and then changes
nothing: private is what every mount already is, and MS_SHARED's peer groups
are not modelled.
"""
from __future__ import annotations

import errno
import os

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import AT_FDCWD, CAP_SYS_ADMIN
from umlpy.fsimpl.devfs import DevFS
from umlpy.fsimpl.procfs import ProcFS
from umlpy.fsimpl.subtree import SubtreeFS
from umlpy.fsimpl.tmpfs import TmpFS
from umlpy.kernel.creds import capable
from umlpy.kernel.fdpath import existing, resolve_at
from umlpy.kernel.table import EMULATE, Path, Ptr, syscall
from umlpy.vfs.mount import Mount

MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC = 0x1, 0x20, 0x1000, 0x4000
MS_UNBINDABLE, MS_PRIVATE, MS_SLAVE, MS_SHARED = 1 << 17, 1 << 18, 1 << 19, 1 << 20
MS_PROPAGATION = MS_UNBINDABLE | MS_PRIVATE | MS_SLAVE | MS_SHARED
MNT_FORCE, MNT_DETACH, UMOUNT_NOFOLLOW = 0x1, 0x2, 0x8


def _opt_str(task, addr: int) -> str:
    return "" if addr == 0 else os.fsdecode(task.read_str(addr, 256))


def _new_fs(task, fstype: str):
    kernel = task.kernel
    if fstype == "tmpfs":
        return TmpFS(kernel.state_dir)
    if fstype == "proc":
        return ProcFS(kernel)
    if fstype == "devtmpfs":
        return DevFS(kernel.config.tty, kernel.config.devpts)
    raise KernelError(errno.ENODEV, f"file system type {fstype!r} is not available")


@syscall("mount", EMULATE)
def mount(task, source: Ptr, target: Path, fstype: Ptr, flags: Ptr, data: Ptr):
    """mount(2): a new tmpfs/proc/devtmpfs, a bind mount, or a remount, in the guest's table."""
    if not capable(task, CAP_SYS_ADMIN):
        raise KernelError(errno.EPERM, "mount needs CAP_SYS_ADMIN")
    table = task.kernel.vfs.mounts
    where = existing(resolve_at(task, AT_FDCWD, target))
    if not where.st.is_dir and not flags & MS_BIND:
        raise KernelError(errno.ENOTDIR)
    if flags & MS_REMOUNT:
        if not table.is_mount_point(where.path):
            raise KernelError(errno.EINVAL)
        m = table.find(where.path)
        m.readonly = bool(flags & MS_RDONLY)
        return 0
    if flags & MS_PROPAGATION and not flags & MS_BIND:
        kinds = flags & MS_PROPAGATION
        if kinds & (kinds - 1) or not table.is_mount_point(where.path):
            raise KernelError(errno.EINVAL, "one propagation type, on a mount point")
        return 0                             # every mount is private already
    if flags & MS_BIND:
        src = existing(resolve_at(task, AT_FDCWD, _opt_str(task, source)))
        if src.st.is_dir != where.st.is_dir:
            raise KernelError(errno.ENOTDIR if not where.st.is_dir else errno.EISDIR)
        fs = SubtreeFS(src.mount.fs, src.rel, readonly=bool(flags & MS_RDONLY))
        table.add(Mount(where.path, fs, readonly=bool(flags & MS_RDONLY) or src.mount.readonly,
                        source=src.path, fstype=src.mount.fstype))
        return 0
    fstype_s = _opt_str(task, fstype)
    fs = _new_fs(task, fstype_s)
    table.add(Mount(where.path, fs, readonly=bool(flags & MS_RDONLY),
                    source=_opt_str(task, source) or fstype_s, fstype=fstype_s))
    return 0


@syscall("umount2", EMULATE)
def umount2(task, target: Path, flags: int):
    """umount2(2): remove a mount from the guest's table ("/" stays)."""
    if not capable(task, CAP_SYS_ADMIN):
        raise KernelError(errno.EPERM, "umount needs CAP_SYS_ADMIN")
    if flags & ~(MNT_FORCE | MNT_DETACH | UMOUNT_NOFOLLOW | 0x4):
        raise KernelError(errno.EINVAL)
    where = existing(resolve_at(task, AT_FDCWD, target, follow=not flags & UMOUNT_NOFOLLOW))
    table = task.kernel.vfs.mounts
    if where.path == "/" or not table.is_mount_point(where.path):
        raise KernelError(errno.EINVAL)
    if table.children(where.path) and not flags & MNT_DETACH:
        raise KernelError(errno.EBUSY)
    table.remove(where.path)
    return 0


