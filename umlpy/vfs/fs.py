"""The file-system interface every mounted file system implements, and the stat record.

A file system is addressed by paths relative to its own root ("/" is the
root, "/etc/passwd" a file in it), already resolved by the path walk: no
"..", no symlinks on the way, so a file system only answers questions about
one name at a time.  Host-backed file systems return real host descriptors
for open(); virtual ones (procfs, devfs) return memfds or host devices.
"""
from __future__ import annotations

import errno
import os
import stat as S
from dataclasses import dataclass

from umlpy.abi.errno import KernelError

# Rootless (the supervisor is not root), the supervisor's own host uid and
# gid are the guest's root, as in a user namespace that maps 0 to them: a
# rootfs the user built or unpacked shows as root's, as it would for root.
_SELF_UID, _SELF_GID = os.geteuid(), os.getegid()


def guest_owner(uid: int, gid: int) -> tuple[int, int]:
    """The owner the guest sees for a host object owned by host `uid`:`gid`."""
    if _SELF_UID:
        return (0 if uid == _SELF_UID else uid), (0 if gid == _SELF_GID else gid)
    return uid, gid


DT_UNKNOWN, DT_FIFO, DT_CHR, DT_DIR, DT_BLK, DT_REG, DT_LNK, DT_SOCK = 0, 1, 2, 4, 6, 8, 10, 12


@dataclass
class Stat:
    """What stat(2) reports to the guest."""
    mode: int
    ino: int = 0
    dev: int = 0
    nlink: int = 1
    uid: int = 0
    gid: int = 0
    rdev: int = 0
    size: int = 0
    blksize: int = 4096
    blocks: int = 0
    atime_ns: int = 0
    mtime_ns: int = 0
    ctime_ns: int = 0

    @classmethod
    def from_host(cls, st: os.stat_result) -> "Stat":
        uid, gid = guest_owner(st.st_uid, st.st_gid) if _SELF_UID else (st.st_uid, st.st_gid)
        return cls(st.st_mode, st.st_ino, st.st_dev, st.st_nlink, uid, gid,
                   st.st_rdev, st.st_size, st.st_blksize, st.st_blocks,
                   st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns)

    def with_(self, **kw) -> "Stat":
        """A copy with some fields changed (dataclasses.replace runs __init__ through
        its field list: 4 us a call here, on the path of every fstat of a file)."""
        new = object.__new__(Stat)
        d = new.__dict__
        d.update(self.__dict__)
        for k in kw:
            if k not in d:
                raise TypeError(f"Stat has no field {k!r}")
        d.update(kw)
        return new

    @property
    def is_dir(self) -> bool:
        return S.S_ISDIR(self.mode)

    @property
    def is_link(self) -> bool:
        return S.S_ISLNK(self.mode)

    @property
    def is_reg(self) -> bool:
        return S.S_ISREG(self.mode)

    @property
    def dtype(self) -> int:
        return dtype_of(self.mode)


DTYPES = {S.S_IFDIR: DT_DIR, S.S_IFREG: DT_REG, S.S_IFLNK: DT_LNK, S.S_IFCHR: DT_CHR,
          S.S_IFBLK: DT_BLK, S.S_IFIFO: DT_FIFO, S.S_IFSOCK: DT_SOCK}


def dtype_of(mode: int) -> int:
    return DTYPES.get(mode & 0o170000, DT_UNKNOWN)


def fail(err: int, why: str = "") -> "KernelError":
    return KernelError(err, why)


# Operations that may change which object a path names, or a directory's mode
# or owner (search permission): each call moves the name generation on, which
# is what the dentry cache (vfs.VFS.resolve) checks its entries against.
NAME_CHANGING = ("mkdir", "rmdir", "unlink", "symlink", "link", "rename", "chmod", "chown",
                 "mknod_socket_dir", "mkfifo", "mknod_device", "link_fd", "adopt")


# Operations that may change what lstat says of an existing object without
# changing a name (and copy_up, which moves an object to another layer).  With
# the NAME_CHANGING ones they move `Generation.meta`, which the stat answers
# kept below Python (kernel/dispatch.py keep_stat) are checked against.
META_CHANGING = ("truncate", "utimens", "setxattr", "removexattr", "copy_up")
WRITE_OPEN = os.O_WRONLY | os.O_RDWR | os.O_TRUNC


class Generation:
    """A counter of name changes in every file system of this process.

    One counter for all of them is coarse (a change anywhere forgets every
    cached walk), and it is exact: no change is ever missed, because every
    file system's name-changing methods move it (FileSystem.__init_subclass__).
    `meta` counts those and the metadata changes (META_CHANGING, and opens that
    may write) too.
    """
    value = 0
    meta = 0


def _counted(method):
    def changing(self, *args, **kwargs):
        Generation.value += 1
        Generation.meta += 1
        try:
            return method(self, *args, **kwargs)
        finally:
            Generation.value += 1     # and after: a walk cached while it ran is stale too
    changing.__name__, changing.__qualname__, changing.__doc__ = \
        method.__name__, method.__qualname__, method.__doc__
    changing.counted = True
    return changing


def _meta_counted(method):
    def changing(self, *args, **kwargs):
        Generation.meta += 1
        return method(self, *args, **kwargs)
    changing.__name__, changing.__qualname__, changing.__doc__ = \
        method.__name__, method.__qualname__, method.__doc__
    changing.counted = True
    return changing


def _counted_open(method):
    """open changes a name only when it may create one, and metadata when it may write."""
    creating = _counted(method)

    def open_(self, rel: str, flags: int, mode: int) -> int:
        if flags & WRITE_OPEN:
            Generation.meta += 1
        return (creating if flags & os.O_CREAT else method)(self, rel, flags, mode)
    open_.__name__, open_.__qualname__, open_.__doc__ = method.__name__, method.__qualname__, method.__doc__
    open_.counted = True
    return open_


class FileSystem:
    """Base class: everything read-only and absent unless a subclass says otherwise."""

    name = "none"
    readonly = True
    # May the dentry cache remember walks through this file system?  Only where
    # every name change goes through the methods above: not procfs or devfs,
    # whose names come and go with processes and terminals, nor a host
    # directory bound in, which the host may change under us.
    dcache = False

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        for name in NAME_CHANGING:
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "counted", False):
                setattr(cls, name, _counted(method))
        for name in META_CHANGING:
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "counted", False):
                setattr(cls, name, _meta_counted(method))
        method = cls.__dict__.get("open")
        if method is not None and not getattr(method, "counted", False):
            cls.open = _counted_open(method)
    # The (uid, gid) lstat shows for an object this file system has just
    # created, before any chown: a creator who differs must be recorded.
    new_files_owner = (0, 0)

    def stable(self, rel: str) -> bool:
        """Does what lstat(rel) says change only through this file system's counted
        methods (Generation.meta)?  True for an object of an immutable host tree."""
        return False

    def lstat(self, rel: str) -> Stat:
        raise fail(errno.ENOENT)

    def readlink(self, rel: str) -> str:
        raise fail(errno.EINVAL)

    def listdir(self, rel: str) -> list[tuple[str, int, int]]:
        """(name, d_type, ino) for every entry but . and .."""
        raise fail(errno.ENOTDIR)

    def prefetch(self, rel: str) -> None:
        """A tree walk is about to lstat every name of directory `rel`: fetch them
        together, if that is cheaper here (a hint: nothing changes)."""

    def open(self, rel: str, flags: int, mode: int) -> int:
        """A new host descriptor for this object (the caller hands it to the guest)."""
        raise fail(errno.EACCES)

    # The mutating operations: read-only file systems refuse them all.
    def mkdir(self, rel: str, mode: int) -> None:
        raise fail(errno.EROFS)

    def rmdir(self, rel: str) -> None:
        raise fail(errno.EROFS)

    def unlink(self, rel: str) -> None:
        raise fail(errno.EROFS)

    def symlink(self, target: str, rel: str) -> None:
        raise fail(errno.EROFS)

    def link(self, old: str, new: str) -> None:
        raise fail(errno.EROFS)

    def rename(self, old: str, new: str, flags: int = 0) -> None:
        raise fail(errno.EROFS)

    def chmod(self, rel: str, mode: int) -> None:
        raise fail(errno.EROFS)

    def chown(self, rel: str, uid: int, gid: int) -> None:
        raise fail(errno.EROFS)

    def truncate(self, rel: str, length: int) -> None:
        raise fail(errno.EROFS)

    def utimens(self, rel: str, atime_ns: int | None, mtime_ns: int | None) -> None:
        raise fail(errno.EROFS)

    def mknod_socket_dir(self, rel: str) -> tuple[int, str]:
        """(host O_PATH dir fd, name) where a unix socket for `rel` may be bound."""
        raise fail(errno.EROFS)

    def mkfifo(self, rel: str, mode: int) -> None:
        """Make a FIFO at `rel`, in the directory mknod_socket_dir gives.

        The host FIFO never gets set-id bits; the guest's go through chmod,
        which keeps them where the file system keeps such things."""
        pfd, name = self.mknod_socket_dir(rel)
        try:
            os.mkfifo(name, mode & 0o1777, dir_fd=pfd)
            os.chmod(name, mode & 0o1777, dir_fd=pfd, follow_symlinks=False)   # never a raced-in symlink
        except OSError as e:
            raise fail(e.errno or errno.EIO)
        except ValueError:
            raise fail(errno.EPERM)
        finally:
            os.close(pfd)
        if mode & (S.S_ISUID | S.S_ISGID):
            self.chmod(rel, mode)

    def mknod_device(self, rel: str, mode: int, rdev: int) -> None:
        """Make a device node (S_IFCHR or S_IFBLK in `mode`) at `rel`: only as a
        virtual record of the guest kernel, never a host device (fsimpl/vmeta.py)."""
        raise fail(errno.EROFS if self.readonly else errno.EPERM)

    # Extended attributes: a file system that keeps none supports none.
    def alias(self, rel: str) -> bool:
        """Does an open of `rel` give an object named elsewhere (/dev/tty, the
        caller's terminal)?  Then the object is not remembered by this name."""
        return False

    def getxattr(self, rel: str, name: str) -> bytes:
        raise fail(errno.EOPNOTSUPP)

    def listxattr(self, rel: str) -> list[str]:
        return []

    def setxattr(self, rel: str, name: str, value: bytes, flags: int) -> None:
        raise fail(errno.EOPNOTSUPP)

    def removexattr(self, rel: str, name: str) -> None:
        raise fail(errno.EOPNOTSUPP)

    def statvfs(self) -> os.statvfs_result | None:
        """The host file system's real size and use where this one is backed by one
        (statfs then reports it: df in the guest sees its disk limit), else None."""
        return None

    def adopt(self, rel: str) -> None:
        """The supervisor made a host object at `rel` (a bound socket): give it to
        whoever should own it on the host.  Nothing to do by default."""

    def host_dir_fd(self, rel: str) -> int:
        """A host O_PATH descriptor of directory `rel` (for *at calls); caller closes it."""
        raise fail(errno.EXDEV)

    def link_fd(self, hostfd: int, new: str) -> None:
        """Give the unnamed (O_TMPFILE) file open as `hostfd` the name `new` (linkat
        of /proc/self/fd/N).  Only a file system that made it can."""
        raise fail(errno.EXDEV)

    def close(self) -> None:
        pass


def join(parent: str, name: str) -> str:
    return parent.rstrip("/") + "/" + name if parent != "/" else "/" + name


def split(path: str) -> tuple[str, str]:
    """('/a/b', 'c') for '/a/b/c'; ('/', 'c') for '/c'."""
    head, _, tail = path.rpartition("/")
    return head or "/", tail
