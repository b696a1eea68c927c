"""File attributes: modes, owners, sizes and times (chmod, chown, truncate, utimensat, ...).

Ownership and setuid/setgid bits are the guest's (virtual); the host file
never carries more privilege than the supervisor gives it.
"""
from __future__ import annotations

import errno
import os
import signal
import stat as S
import time

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import (
    AT_EMPTY_PATH,
    AT_FDCWD,
    AT_SYMLINK_NOFOLLOW,
    CAP_CHOWN,
    CAP_FOWNER,
    CAP_FSETID,
    NOCHANGE,
    UTIME_NOW,
    UTIME_OMIT,
)
from umlpy.abi.structs import TIMESPEC_PAIR, TIMEVAL_PAIR, UTIMBUF
from umlpy.kernel.creds import W_OK, require
from umlpy.kernel.fdpath import existing, guest_fd, resolve_at
from umlpy.kernel.loader import running_program
from umlpy.kernel.table import EMULATE, Path, Ptr, UInt, syscall
from umlpy.vfs.fs import Stat
from umlpy.vfs.vfs import TMPFILE_SUFFIX
from umlpy.fsimpl.hostfs import host_mode

# ------------------------------------------------- modes, owners, times
AT_PATH_FLAGS = AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH     # all fchownat, fchmodat2, utimensat take


def _check_flags(flags: int, call: str) -> None:
    if flags & ~AT_PATH_FLAGS:               # before the lookup, as Linux does
        raise KernelError(errno.EINVAL, f"unknown {call} flag")


def _path_or_fd(task, dirfd: int, path: str, flags: int):
    if path == "" and not flags & AT_EMPTY_PATH:
        raise KernelError(errno.ENOENT, "empty path without AT_EMPTY_PATH")
    if path == "" and flags & AT_EMPTY_PATH:
        with guest_fd(task, dirfd) as hfd:
            p, _ = task.kernel.vfs.path_of_host_fd(hfd)
        if p is None:
            raise KernelError(errno.EBADF)
        return existing(task.kernel.vfs.resolve(p, follow=False))
    return existing(resolve_at(task, dirfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW))


def _not_path_only(task, fd: int) -> None:
    with guest_fd(task, fd) as hfd:
        if task.kernel.vfs.is_path_only(hfd):
            raise KernelError(errno.EBADF, "an O_PATH descriptor")


def _owner_or_root(task, st: Stat) -> None:
    """inode_owner_or_capable: the file-system uid owns it, or CAP_FOWNER."""
    if task.creds.fsuid != st.uid and not task.creds.has(CAP_FOWNER):
        raise KernelError(errno.EPERM)


def _chmod_tmpfile(task, fd: int, mode: int) -> bool:
    """fchmod of an O_TMPFILE file, which has no guest path: the host file gets the
    mode without set-id bits, and the whole mode is kept for when linkat names it."""
    with guest_fd(task, fd) as hfd:
        p, st = task.kernel.vfs.path_of_host_fd(hfd)
        if p is None or not p.endswith(TMPFILE_SUFFIX):
            return False
        os.fchmod(hfd, host_mode(mode & 0o7777))
        task.kernel.vfs.tmpfile_modes[(st.st_dev, st.st_ino)] = mode & 0o7777
    return True


def do_chmod(task, dirfd, path, mode, flags) -> int:
    if path == "" and flags & AT_EMPTY_PATH and _chmod_tmpfile(task, dirfd, mode):
        return 0
    lk = _path_or_fd(task, dirfd, path, flags)
    if lk.st.is_link:                        # only reached with AT_SYMLINK_NOFOLLOW
        raise KernelError(errno.EOPNOTSUPP, "the mode of a symlink cannot be changed")
    if lk.mount.readonly:
        raise KernelError(errno.EROFS)
    _owner_or_root(task, lk.st)
    mode &= 0o7777
    c = task.creds
    if not c.has(CAP_FSETID) and lk.st.gid != c.fsgid and lk.st.gid not in c.groups:
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
    _check_flags(flags, "fchmodat2")
    return do_chmod(task, dirfd, path, mode, flags)


@syscall("chmod", EMULATE)
def chmod(task, path: Path, mode: UInt):
    """chmod(2): change permission bits."""
    return do_chmod(task, AT_FDCWD, path, mode, 0)


@syscall("fchmod", EMULATE)
def fchmod(task, fd: int, mode: UInt):
    """fchmod(2): change permission bits of an open file (EBADF on an O_PATH fd)."""
    _not_path_only(task, fd)
    return do_chmod(task, fd, "", mode, AT_EMPTY_PATH)


def do_chown(task, dirfd: int, path: str, uid: int, gid: int, flags: int) -> int:
    """chown(2)'s rules.  Ids are unsigned 32-bit; (uid_t)-1 leaves one unchanged.

    CAP_CHOWN may give any owner and group.  The owner may only change the group,
    to one of its own groups.  On a non-directory, every chown (even to the
    same values, even -1, -1) clears set-user-ID, and set-group-ID where
    group-execute is set, for root too.
    """
    lk = _path_or_fd(task, dirfd, path, flags)
    if lk.mount.readonly:
        raise KernelError(errno.EROFS)
    st, c = lk.st, task.creds
    new_uid = st.uid if uid == NOCHANGE else uid
    new_gid = st.gid if gid == NOCHANGE else gid
    if not c.has(CAP_CHOWN):                 # chown_ok, chgrp_ok: only what changes is checked
        owner = c.fsuid == st.uid
        if uid != NOCHANGE and not (owner and uid == st.uid):
            raise KernelError(errno.EPERM, "giving a file away needs CAP_CHOWN")
        if gid != NOCHANGE and not (owner and (gid == st.gid or gid == c.fsgid or gid in c.groups)):
            raise KernelError(errno.EPERM, "the owner may only choose one of its own groups")
    lk.mount.fs.chown(lk.rel, new_uid, new_gid)
    if not st.is_dir:                        # chown_common: ATTR_KILL_SUID, and SGID if group-exec
        kill = S.S_ISUID | (S.S_ISGID if st.mode & S.S_IXGRP else 0)
        if st.mode & kill:
            lk.mount.fs.chmod(lk.rel, S.S_IMODE(st.mode) & ~kill)
    return 0


@syscall("fchownat", EMULATE)
def fchownat(task, dirfd: int, path: Path, uid: UInt, gid: UInt, flags: int):
    """fchownat(2): change owner; recorded by the guest's file system, not the host."""
    _check_flags(flags, "fchownat")
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
    """fchown(2): chown of an open file (EBADF on an O_PATH fd)."""
    _not_path_only(task, fd)
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
    if running_program(task.kernel, lk.st):
        raise KernelError(errno.ETXTBSY, "the file is a running program")
    if length > lk.st.size and length > _fsize_limit(task):
        # inode_newsize_ok: growing past RLIMIT_FSIZE is EFBIG, with SIGXFSZ
        os.kill(task.process.host_pid, signal.SIGXFSZ)
        raise KernelError(errno.EFBIG, "past RLIMIT_FSIZE")
    lk.mount.fs.truncate(lk.rel, length)
    task.kernel.report.wrote(lk.path)
    return 0


def _fsize_limit(task) -> int | float:
    """The caller's soft RLIMIT_FSIZE, which the host keeps (the guest's setrlimit is real)."""
    try:
        with open(f"/proc/{task.host_tid}/limits") as f:
            for line in f:
                if line.startswith("Max file size"):
                    soft = line[len("Max file size"):].split()[0]
                    return float("inf") if soft == "unlimited" else int(soft)
    except (OSError, ValueError):
        pass
    return float("inf")


def _set_times(task, lk, at: int | None, mt: int | None, touch: bool = False) -> int:
    """may_setattr: explicit times need ownership or CAP_FOWNER (EPERM); `touch` (times
    NULL, or both UTIME_NOW) needs that or write permission (EACCES)."""
    if lk.mount.readonly:
        raise KernelError(errno.EROFS)
    c = task.creds
    if c.fsuid != lk.st.uid and not c.has(CAP_FOWNER):
        if not touch:
            raise KernelError(errno.EPERM, "setting times needs ownership or CAP_FOWNER")
        require(task, lk.st, W_OK)
    lk.mount.fs.utimens(lk.rel, at, mt)
    return 0


@syscall("utimensat", EMULATE)
def utimensat(task, dirfd: int, path: Ptr, times: Ptr, flags: int):
    """utimensat(2): set access/modification times (NULL path: the fd itself)."""
    now = time.time_ns()
    at = mt = now
    touch = True
    if times != 0:                           # do_utimes: the times are checked first
        a_s, a_ns, m_s, m_ns = TIMESPEC_PAIR.unpack(task.read(times, TIMESPEC_PAIR.size))
        if a_ns == m_ns == UTIME_OMIT:
            return 0                         # "nothing to do, we must not even check the path"

        def pick(s: int, ns: int) -> int | None:
            if ns == UTIME_NOW:
                return now
            if ns == UTIME_OMIT:
                return None
            if not 0 <= ns < 10**9:
                raise KernelError(errno.EINVAL, "tv_nsec out of range")
            return s * 10**9 + ns
        at, mt = pick(a_s, a_ns), pick(m_s, m_ns)
        touch = a_ns == m_ns == UTIME_NOW
    if path == 0:
        if flags:                            # do_utimes_fd
            raise KernelError(errno.EINVAL, "flags with a NULL path")
        if dirfd != AT_FDCWD:
            _not_path_only(task, dirfd)      # an open file's times, and O_PATH opens none
        lk = _path_or_fd(task, dirfd, "", AT_EMPTY_PATH)
    else:
        _check_flags(flags, "utimensat")
        lk = _path_or_fd(task, dirfd, os.fsdecode(task.read_str(path)), flags)
    return _set_times(task, lk, at, mt, touch)


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
    return _set_times(task, existing(resolve_at(task, dirfd, path)), *_timevals(task, times),
                      touch=times == 0)


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
        return _set_times(task, lk, now, now, touch=True)
    a, m = UTIMBUF.unpack(task.read(times, UTIMBUF.size))
    return _set_times(task, lk, a * 10**9, m * 10**9)


