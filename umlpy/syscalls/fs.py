"""File-system syscalls: the ones that name files by path.

Every path is resolved by the guest VFS (umlpy/vfs); objects are opened by
the supervisor and handed over as descriptors; metadata is reported as the
guest's file systems define it (overlay ownership, virtual /proc and /dev).
The host kernel never sees a guest path.
"""
from __future__ import annotations

import errno
import os
import select
import stat as S
import struct
import time

from umlpy.kernel.dispatch import InstallFd, Wait
from umlpy.kernel.platform import inotify_add_watch as inotify_watch
from umlpy.kernel.fdtable import (AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW,
                                  AT_SYMLINK_NOFOLLOW, dir_of, existing, guest_fd, resolve_at)
from umlpy.syscalls.table import DECODERS, EMULATE, REWRITE, KernelError, Path, Ptr, UInt, syscall
from umlpy.vfs.fs import Stat

O_TMPFILE = 0o20200000
RESOLVE_NO_XDEV, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_BENEATH, RESOLVE_IN_ROOT = (
    0x01, 0x02, 0x04, 0x08, 0x10)
WRITE_ACCESS = os.O_WRONLY | os.O_RDWR


# ------------------------------------------------------------------ open
def do_open(task, dirfd: int, path: str, flags: int, mode: int, *, resolve: int = 0):
    """The common body of open, openat, creat and openat2."""
    kernel = task.kernel
    follow = not flags & os.O_NOFOLLOW
    if resolve & (RESOLVE_IN_ROOT | RESOLVE_BENEATH):
        base = dir_of(task, dirfd)
        if resolve & RESOLVE_BENEATH and path.startswith("/"):
            raise KernelError(errno.EXDEV)
        lk = kernel.vfs.resolve(path, cwd=base, follow=follow,
                                root=base if resolve & RESOLVE_IN_ROOT else task.fs.root,
                                no_symlinks=bool(resolve & RESOLVE_NO_SYMLINKS))
        if resolve & RESOLVE_BENEATH and not (lk.path == base or lk.path.startswith(base.rstrip("/") + "/")):
            raise KernelError(errno.EXDEV)
    else:
        lk = resolve_at(task, dirfd, path, follow=follow)
    if flags & O_TMPFILE == O_TMPFILE:
        existing(lk)
        if not lk.st.is_dir:
            raise KernelError(errno.ENOTDIR)
        fd = lk.mount.fs.open(lk.rel, flags & ~os.O_CLOEXEC, mode & ~task.fs.umask)
        return InstallFd(kernel.vfs.register(fd, lk.path + "/#tmpfile"), cloexec=bool(flags & os.O_CLOEXEC))
    host_flags = (flags | os.O_NOCTTY) & ~os.O_CLOEXEC
    if flags & os.O_PATH:
        return InstallFd(kernel.vfs.open_path(lk, flags), cloexec=bool(flags & os.O_CLOEXEC))
    created = lk.st is None
    if task.creds.euid != 0:
        if created:
            if flags & os.O_CREAT:
                require_dir_change(task, lk)
        else:
            acc = flags & os.O_ACCMODE
            want = (R_OK if acc in (os.O_RDONLY, os.O_RDWR) else 0) | \
                (W_OK if acc in (os.O_WRONLY, os.O_RDWR) or flags & os.O_TRUNC else 0)
            require(task, lk.st, want)
    if not created and S.S_ISFIFO(lk.st.mode) and not flags & os.O_NONBLOCK \
            and flags & os.O_ACCMODE != os.O_RDWR:
        return _open_fifo(task, lk, host_flags, bool(flags & os.O_CLOEXEC))
    hostfd = kernel.vfs.open(lk, host_flags, mode & ~task.fs.umask & 0o7777)
    if created:
        owned_by_caller(task, lk)
    if flags & (WRITE_ACCESS | os.O_CREAT | os.O_TRUNC):
        kernel.report.files_written.add(lk.path)
    return InstallFd(hostfd, cloexec=bool(flags & os.O_CLOEXEC))


def _open_fifo(task, lk, flags: int, cloexec: bool) -> Wait:
    """A blocking FIFO open waits, in the guest, for the other end.

    The supervisor itself must never block, so it opens non-blocking and
    keeps the thread parked (a Wait request) until the open would have
    returned on Linux: for a writer, when a reader exists (no more ENXIO);
    for a reader, when a writer has come (data or hang-up shows in poll).
    """
    vfs = task.kernel.vfs
    held: list[int] = []

    def reader_ready():
        if not held:
            held.append(vfs.open(lk, flags | os.O_NONBLOCK, 0))
        p = select.poll()
        p.register(held[0], select.POLLIN)
        if not p.poll(0):
            return None
        os.set_blocking(held[0], True)
        return InstallFd(held.pop(), cloexec=cloexec)

    def writer_ready():
        try:
            fd = vfs.open(lk, flags | os.O_NONBLOCK, 0)
        except KernelError as e:
            if e.errno == errno.ENXIO:          # no reader yet
                return None
            raise
        os.set_blocking(fd, True)
        return InstallFd(fd, cloexec=cloexec)

    def cancel():
        while held:
            os.close(held.pop())

    ready = reader_ready if flags & os.O_ACCMODE == os.O_RDONLY else writer_ready
    first = ready()
    return first if first is not None else Wait(ready, cancel)


@syscall("openat", REWRITE)
def openat(task, dirfd: int, path: Path, flags: int, mode: UInt):
    """openat(2): resolve `path` in the guest's view, open the host object, hand over the fd."""
    return do_open(task, dirfd, path, flags, mode)


@syscall("open", REWRITE)
def open_(task, path: Path, flags: int, mode: UInt):
    """open(2): openat(AT_FDCWD, ...)."""
    return do_open(task, AT_FDCWD, path, flags, mode)


@syscall("creat", REWRITE)
def creat(task, path: Path, mode: UInt):
    """creat(2): open(path, O_CREAT|O_WRONLY|O_TRUNC, mode)."""
    return do_open(task, AT_FDCWD, path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, mode)


@syscall("openat2", REWRITE)
def openat2(task, dirfd: int, path: Path, how: Ptr, size: Ptr):
    """openat2(2): openat with RESOLVE_* restrictions, applied in the guest's view."""
    if size < 24:
        raise KernelError(errno.EINVAL)
    flags, mode, resolve = struct.unpack("<QQQ", task.read(how, 24))
    if resolve & ~0x3F or (flags & ~0xFFFFFFFF):
        raise KernelError(errno.EINVAL)
    if mode and not flags & (os.O_CREAT | O_TMPFILE):
        raise KernelError(errno.EINVAL)
    return do_open(task, dirfd, path, flags, mode, resolve=resolve)


# ------------------------------------------------------------------ stat
STAT_FMT = struct.Struct("<QQQIIIiQqqqqqqqqq24x")


def pack_stat(st: Stat) -> bytes:
    return STAT_FMT.pack(st.dev, st.ino, st.nlink, st.mode, st.uid, st.gid, 0, st.rdev,
                         st.size, st.blksize, st.blocks,
                         st.atime_ns // 10**9, st.atime_ns % 10**9,
                         st.mtime_ns // 10**9, st.mtime_ns % 10**9,
                         st.ctime_ns // 10**9, st.ctime_ns % 10**9)


def pack_statx(st: Stat) -> bytes:
    def ts(ns: int) -> bytes:
        return struct.pack("<qIi", ns // 10**9, ns % 10**9, 0)
    head = struct.pack("<IIQIIIHHQQQQ", 0x7FF, st.blksize, 0, st.nlink, st.uid, st.gid,
                       st.mode & 0xFFFF, 0, st.ino, st.size, st.blocks, 0)
    body = ts(st.atime_ns) + ts(0) + ts(st.ctime_ns) + ts(st.mtime_ns)
    devs = struct.pack("<IIIIQ", os.major(st.rdev), os.minor(st.rdev), os.major(st.dev),
                       os.minor(st.dev), 1)
    out = head + body + devs
    return out + b"\0" * (256 - len(out))


def stat_at(task, dirfd: int, path: str, flags: int) -> Stat:
    """What fstatat(dirfd, path, flags) reports, in the guest's view."""
    if path == "" and flags & AT_EMPTY_PATH:
        if dirfd == AT_FDCWD:
            return task.kernel.vfs.lstat(task.fs.cwd)
        with guest_fd(task, dirfd) as hfd:
            return task.kernel.vfs.stat_open(hfd)
    lk = existing(resolve_at(task, dirfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW))
    return lk.st


@syscall("newfstatat", EMULATE)
def newfstatat(task, dirfd: int, path: Path, buf: Ptr, flags: int):
    """fstatat(2): stat a path (or, with AT_EMPTY_PATH and "", the fd itself)."""
    task.write(buf, pack_stat(stat_at(task, dirfd, path, flags)))
    return 0


@syscall("stat", EMULATE)
def stat_(task, path: Path, buf: Ptr):
    """stat(2): metadata of the file `path` names, symlinks followed."""
    task.write(buf, pack_stat(stat_at(task, AT_FDCWD, path, 0)))
    return 0


@syscall("lstat", EMULATE)
def lstat(task, path: Path, buf: Ptr):
    """lstat(2): like stat, but a final symlink is described itself."""
    task.write(buf, pack_stat(stat_at(task, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW)))
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
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800 | 0x6000) or mask & 0x80000000:
        raise KernelError(errno.EINVAL)
    task.write(buf, pack_statx(stat_at(task, dirfd, path, flags)))
    return 0


# ---------------------------------------------------------------- access
F_OK, X_OK, W_OK, R_OK = 0, 1, 2, 4


def may_access(task, st: Stat, want: int) -> bool:
    """Permission check against the guest's virtual credentials."""
    c = task.creds
    if c.euid == 0:
        return not (want & X_OK) or st.is_dir or bool(st.mode & 0o111)
    if st.uid == c.euid:
        bits = (st.mode >> 6) & 7
    elif st.gid == c.egid or st.gid in c.groups:
        bits = (st.mode >> 3) & 7
    else:
        bits = st.mode & 7
    return want & bits == want


def require(task, st: Stat, want: int) -> None:
    if task.creds.euid != 0 and not may_access(task, st, want):
        raise KernelError(errno.EACCES)


def require_dir_change(task, lk, victim: Stat | None = None) -> None:
    """May the caller add or remove a name in the directory holding `lk`?

    Write and search permission on the directory; in a sticky directory
    (/tmp), removing needs ownership of the file or of the directory.
    """
    if task.creds.euid == 0:
        return
    parent = task.kernel.vfs.parent_of(lk)
    require(task, parent.st, W_OK | X_OK)
    uid = task.creds.euid
    if victim is not None and parent.st.mode & 0o1000 and uid not in (victim.uid, parent.st.uid):
        raise KernelError(errno.EPERM)


def owned_by_caller(task, lk) -> None:
    """A new object belongs to the (virtual) user who made it."""
    c = task.creds
    if (c.euid, c.egid) != (0, 0):
        lk.mount.fs.chown(lk.rel, c.euid, c.egid)


def do_access(task, dirfd: int, path: str, mode: int, flags: int) -> int:
    if mode & ~7:
        raise KernelError(errno.EINVAL)
    lk = existing(resolve_at(task, dirfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW))
    if mode & W_OK and lk.mount.readonly:
        raise KernelError(errno.EROFS)
    if mode & W_OK and getattr(lk.mount.fs, "readonly", False) and lk.mount.fs.name not in ("overlay",):
        raise KernelError(errno.EROFS)
    if not may_access(task, lk.st, mode):
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
    if flags & ~(AT_SYMLINK_NOFOLLOW | 0x200 | AT_EMPTY_PATH):
        raise KernelError(errno.EINVAL)
    return do_access(task, dirfd, path, mode, flags)


# ------------------------------------------------------------- readlink
def do_readlink(task, dirfd: int, path: str, buf: int, size: int) -> int:
    if size <= 0:
        raise KernelError(errno.EINVAL)
    lk = existing(resolve_at(task, dirfd, path, follow=False))
    if not lk.st.is_link:
        raise KernelError(errno.EINVAL)
    target = os.fsencode(task.kernel.vfs.readlink(lk.path))[:size]
    task.write(buf, target)
    return len(target)


@syscall("readlink", EMULATE)
def readlink(task, path: Path, buf: Ptr, size: int):
    """readlink(2): the target of a symbolic link, not NUL-terminated."""
    return do_readlink(task, AT_FDCWD, path, buf, size)


@syscall("readlinkat", EMULATE)
def readlinkat(task, dirfd: int, path: Path, buf: Ptr, size: int):
    """readlinkat(2): readlink relative to a directory fd."""
    return do_readlink(task, dirfd, path, buf, size)


# ------------------------------------------------------ directory entries
def _parent_for_create(task, dirfd: int, path: str):
    lk = resolve_at(task, dirfd, path, follow=False)
    if lk.st is not None:
        raise KernelError(errno.EEXIST)
    parent = task.kernel.vfs.parent_of(lk)
    if not parent.st.is_dir:
        raise KernelError(errno.ENOTDIR)
    if lk.mount.readonly:
        raise KernelError(errno.EROFS)
    require_dir_change(task, lk)
    return lk


@syscall("mkdirat", EMULATE)
def mkdirat(task, dirfd: int, path: Path, mode: UInt):
    """mkdirat(2): create a directory."""
    lk = _parent_for_create(task, dirfd, path.rstrip("/") or path)
    lk.mount.fs.mkdir(lk.rel, mode & ~task.fs.umask & 0o7777)
    owned_by_caller(task, lk)
    task.kernel.report.files_written.add(lk.path)
    return 0


@syscall("mkdir", EMULATE)
def mkdir(task, path: Path, mode: UInt):
    """mkdir(2): create a directory."""
    return mkdirat(task, AT_FDCWD, path, mode)


def do_unlink(task, dirfd: int, path: str, flags: int) -> int:
    lk = existing(resolve_at(task, dirfd, path.rstrip("/") if flags & AT_REMOVEDIR else path,
                             follow=False))
    if task.kernel.vfs.mounts.is_mount_point(lk.path):
        raise KernelError(errno.EBUSY)
    if lk.mount.readonly:
        raise KernelError(errno.EROFS)
    require_dir_change(task, lk, lk.st)
    if flags & AT_REMOVEDIR:
        if not lk.st.is_dir:
            raise KernelError(errno.ENOTDIR)
        lk.mount.fs.rmdir(lk.rel)
    else:
        if lk.st.is_dir:
            raise KernelError(errno.EISDIR)
        lk.mount.fs.unlink(lk.rel)
    task.kernel.report.files_written.add(lk.path)
    return 0


@syscall("unlinkat", EMULATE)
def unlinkat(task, dirfd: int, path: Path, flags: int):
    """unlinkat(2): remove a name (AT_REMOVEDIR: an empty directory)."""
    if flags & ~AT_REMOVEDIR:
        raise KernelError(errno.EINVAL)
    return do_unlink(task, dirfd, path, flags)


@syscall("unlink", EMULATE)
def unlink(task, path: Path):
    """unlink(2): remove a name; the file goes when its last name and fd are gone."""
    return do_unlink(task, AT_FDCWD, path, 0)


@syscall("rmdir", EMULATE)
def rmdir(task, path: Path):
    """rmdir(2): remove an empty directory."""
    if path.rstrip("/").endswith("/.") or path == ".":
        raise KernelError(errno.EINVAL)
    return do_unlink(task, AT_FDCWD, path, AT_REMOVEDIR)


@syscall("symlinkat", EMULATE)
def symlinkat(task, target: Path, dirfd: int, path: Path):
    """symlinkat(2): make `path` a symbolic link to `target` (stored, not resolved)."""
    if target == "":
        raise KernelError(errno.ENOENT)
    lk = _parent_for_create(task, dirfd, path)
    lk.mount.fs.symlink(target, lk.rel)
    owned_by_caller(task, lk)
    task.kernel.report.files_written.add(lk.path)
    return 0


@syscall("symlink", EMULATE)
def symlink(task, target: Path, path: Path):
    """symlink(2): make a symbolic link."""
    return symlinkat(task, target, AT_FDCWD, path)


def do_link(task, olddirfd, old, newdirfd, new, flags) -> int:
    src = existing(resolve_at(task, olddirfd, old, follow=bool(flags & AT_SYMLINK_FOLLOW)))
    if src.st.is_dir:
        raise KernelError(errno.EPERM)
    dst = _parent_for_create(task, newdirfd, new)
    if src.mount is not dst.mount:
        raise KernelError(errno.EXDEV)
    dst.mount.fs.link(src.rel, dst.rel)
    task.kernel.report.files_written.add(dst.path)
    return 0


@syscall("linkat", EMULATE)
def linkat(task, olddirfd: int, old: Path, newdirfd: int, new: Path, flags: int):
    """linkat(2): a new name for an existing file, in the same mount."""
    return do_link(task, olddirfd, old, newdirfd, new, flags)


@syscall("link", EMULATE)
def link(task, old: Path, new: Path):
    """link(2): a new name for an existing file."""
    return do_link(task, AT_FDCWD, old, AT_FDCWD, new, 0)


RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2


def do_rename(task, olddirfd, old, newdirfd, new, flags) -> int:
    src = existing(resolve_at(task, olddirfd, old.rstrip("/") or old, follow=False))
    dst = resolve_at(task, newdirfd, new.rstrip("/") or new, follow=False)
    if src.mount is not dst.mount:
        raise KernelError(errno.EXDEV)
    if src.mount.readonly:
        raise KernelError(errno.EROFS)
    if flags & RENAME_EXCHANGE:
        raise KernelError(errno.EINVAL, "RENAME_EXCHANGE is not supported")
    if src.path == dst.path:
        return 0
    require_dir_change(task, src, src.st)
    require_dir_change(task, dst, dst.st)
    if dst.path.startswith(src.path + "/"):
        raise KernelError(errno.EINVAL)
    if dst.st is not None:
        if flags & RENAME_NOREPLACE:
            raise KernelError(errno.EEXIST)
        if src.st.is_dir and not dst.st.is_dir:
            raise KernelError(errno.ENOTDIR)
        if dst.st.is_dir and not src.st.is_dir:
            raise KernelError(errno.EISDIR)
    else:
        parent = task.kernel.vfs.parent_of(dst)
        if not parent.st.is_dir:
            raise KernelError(errno.ENOTDIR)
    src.mount.fs.rename(src.rel, dst.rel, flags)
    task.kernel.report.files_written.add(dst.path)
    return 0


@syscall("renameat2", EMULATE)
def renameat2(task, olddirfd: int, old: Path, newdirfd: int, new: Path, flags: UInt):
    """renameat2(2): rename within one mount (RENAME_NOREPLACE supported)."""
    return do_rename(task, olddirfd, old, newdirfd, new, flags)


@syscall("renameat", EMULATE)
def renameat(task, olddirfd: int, old: Path, newdirfd: int, new: Path):
    """renameat(2): rename relative to directory fds."""
    return do_rename(task, olddirfd, old, newdirfd, new, 0)


@syscall("rename", EMULATE)
def rename(task, old: Path, new: Path):
    """rename(2): give a file another name, replacing any file of that name."""
    return do_rename(task, AT_FDCWD, old, AT_FDCWD, new, 0)


@syscall("mknodat", EMULATE)
def mknodat(task, dirfd: int, path: Path, mode: UInt, dev: UInt):
    """mknodat(2): regular files and FIFOs only; device nodes are EPERM."""
    fmt = S.S_IFMT(mode) or S.S_IFREG
    if fmt not in (S.S_IFREG, S.S_IFIFO):
        raise KernelError(errno.EPERM, "device nodes cannot be created")
    lk = _parent_for_create(task, dirfd, path)
    perm = mode & ~task.fs.umask & 0o7777
    if fmt == S.S_IFREG:
        os.close(lk.mount.fs.open(lk.rel, os.O_CREAT | os.O_EXCL | os.O_WRONLY, perm))
    else:
        pfd, name = lk.mount.fs.mknod_socket_dir(lk.rel)
        try:
            os.mkfifo(name, perm, dir_fd=pfd)
            os.chmod(name, perm, dir_fd=pfd, follow_symlinks=False)   # never a raced-in symlink
        except OSError as e:
            raise KernelError(e.errno)
        except ValueError:
            raise KernelError(errno.EPERM)
        finally:
            os.close(pfd)
    owned_by_caller(task, lk)
    return 0


@syscall("mknod", EMULATE)
def mknod(task, path: Path, mode: UInt, dev: UInt):
    """mknod(2): see mknodat."""
    return mknodat(task, AT_FDCWD, path, mode, dev)


# ------------------------------------------------------- cwd and root
@syscall("chdir", EMULATE)
def chdir(task, path: Path):
    """chdir(2): change the working directory, in the guest's view only."""
    lk = existing(resolve_at(task, AT_FDCWD, path))
    if not lk.st.is_dir:
        raise KernelError(errno.ENOTDIR)
    if not may_access(task, lk.st, X_OK):
        raise KernelError(errno.EACCES)
    task.fs.cwd = lk.path
    return 0


@syscall("fchdir", EMULATE)
def fchdir(task, fd: int):
    """fchdir(2): change the working directory to an open directory."""
    task.fs.cwd = dir_of(task, fd)
    return 0


@syscall("getcwd", EMULATE)
def getcwd(task, buf: Ptr, size: Ptr):
    """getcwd(2): the guest path of the working directory, NUL-terminated."""
    data = os.fsencode(task.fs.cwd) + b"\0"
    if size < len(data):
        raise KernelError(errno.ERANGE)
    task.write(buf, data)
    return len(data)


@syscall("chroot", EMULATE)
def chroot(task, path: Path):
    """chroot(2): change the guest root of this process (guest root only)."""
    if task.creds.euid != 0:
        raise KernelError(errno.EPERM)
    lk = existing(resolve_at(task, AT_FDCWD, path))
    if not lk.st.is_dir:
        raise KernelError(errno.ENOTDIR)
    task.fs.root = lk.path
    return 0


@syscall("umask", EMULATE)
def umask(task, mask: UInt):
    """umask(2): set the file-creation mask; returns the old one."""
    old = task.fs.umask
    task.fs.umask = mask & 0o777
    return old


# ------------------------------------------------- modes, owners, times
def _path_or_fd(task, dirfd: int, path: str, flags: int):
    if path == "" and flags & AT_EMPTY_PATH:
        with guest_fd(task, dirfd) as hfd:
            p, _ = task.kernel.vfs.path_of_host_fd(hfd)
        if p is None:
            raise KernelError(errno.EBADF)
        return existing(task.kernel.vfs.resolve(p, follow=False))
    return existing(resolve_at(task, dirfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW))


def _owner_or_root(task, st: Stat) -> None:
    if task.creds.euid not in (0, st.uid):
        raise KernelError(errno.EPERM)


def do_chmod(task, dirfd, path, mode, flags) -> int:
    lk = _path_or_fd(task, dirfd, path, flags)
    if lk.mount.readonly:
        raise KernelError(errno.EROFS)
    _owner_or_root(task, lk.st)
    lk.mount.fs.chmod(lk.rel, mode & 0o7777)
    return 0


@syscall("fchmodat", EMULATE)
def fchmodat(task, dirfd: int, path: Path, mode: UInt):
    """fchmodat(2): change permission bits."""
    return do_chmod(task, dirfd, path, mode, 0)


@syscall("fchmodat2", EMULATE)
def fchmodat2(task, dirfd: int, path: Path, mode: UInt, flags: int):
    """fchmodat2(2): fchmodat with flags."""
    return do_chmod(task, dirfd, path, mode, flags)


@syscall("chmod", EMULATE)
def chmod(task, path: Path, mode: UInt):
    """chmod(2): change permission bits."""
    return do_chmod(task, AT_FDCWD, path, mode, 0)


@syscall("fchmod", EMULATE)
def fchmod(task, fd: int, mode: UInt):
    """fchmod(2): change permission bits of an open file."""
    return do_chmod(task, fd, "", mode, AT_EMPTY_PATH)


def do_chown(task, dirfd, path, uid, gid, flags) -> int:
    lk = _path_or_fd(task, dirfd, path, flags)
    if lk.mount.readonly:
        raise KernelError(errno.EROFS)
    if task.creds.euid != 0:
        raise KernelError(errno.EPERM)
    lk.mount.fs.chown(lk.rel, uid, gid)
    return 0


@syscall("fchownat", EMULATE)
def fchownat(task, dirfd: int, path: Path, uid: int, gid: int, flags: int):
    """fchownat(2): change owner; recorded by the guest's file system, not the host."""
    return do_chown(task, dirfd, path, uid, gid, flags)


@syscall("chown", EMULATE)
def chown(task, path: Path, uid: int, gid: int):
    """chown(2): change owner (recorded in the overlay)."""
    return do_chown(task, AT_FDCWD, path, uid, gid, 0)


@syscall("lchown", EMULATE)
def lchown(task, path: Path, uid: int, gid: int):
    """lchown(2): chown of a symlink itself."""
    return do_chown(task, AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW)


@syscall("fchown", EMULATE)
def fchown(task, fd: int, uid: int, gid: int):
    """fchown(2): chown of an open file."""
    return do_chown(task, fd, "", uid, gid, AT_EMPTY_PATH)


@syscall("truncate", EMULATE)
def truncate(task, path: Path, length: int):
    """truncate(2): set a file's size."""
    if length < 0:
        raise KernelError(errno.EINVAL)
    lk = existing(resolve_at(task, AT_FDCWD, path))
    if lk.st.is_dir:
        raise KernelError(errno.EISDIR)
    if lk.mount.readonly:
        raise KernelError(errno.EROFS)
    require(task, lk.st, W_OK)
    lk.mount.fs.truncate(lk.rel, length)
    task.kernel.report.files_written.add(lk.path)
    return 0


UTIME_NOW, UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2


def _set_times(task, lk, at: int | None, mt: int | None) -> int:
    if lk.mount.readonly:
        raise KernelError(errno.EROFS)
    lk.mount.fs.utimens(lk.rel, at, mt)
    return 0


@syscall("utimensat", EMULATE)
def utimensat(task, dirfd: int, path: Ptr, times: Ptr, flags: int):
    """utimensat(2): set access/modification times (NULL path: the fd itself)."""
    p = "" if path == 0 else os.fsdecode(task.read_str(path))
    lk = _path_or_fd(task, dirfd, p, flags | (AT_EMPTY_PATH if path == 0 else 0))
    now = time.time_ns()
    if times == 0:
        return _set_times(task, lk, now, now)
    a_s, a_ns, m_s, m_ns = struct.unpack("<qqqq", task.read(times, 32))

    def pick(s: int, ns: int) -> int | None:
        if ns == UTIME_NOW:
            return now
        if ns == UTIME_OMIT:
            return None
        if not 0 <= ns < 10**9:
            raise KernelError(errno.EINVAL)
        return s * 10**9 + ns
    return _set_times(task, lk, pick(a_s, a_ns), pick(m_s, m_ns))


def _timevals(task, times: int) -> tuple[int, int]:
    """The two struct timevals of utimes/futimesat, in ns (NULL: now)."""
    if times == 0:
        now = time.time_ns()
        return now, now
    a_s, a_us, m_s, m_us = struct.unpack("<qqqq", task.read(times, 32))
    if not (0 <= a_us < 10**6 and 0 <= m_us < 10**6):
        raise KernelError(errno.EINVAL)
    return a_s * 10**9 + a_us * 1000, m_s * 10**9 + m_us * 1000


@syscall("futimesat", EMULATE)
def futimesat(task, dirfd: int, path: Path, times: Ptr):
    """futimesat(2): utimes relative to a directory fd."""
    return _set_times(task, existing(resolve_at(task, dirfd, path)), *_timevals(task, times))


@syscall("utimes", EMULATE)
def utimes(task, path: Path, times: Ptr):
    """utimes(2): set access and modification times, in microseconds."""
    return futimesat(task, AT_FDCWD, path, times)


@syscall("utime", EMULATE)
def utime(task, path: Path, times: Ptr):
    """utime(2): set access and modification times, in whole seconds."""
    lk = existing(resolve_at(task, AT_FDCWD, path))
    if times == 0:
        now = time.time_ns()
        return _set_times(task, lk, now, now)
    a, m = struct.unpack("<qq", task.read(times, 16))
    return _set_times(task, lk, a * 10**9, m * 10**9)


# --------------------------------------------------------- file systems
STATFS_FMT = struct.Struct("<qqQQQQQiiqq4q")


def pack_statfs(fstype_magic: int) -> bytes:
    return STATFS_FMT.pack(fstype_magic, 4096, 1 << 20, 1 << 19, 1 << 19, 1 << 16, 1 << 15,
                           0, 0, 255, 4096, 0, 0, 0, 0)


MAGICS = {"overlay": 0x794C7630, "proc": 0x9FA0, "devtmpfs": 0x1021994, "tmpfs": 0x1021994,
          "bind": 0xEF53}


@syscall("statfs", EMULATE)
def statfs(task, path: Path, buf: Ptr):
    """statfs(2): file-system statistics of the mount holding `path`."""
    lk = existing(resolve_at(task, AT_FDCWD, path))
    task.write(buf, pack_statfs(MAGICS.get(lk.mount.fstype, 0xEF53)))
    return 0


@syscall("fstatfs", EMULATE)
def fstatfs(task, fd: int, buf: Ptr):
    """fstatfs(2): statfs of the mount holding an open file."""
    with guest_fd(task, fd) as hfd:
        p, _ = task.kernel.vfs.path_of_host_fd(hfd)
    magic = MAGICS.get(task.kernel.vfs.mounts.find(p).fstype, 0xEF53) if p else 0xEF53
    task.write(buf, pack_statfs(magic))
    return 0


# ------------------------------------------------------------ xattrs
def _xattr_target(task, nr_name: str, target: int) -> None:
    """The file an xattr call names must exist (EFAULT/ENOENT first, like Linux)."""
    if nr_name.startswith("f"):
        with guest_fd(task, DECODERS["int"](target)):
            return
    follow = not nr_name.startswith("l")
    existing(resolve_at(task, AT_FDCWD, os.fsdecode(task.read_str(target)), follow=follow))


def _xattr_handler(name: str, err: int, doc: str) -> None:
    @syscall(name, EMULATE)
    def handler(task, target: Ptr, attr: Ptr, value: Ptr, size: Ptr, flags: int):
        _xattr_target(task, name, target)
        if err:
            raise KernelError(err)
        return 0
    handler.__doc__ = f"{name}(2): {doc}"


for _n in ("getxattr", "lgetxattr", "fgetxattr"):
    _xattr_handler(_n, errno.ENODATA, "the guest's file systems carry no extended attributes: ENODATA.")
for _n in ("listxattr", "llistxattr", "flistxattr"):
    _xattr_handler(_n, 0, "no extended attributes: an empty list.")
for _n in ("setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr"):
    _xattr_handler(_n, errno.ENOTSUP, "extended attributes are not supported: ENOTSUP.")


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
