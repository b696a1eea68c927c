"""File status: stat, lstat, fstat, newfstatat, statx, statfs, access.

Metadata is reported as the guest's file systems define it: overlay
ownership, virtual /proc and /dev, the modes a guest set.
"""
from __future__ import annotations

import errno
import os

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import (
    AT_EACCESS,
    AT_EMPTY_PATH,
    AT_FDCWD,
    AT_NO_AUTOMOUNT,
    AT_STATX_SYNC_TYPE,
    AT_SYMLINK_NOFOLLOW,
    EXT4_SUPER_MAGIC,
    NAME_MAX,
    OVERLAYFS_SUPER_MAGIC,
    PROC_SUPER_MAGIC,
    SECBIT_NO_SETUID_FIXUP,
    ST_FLAGS,
    ST_RDONLY,
    STATX__RESERVED,
    STATX_BASIC_STATS,
    TMPFS_MAGIC,
)
from umlpy.abi.structs import STAT, STATFS, STATX
from umlpy.kernel.creds import W_OK
from umlpy.kernel.fdpath import existing, guest_fd, resolve_at
from umlpy.kernel.table import EMULATE, Path, Ptr, UInt, syscall
from umlpy.vfs.fs import Stat


# ------------------------------------------------------------------ stat
def pack_stat(st: Stat) -> bytes:
    return STAT.pack(st.dev, st.ino, st.nlink, st.mode, st.uid, st.gid, 0, st.rdev,
                     st.size, st.blksize, st.blocks,
                     st.atime_ns // 10**9, st.atime_ns % 10**9,
                     st.mtime_ns // 10**9, st.mtime_ns % 10**9,
                     st.ctime_ns // 10**9, st.ctime_ns % 10**9)


def pack_statx(st: Stat, mask: int = STATX_BASIC_STATS) -> bytes:
    """struct statx; stx_mask says which of the requested fields are filled
    (vfs_statx masks what the file system gave with the request)."""
    def ts(ns: int) -> tuple[int, int, int]:          # struct statx_timestamp
        return ns // 10**9, ns % 10**9, 0
    return STATX.pack(STATX_BASIC_STATS & mask, st.blksize, 0, st.nlink, st.uid, st.gid,
                      st.mode & 0xFFFF, 0, st.ino, st.size, st.blocks, 0,
                      *ts(st.atime_ns), *ts(0), *ts(st.ctime_ns), *ts(st.mtime_ns),
                      os.major(st.rdev), os.minor(st.rdev), os.major(st.dev), os.minor(st.dev), 1)


STATX_FLAGS = AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE


def stat_at(task, dirfd: int, path: str, flags: int) -> Stat:
    """What fstatat(dirfd, path, flags) reports, in the guest's view."""
    if path == "" and not flags & AT_EMPTY_PATH:
        raise KernelError(errno.ENOENT, "empty path without AT_EMPTY_PATH")
    if path == "" and flags & AT_EMPTY_PATH:
        if dirfd == AT_FDCWD:
            return task.kernel.vfs.lstat(task.fs.cwd)
        with guest_fd(task, dirfd) as hfd:
            return task.kernel.vfs.stat_open(hfd)
    lk = existing(resolve_at(task, dirfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW))
    return lk.st


def packed_stat_at(task, dirfd: int, path: str, flags: int) -> bytes:
    """struct stat of what fstatat(dirfd, path, flags) reports.  An answer that cannot
    change until a name or metadata does is also kept below Python (kernel/answers.py),
    which then answers the same call without a stop into Python."""
    answers = task.kernel.answers
    if not answers.keeps_stat(task, path, flags):
        return pack_stat(stat_at(task, dirfd, path, flags))
    try:
        lk = existing(resolve_at(task, dirfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW))
    except KernelError as e:
        answers.keep_stat(task, path, flags, e.errno, pack=pack_stat)
        raise
    data = pack_stat(lk.st)
    answers.keep_stat(task, path, flags, data, lk, pack=pack_stat)
    return data


@syscall("newfstatat", EMULATE)
def newfstatat(task, dirfd: int, path: Path, buf: Ptr, flags: int):
    """fstatat(2): stat a path (or, with AT_EMPTY_PATH and "", the fd itself)."""
    if flags & ~STATX_FLAGS:                 # vfs_statx: before the lookup
        raise KernelError(errno.EINVAL, "unknown fstatat flag")
    task.write(buf, packed_stat_at(task, dirfd, path, flags))
    return 0


@syscall("stat", EMULATE)
def stat_(task, path: Path, buf: Ptr):
    """stat(2): metadata of the file `path` names, symlinks followed."""
    task.write(buf, packed_stat_at(task, AT_FDCWD, path, 0))
    return 0


@syscall("lstat", EMULATE)
def lstat(task, path: Path, buf: Ptr):
    """lstat(2): like stat, but a final symlink is described itself."""
    task.write(buf, packed_stat_at(task, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW))
    return 0


@syscall("fstat", EMULATE)
def fstat(task, fd: int, buf: Ptr):
    """fstat(2): metadata of an open file."""
    with guest_fd(task, fd) as hfd:
        st = task.kernel.vfs.stat_open(hfd)
    task.write(buf, pack_stat(st))
    return 0


@syscall("statx", EMULATE)
def statx(task, dirfd: int, path: Path, flags: int, mask: UInt, buf: Ptr):
    """statx(2): extended stat; all basic fields are filled."""
    if flags & ~STATX_FLAGS or flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE \
            or mask & STATX__RESERVED:
        raise KernelError(errno.EINVAL, "unknown statx flag or mask bit, or both sync flags")
    task.write(buf, pack_statx(stat_at(task, dirfd, path, flags), mask))
    return 0


# ---------------------------------------------------------------- access
# Mounts whose files' modes are the whole story (access(W_OK) as root is 0 there
# even where a write would fail, as on Linux).
VIRTUAL_FS = ("proc", "devtmpfs", "sysfs", "cgroup2")


def do_access(task, dirfd: int, path: str, mode: int, flags: int) -> int:
    if mode & ~7:
        raise KernelError(errno.EINVAL)
    lk = existing(resolve_at(task, dirfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW))
    if mode & W_OK and lk.mount.readonly:
        raise KernelError(errno.EROFS)
    if mode & W_OK and getattr(lk.mount.fs, "readonly", False) \
            and lk.mount.fs.name not in ("overlay",) and lk.mount.fstype not in VIRTUAL_FS:
        raise KernelError(errno.EROFS)
    c = task.creds
    if not flags & AT_EACCESS:               # access(2) asks about the real ids
        c = c.copy()
        c.euid, c.egid = c.ruid, c.rgid
        c.fsuid, c.fsgid = c.ruid, c.rgid    # access_override_creds: the fs ids are the real ids,
        if not c.securebits & SECBIT_NO_SETUID_FIXUP:     # and root's capabilities the permitted ones
            c.cap_eff = c.cap_prm if c.ruid == 0 else 0
    if not c.permits(lk.st, mode):
        raise KernelError(errno.EACCES)
    return 0


@syscall("access", EMULATE)
def access(task, path: Path, mode: int):
    """access(2): may the caller read/write/execute `path`?"""
    return do_access(task, AT_FDCWD, path, mode, 0)


@syscall("faccessat", EMULATE)
def faccessat(task, dirfd: int, path: Path, mode: int):
    """faccessat(2): access relative to a directory fd."""
    return do_access(task, dirfd, path, mode, 0)


@syscall("faccessat2", EMULATE)
def faccessat2(task, dirfd: int, path: Path, mode: int, flags: int):
    """faccessat2(2): faccessat with flags (AT_SYMLINK_NOFOLLOW, AT_EACCESS)."""
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH):
        raise KernelError(errno.EINVAL)
    return do_access(task, dirfd, path, mode, flags)


# --------------------------------------------------------- file systems
def pack_statfs(fstype_magic: int, mount) -> bytes:
    """struct statfs for `mount`: the real numbers of the host file system behind it
    (a sandbox's tmpfs shows its size limit and use), or fixed ones for a virtual one."""
    sv = mount.fs.statvfs() if mount is not None else None
    flags = ST_RDONLY if mount is not None and mount.readonly else 0
    if sv is None:
        return STATFS.pack(fstype_magic, 4096, 1 << 20, 1 << 19, 1 << 19, 1 << 16, 1 << 15,
                           0, 0, NAME_MAX, 4096, flags, 0, 0, 0, 0)
    return STATFS.pack(fstype_magic, sv.f_bsize, sv.f_blocks, sv.f_bfree, sv.f_bavail, sv.f_files,
                       sv.f_ffree, 0, 0, sv.f_namemax, sv.f_frsize, (sv.f_flag | flags) & ST_FLAGS,
                       0, 0, 0, 0)


# The f_type statfs reports for each kind of mount; any other kind reports ext4's.
MAGICS = {"overlay": OVERLAYFS_SUPER_MAGIC, "proc": PROC_SUPER_MAGIC, "devtmpfs": TMPFS_MAGIC,
          "tmpfs": TMPFS_MAGIC, "bind": EXT4_SUPER_MAGIC}


@syscall("statfs", EMULATE)
def statfs(task, path: Path, buf: Ptr):
    """statfs(2): file-system statistics of the mount holding `path`."""
    lk = existing(resolve_at(task, AT_FDCWD, path))
    task.write(buf, pack_statfs(MAGICS.get(lk.mount.fstype, EXT4_SUPER_MAGIC), lk.mount))
    return 0


@syscall("fstatfs", EMULATE)
def fstatfs(task, fd: int, buf: Ptr):
    """fstatfs(2): statfs of the mount holding an open file."""
    with guest_fd(task, fd) as hfd:
        p, _ = task.kernel.vfs.path_of_host_fd(hfd)
    mount = task.kernel.vfs.mounts.find(p) if p else None
    magic = MAGICS.get(mount.fstype, EXT4_SUPER_MAGIC) if mount is not None else EXT4_SUPER_MAGIC
    task.write(buf, pack_statfs(magic, mount))
    return 0


