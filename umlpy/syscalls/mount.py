"""mount(2), umount2(2) and pivot_root(2): the guest's own mount table.

The mount table is the guest kernel's (umlpy/vfs/mount.py), so mounting
changes only what the guest's path walk finds; the host's mounts are never
touched.  Supported: new tmpfs, proc and devtmpfs instances, devpts (the
sandbox's one instance), bind mounts of
any guest directory (MS_BIND; with MS_REC the mounts below it too), and remounting a mount read-only or
read-write (MS_REMOUNT).  Only guest root may mount.

The table is the caller's mount namespace's (kernel/namespaces.py).  Every
mount is private: nothing propagates between namespaces.  A change of
propagation type (MS_PRIVATE, MS_SLAVE, MS_UNBINDABLE, MS_SHARED, as
`unshare -m` makes of "/") is checked as Linux checks it and then changes
nothing: private is what every mount already is, and MS_SHARED's peer groups
are not modelled.

pivot_root moves mounts within the caller's namespace's table only
(MountTable.pivot); the processes of that namespace that were at the old root
are moved to the new one, as Linux's chroot_fs_refs does.
"""
from __future__ import annotations

import errno
import os
import weakref
from dataclasses import replace

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import AT_FDCWD, CAP_SYS_ADMIN
from umlpy.fsimpl.devfs import DevFS
from umlpy.fsimpl.procfs import ProcFS
from umlpy.fsimpl.subtree import SubtreeFS
from umlpy.fsimpl.tmpfs import TmpFS
from umlpy.kernel.creds import capable
from umlpy.kernel.fdpath import existing, resolve_at
from umlpy.kernel.table import EMULATE, Path, Ptr, syscall
from umlpy.vfs.mount import Mount, at_or_under

MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC = 0x1, 0x20, 0x1000, 0x4000
MS_UNBINDABLE, MS_PRIVATE, MS_SLAVE, MS_SHARED = 1 << 17, 1 << 18, 1 << 19, 1 << 20
MS_PROPAGATION = MS_UNBINDABLE | MS_PRIVATE | MS_SLAVE | MS_SHARED
MNT_FORCE, MNT_DETACH, UMOUNT_NOFOLLOW = 0x1, 0x2, 0x8


class _FileBind(SubtreeFS):
    """A bind mount of a file.  Linux binds the inode, so the mount keeps showing the
    file after its name is unlinked (bwrap --ro-bind-data binds a temporary file and
    then unlinks it).  Served by name while the name stands, then by the file opened
    at bind time, which is closed when the mount is dropped (a finalizer: an umount
    leaves no descriptor behind in the supervisor)."""

    def __init__(self, fs, prefix: str, *, readonly: bool = False) -> None:
        super().__init__(fs, prefix, readonly=readonly)
        self._st = fs.lstat(prefix)
        try:
            self._fd = fs.open(prefix, os.O_RDONLY | os.O_CLOEXEC, 0)
        except (KernelError, OSError):
            self._fd = -1
        self._closer = weakref.finalize(self, os.close, self._fd) if self._fd >= 0 else None

    def _gone(self, rel: str, e: KernelError) -> bool:
        return e.errno == errno.ENOENT and rel == "/" and self._fd >= 0

    def lstat(self, rel: str):
        try:
            return super().lstat(rel)
        except KernelError as e:
            if not self._gone(rel, e):
                raise
            h = os.fstat(self._fd)
            return self._st.with_(size=h.st_size, mtime_ns=h.st_mtime_ns, blocks=h.st_blocks, nlink=h.st_nlink)

    def open(self, rel: str, flags: int, mode: int) -> int:
        try:
            return super().open(rel, flags, mode)
        except KernelError as e:
            if not self._gone(rel, e):
                raise
            try:
                return os.open(f"/proc/self/fd/{self._fd}", flags & ~(os.O_CREAT | os.O_EXCL) | os.O_CLOEXEC)
            except OSError as oe:
                raise KernelError(oe.errno, "reopening a bound file") from None

    def getxattr(self, rel: str, name: str) -> bytes:
        try:
            return super().getxattr(rel, name)
        except KernelError as e:
            if not self._gone(rel, e):
                raise
            raise KernelError(errno.ENODATA) from None  # (its attributes are not kept)

    def listxattr(self, rel: str) -> list[str]:
        try:
            return super().listxattr(rel)
        except KernelError as e:
            if not self._gone(rel, e):
                raise
            return []

    def close(self) -> None:
        if self._closer is not None:
            self._closer()
        super().close()


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
    if fstype == "devpts":
        # the sandbox has one devpts instance (fsimpl/devfs.py): a devpts mount, even
        # with "newinstance", shows it, as /dev/pts does
        return SubtreeFS(DevFS(kernel.config.tty, kernel.config.devpts), "/pts")
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
        below = [m for m in table.mounts if m.point != src.path and at_or_under(m.point, src.path)
                 ] if flags & MS_REC else []
        kind = SubtreeFS if src.st.is_dir else _FileBind
        fs = kind(src.mount.fs, src.rel, readonly=bool(flags & MS_RDONLY))
        covered = table.cover(where.path)
        table.add(Mount(where.path, fs, readonly=bool(flags & MS_RDONLY) or src.mount.readonly,
                        source=src.path, fstype=src.mount.fstype, covered=covered))
        # MS_REC (mount --rbind): the mounts below the source come along, each as it is
        # (Linux's copy_tree), at the same place below the target
        for m in sorted(below, key=lambda m: len(m.point)):
            rest = m.point[len(src.path):] if src.path != "/" else m.point
            table.add(replace(m, point=where.path.rstrip("/") + rest))
        return 0
    fstype_s = _opt_str(task, fstype)
    fs = _new_fs(task, fstype_s)
    covered = table.cover(where.path)
    table.add(Mount(where.path, fs, readonly=bool(flags & MS_RDONLY),
                    source=_opt_str(task, source) or fstype_s, fstype=fstype_s, covered=covered))
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
    if where.path == task.fs.root and table.over_root:
        # the old root stacked over the root by pivot_root(".", "."): umount's walk
        # goes up into the mounts stacked on its last component (LOOKUP_MOUNTPOINT)
        if len(table.over_root) > 1 and not flags & MNT_DETACH:
            raise KernelError(errno.EBUSY)
        table.over_root = []
        return 0
    if where.path == "/" or not table.is_mount_point(where.path):
        raise KernelError(errno.EINVAL)
    if table.children(where.path) and not flags & MNT_DETACH:
        raise KernelError(errno.EBUSY)
    table.remove(where.path)
    return 0





@syscall("pivot_root", EMULATE)
def pivot_root(task, new_root: Path, put_old: Path):
    """pivot_root(2): in the caller's mount namespace, the mount at `new_root` becomes
    the root and the old root mount goes to `put_old`, with Linux's checks in
    do_pivot_root's order; then, as chroot_fs_refs, every process of the namespace
    whose root or cwd was the old root gets the new one."""
    if not capable(task, CAP_SYS_ADMIN):
        raise KernelError(errno.EPERM, "pivot_root needs CAP_SYS_ADMIN")
    new = existing(resolve_at(task, AT_FDCWD, new_root))
    if not new.st.is_dir:
        raise KernelError(errno.ENOTDIR)
    old = existing(resolve_at(task, AT_FDCWD, put_old))
    if not old.st.is_dir:
        raise KernelError(errno.ENOTDIR)
    table = task.kernel.vfs.mounts
    root = task.fs.root
    root_mnt = table.find(root)
    # (every mount is private here, so Linux's EINVAL for a shared mount never applies)
    if new.mount is root_mnt or old.mount is root_mnt:
        raise KernelError(errno.EBUSY, "new_root or put_old is on the current root's mount")
    if root_mnt.point != root:
        raise KernelError(errno.EINVAL, "the caller's root is not a mount point (chroot)")
    if new.mount.point != new.path:
        raise KernelError(errno.EINVAL, "new_root is not a mount point")
    if not at_or_under(old.path, new.path):
        raise KernelError(errno.EINVAL, "put_old is not at or under new_root")
    if not at_or_under(new.path, root):
        raise KernelError(errno.EINVAL, "new_root is not under the caller's root")
    moved = table.pivot(root, new.path, old.path)
    kernel = task.kernel
    seen: set[int] = set()
    for t in list(kernel.pidns.tasks.values()):
        if t.ns.mnt is not task.ns.mnt or id(t.fs) in seen:
            continue
        seen.add(id(t.fs))
        fs = t.fs
        # the old root becomes the new root (chroot_fs_refs); any other directory is
        # the same directory, under its new name
        fs.root = root if fs.root == root else moved(fs.root)
        if not fs.cwd.endswith(" (deleted)"):
            fs.cwd = root if fs.cwd == root else moved(fs.cwd)
    vfs = kernel.vfs
    for key, path in list(vfs.objects.items()):
        if path.startswith("/"):
            vfs.objects[key] = moved(path)
    return 0
