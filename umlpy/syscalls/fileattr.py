"""Inode attribute flags: file_getattr and file_setattr (Linux 6.17), and the
obsolete sysfs(2) and ustat(2).

The sandbox's file systems show no inode attribute flags (immutable, append,
nodump, project ids: FS_IOC_GETFLAGS is ENOTTY, see fd.py): on the host they
would be the host's, and setting them takes a privilege the guest never has.
So file_getattr and file_setattr answer what Linux answers for a file system
without them, EOPNOTSUPP, after Linux's own checks in Linux's order (fs/file_attr.c):
flags, the struct's size, the struct itself (file_setattr), then the path.

sysfs(2) lists the guest's file system types (by the rule of its
/proc/filesystems), and ustat(2) answers for the devices of the guest's mounts.
"""
from __future__ import annotations

import errno
import struct

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW
from umlpy.kernel.table import EMULATE, Ptr, ULong, UInt, syscall
from umlpy.syscalls.stat import stat_at

FILE_ATTR_SIZE_VER0 = 24          # struct file_attr: u64 xflags; u32 extsize, nextents, projid, cowextsize
PAGE_SIZE = 4096
FS_XFLAGS_MASK = (0x1 | 0x2 | 0x8 | 0x10 | 0x20 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800 | 0x1000
                  | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x80000000)


def _common(usize: int, at_flags: int) -> None:
    """The checks both calls make first."""
    if at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise KernelError(errno.EINVAL, f"unknown flags {at_flags:#x}")
    if usize > PAGE_SIZE:
        raise KernelError(errno.E2BIG)
    if usize < FILE_ATTR_SIZE_VER0:
        raise KernelError(errno.EINVAL, f"struct file_attr of {usize} bytes")


def _lookup(task, dirfd: int, path: int, at_flags: int) -> None:
    name = b"" if not path and at_flags & AT_EMPTY_PATH else task.read_str(path)
    stat_at(task, dirfd, name.decode("utf-8", "surrogateescape"), at_flags)


@syscall("file_getattr", EMULATE)
def file_getattr(task, dirfd: int, path: Ptr, ufattr: Ptr, usize: ULong, at_flags: UInt):
    """file_getattr(2): no file system of the sandbox has inode attribute flags (EOPNOTSUPP)."""
    _common(usize, at_flags)
    _lookup(task, dirfd, path, at_flags)
    raise KernelError(errno.EOPNOTSUPP, "no inode attribute flags on the sandbox's file systems")


@syscall("file_setattr", EMULATE)
def file_setattr(task, dirfd: int, path: Ptr, ufattr: Ptr, usize: ULong, at_flags: UInt):
    """file_setattr(2): no file system of the sandbox has inode attribute flags (EOPNOTSUPP)."""
    _common(usize, at_flags)
    raw = task.read(ufattr, usize)                        # copy_struct_from_user: EFAULT
    if any(raw[FILE_ATTR_SIZE_VER0:]):
        raise KernelError(errno.E2BIG, "unknown trailing fields are set")
    xflags, = struct.unpack_from("<Q", raw)
    if xflags & ~FS_XFLAGS_MASK:
        raise KernelError(errno.EINVAL, f"unknown xflags {xflags:#x}")
    _lookup(task, dirfd, path, at_flags)
    raise KernelError(errno.EOPNOTSUPP, "no inode attribute flags on the sandbox's file systems")


# ------------------------------------------------------------------ sysfs(2)
def fs_types(kernel) -> list[str]:
    """The file system types the guest kernel knows, in a fixed order (the same rule as
    the guest's /proc/filesystems: the kinds it serves, then any other kind mounted)."""
    kinds: list[str] = []
    for fs in ["overlay", "proc", "devtmpfs", "tmpfs"] + [m.fstype for m in kernel.vfs.mounts.mounts]:
        if fs and fs not in kinds and fs != "bind":
            kinds.append(fs)
    return kinds


@syscall("sysfs", EMULATE)
def sysfs(task, option: int, arg1: ULong, arg2: Ptr):
    """sysfs(2): 1 a type's index by name, 2 the name at an index, 3 the number of types."""
    kinds = fs_types(task.kernel)
    if option == 1:
        name = task.read_str(arg1, 256).decode("utf-8", "surrogateescape")
        if name not in kinds:
            raise KernelError(errno.EINVAL, f"no file system type {name!r}")
        return kinds.index(name)
    if option == 2:
        index = arg1 & 0xFFFFFFFF
        if index >= len(kinds):
            raise KernelError(errno.EINVAL)
        task.write(arg2, kinds[index].encode() + b"\0")
        return 0
    if option == 3:
        return len(kinds)
    raise KernelError(errno.EINVAL, f"sysfs option {option}")


# ------------------------------------------------------------------ ustat(2)
USTAT = struct.Struct("<i4xQ6s6s4x")        # struct ustat: f_tfree, f_tinode, f_fname, f_fpack


@syscall("ustat", EMULATE)
def ustat(task, dev: UInt, ubuf: Ptr):
    """ustat(2): free blocks and inodes of the guest mount whose device is `dev` (EINVAL if none)."""
    for m in task.kernel.vfs.mounts.mounts:
        try:
            st = m.fs.lstat(m.rel(m.point))
        except OSError:
            continue
        if st.dev & 0xFFFFFFFF != dev:          # st_dev as stat shows it, cut to the call's 32 bits
            continue
        sv = m.fs.statvfs()
        tfree, tinode = (sv.f_bfree, sv.f_ffree) if sv is not None else (1 << 19, 1 << 15)
        task.write(ubuf, USTAT.pack(min(tfree, 0x7FFFFFFF), tinode, b"", b""))
        return 0
    raise KernelError(errno.EINVAL, f"no mounted file system on device {dev:#x}")
