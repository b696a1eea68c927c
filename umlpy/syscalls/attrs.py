"""File attributes: modes, owners, sizes and times (chmod, chown, truncate, utimensat, ...).

Ownership and setuid/setgid bits are the guest's (virtual); the host file
never carries more privilege than the supervisor gives it.
"""
from __future__ import annotations

import errno
import os
import stat as S
import time

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, NOCHANGE, UTIME_NOW, UTIME_OMIT
from umlpy.abi.structs import TIMESPEC_PAIR, TIMEVAL_PAIR, UTIMBUF
from umlpy.kernel.creds import W_OK, require
from umlpy.kernel.fdpath import existing, guest_fd, resolve_at
from umlpy.kernel.table import EMULATE, Path, Ptr, UInt, syscall
from umlpy.vfs.fs import Stat


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
    mode &= 0o7777
    c = task.creds
    if c.euid != 0 and lk.st.gid != c.egid and lk.st.gid not in c.groups:
        mode &= ~S.S_ISGID                   # chmod(2): not a member of the file's group
    lk.mount.fs.chmod(lk.rel, mode)
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


def do_chown(task, dirfd: int, path: str, uid: int, gid: int, flags: int) -> int:
    """chown(2)'s rules.  Ids are unsigned 32-bit; (uid_t)-1 leaves one unchanged.

    Root may give any owner and group.  The owner may only change the group,
    to one of its own groups.  On a non-directory, a change of owner or group
    (even to the same values) clears set-user-ID, and set-group-ID where
    group-execute is set, as Linux does since 2.2.13, for root too.
    """
    lk = _path_or_fd(task, dirfd, path, flags)
    if lk.mount.readonly:
        raise KernelError(errno.EROFS)
    st, c = lk.st, task.creds
    new_uid = st.uid if uid == NOCHANGE else uid
    new_gid = st.gid if gid == NOCHANGE else gid
    if c.euid != 0:
        if c.euid != st.uid or new_uid != st.uid:
            raise KernelError(errno.EPERM)
        if new_gid != st.gid and new_gid != c.egid and new_gid not in c.groups:
            raise KernelError(errno.EPERM)
    lk.mount.fs.chown(lk.rel, new_uid, new_gid)
    if not st.is_dir and (uid != NOCHANGE or gid != NOCHANGE):
        kill = S.S_ISUID | (S.S_ISGID if st.mode & S.S_IXGRP else 0)
        if st.mode & kill:
            lk.mount.fs.chmod(lk.rel, S.S_IMODE(st.mode) & ~kill)
    return 0


@syscall("fchownat", EMULATE)
def fchownat(task, dirfd: int, path: Path, uid: UInt, gid: UInt, flags: int):
    """fchownat(2): change owner; recorded by the guest's file system, not the host."""
    return do_chown(task, dirfd, path, uid, gid, flags)


@syscall("chown", EMULATE)
def chown(task, path: Path, uid: UInt, gid: UInt):
    """chown(2): change owner (recorded in the overlay)."""
    return do_chown(task, AT_FDCWD, path, uid, gid, 0)


@syscall("lchown", EMULATE)
def lchown(task, path: Path, uid: UInt, gid: UInt):
    """lchown(2): chown of a symlink itself."""
    return do_chown(task, AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW)


@syscall("fchown", EMULATE)
def fchown(task, fd: int, uid: UInt, gid: UInt):
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
    if not lk.st.is_reg:                     # a FIFO, socket or device: Linux says EINVAL
        raise KernelError(errno.EINVAL)
    if lk.mount.readonly:
        raise KernelError(errno.EROFS)
    require(task, lk.st, W_OK)
    lk.mount.fs.truncate(lk.rel, length)
    task.kernel.report.wrote(lk.path)
    return 0


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
    a_s, a_ns, m_s, m_ns = TIMESPEC_PAIR.unpack(task.read(times, TIMESPEC_PAIR.size))

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
    a_s, a_us, m_s, m_us = TIMEVAL_PAIR.unpack(task.read(times, TIMEVAL_PAIR.size))
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
    a, m = UTIMBUF.unpack(task.read(times, UTIMBUF.size))
    return _set_times(task, lk, a * 10**9, m * 10**9)


