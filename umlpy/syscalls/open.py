"""File opening: open, openat, creat, openat2.

The path is resolved by the guest VFS, the supervisor opens the host object
itself and hands the descriptor over (InstallFd; an O_PATH one through
kernel/pathfd.py): the host kernel never sees a guest path.  A blocking FIFO
open waits in the guest, never in the supervisor.
"""
from __future__ import annotations

import errno
import os
import re
import select
import stat as S

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import (
    AT_FDCWD,
    CAP_FOWNER,
    O_TMPFILE,
    RESOLVE_BENEATH,
    RESOLVE_CACHED,
    RESOLVE_IN_ROOT,
    RESOLVE_NO_MAGICLINKS,
    RESOLVE_NO_SYMLINKS,
    RESOLVE_NO_XDEV,
    VALID_OPEN_FLAGS,
)
from umlpy.abi.structs import OPEN_HOW
from umlpy.fsimpl.devfs import DevFS, served_device
from umlpy.kernel.creds import R_OK, W_OK, owned_by_caller, require, require_dir_change
from umlpy.kernel.fdpath import dir_of, existing, guest_fd, resolve_at
from umlpy.kernel.loader import running_program
from umlpy.kernel.pathfd import install_path_fd
from umlpy.kernel.requests import InstallFd, Wait
from umlpy.kernel.table import REWRITE, Path, Ptr, UInt, syscall
from umlpy.platform.interface import INJECT
from umlpy.syscalls.names import inherit_group
from umlpy.syscalls.stat import pack_stat
from umlpy.vfs.vfs import TMPFILE_SUFFIX

RESOLVE_KNOWN = (RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH
                 | RESOLVE_IN_ROOT | RESOLVE_CACHED)          # every resolve flag openat2 accepts
WRITE_ACCESS = os.O_WRONLY | os.O_RDWR
O_NOATIME = 0o1000000
O_PATH_FLAGS = os.O_DIRECTORY | os.O_NOFOLLOW | os.O_PATH | os.O_CLOEXEC     # what O_PATH keeps
S_IALLUGO = 0o7777
_OWN_FD_LINK = re.compile(r"/proc/(self|thread-self|\d+)/fd/(\d+)")
_PLAIN_REOPEN = ~(os.O_CREAT | os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | O_TMPFILE)


def _reopen_memfd(task, path: str, flags: int) -> int | None:
    """open("/proc/self/fd/N") of a memfd: a new open of the same file, with its own
    offset and access mode (O_TRUNC empties it, seals still apply), as Linux's magic
    link gives.  The link's text ("/memfd:NAME (deleted)") names no guest path, so the
    walk cannot; the host reopens our duplicate of the guest's own descriptor.  Only
    the caller's own memfds, and only a plain open; anything else goes the usual way."""
    m = _OWN_FD_LINK.fullmatch(path)
    if m is None or flags & ~_PLAIN_REOPEN or (m.group(1).isdigit() and int(m.group(1)) != task.process.pid):
        return None
    try:
        with guest_fd(task, int(m.group(2))) as hfd:
            if not os.readlink(f"/proc/self/fd/{hfd}").startswith("/memfd:") \
                    or task.kernel.vfs.path_of_host_fd(hfd)[0] is not None:
                return None
            keep = os.O_ACCMODE | os.O_TRUNC | os.O_APPEND | os.O_NONBLOCK
            return os.open(f"/proc/self/fd/{hfd}", (flags & keep) | os.O_CLOEXEC | os.O_NOCTTY)
    except KernelError:
        return None
    except OSError as e:
        raise KernelError(e.errno or errno.EIO, "reopening a memfd") from None


# ------------------------------------------------------------------ open
def do_open(task, dirfd: int, path: str, flags: int, mode: int, *, resolve: int = 0):
    """The common body of open, openat, creat and openat2."""
    kernel = task.kernel
    flags &= VALID_OPEN_FLAGS                # open(2) ignores unknown bits (openat2 refused them)
    if flags & os.O_PATH:                    # O_PATH keeps only these (build_open_flags)
        flags &= O_PATH_FLAGS
    if flags & O_TMPFILE == O_TMPFILE and not flags & WRITE_ACCESS:
        raise KernelError(errno.EINVAL, "O_TMPFILE needs write access")
    if flags & os.O_CREAT and flags & os.O_DIRECTORY:
        raise KernelError(errno.EINVAL, "O_CREAT with O_DIRECTORY (Linux 6.4 and later)")
    if path.startswith("/proc/") and not resolve and (fd := _reopen_memfd(task, path, flags)) is not None:
        return InstallFd(fd, cloexec=bool(flags & os.O_CLOEXEC))
    follow = not flags & os.O_NOFOLLOW
    if flags & os.O_CREAT and flags & os.O_EXCL:
        follow = False                       # O_EXCL: a final symlink, even dangling, is "existing"
    if flags & os.O_CREAT and path.endswith("/") and path.strip("/"):
        # open_last_lookups: a trailing slash cannot name a new regular file; the
        # path up to the last component is still walked (its errors come first).
        resolve_at(task, dirfd, path.rstrip("/"), follow=False)
        raise KernelError(errno.EISDIR, "O_CREAT with a trailing slash")
    cached = False                           # the walk is one the dentry cache keeps
    if resolve & (RESOLVE_IN_ROOT | RESOLVE_BENEATH):
        base = dir_of(task, dirfd)
        if resolve & RESOLVE_BENEATH and path.startswith("/"):
            raise KernelError(errno.EXDEV)
        lk = kernel.vfs.resolve(path, cwd=base, follow=follow,
                                root=base if resolve & RESOLVE_IN_ROOT else task.fs.root,
                                no_symlinks=bool(resolve & RESOLVE_NO_SYMLINKS),
                                no_magiclinks=bool(resolve & (RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS)),
                                no_xdev=bool(resolve & RESOLVE_NO_XDEV), creds=task.creds)
        if resolve & RESOLVE_BENEATH and not (lk.path == base or lk.path.startswith(base.rstrip("/") + "/")):
            raise KernelError(errno.EXDEV)
    elif resolve & (RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV):
        base = task.fs.cwd if path.startswith("/") else dir_of(task, dirfd)
        lk = kernel.vfs.resolve(path, cwd=base, follow=follow, root=task.fs.root, creds=task.creds,
                                no_symlinks=bool(resolve & RESOLVE_NO_SYMLINKS),
                                no_magiclinks=bool(resolve & (RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS)),
                                no_xdev=bool(resolve & RESOLVE_NO_XDEV))
    else:
        lk = resolve_at(task, dirfd, path, follow=follow)
        cached = kernel.vfs.last_cached
    if flags & O_TMPFILE == O_TMPFILE:
        existing(lk)
        if not lk.st.is_dir:
            raise KernelError(errno.ENOTDIR)
        fd = lk.mount.fs.open(lk.rel, flags & ~os.O_CLOEXEC, mode & ~task.fs.umask)
        return InstallFd(kernel.vfs.register(fd, lk.path + TMPFILE_SUFFIX), cloexec=bool(flags & os.O_CLOEXEC))
    host_flags = (flags | os.O_NOCTTY) & ~os.O_CLOEXEC
    if flags & os.O_PATH:
        if INJECT not in kernel.platform.capabilities:
            raise KernelError(errno.ENOSYS, "O_PATH: the interception platform cannot inject")
        return install_path_fd(task, kernel.vfs.open_path(lk, flags), bool(flags & os.O_CLOEXEC))
    created = lk.st is None
    if created:
        if flags & os.O_CREAT:
            require_dir_change(task, lk)
    else:
        acc = flags & os.O_ACCMODE
        want = (R_OK if acc in (os.O_RDONLY, os.O_RDWR) else 0) | \
            (W_OK if acc in (os.O_WRONLY, os.O_RDWR) or flags & os.O_TRUNC else 0)
        require(task, lk.st, want)
        if want & W_OK and lk.st.is_reg and running_program(kernel, lk.st):
            raise KernelError(errno.ETXTBSY, "the file is a running program")
        if flags & O_NOATIME and task.creds.fsuid != lk.st.uid and not task.creds.has(CAP_FOWNER):
            raise KernelError(errno.EPERM, "O_NOATIME on a file the caller does not own")
    if not created and (S.S_ISCHR(lk.st.mode) or S.S_ISBLK(lk.st.mode)) and lk.mount.fs.name != "devtmpfs":
        return InstallFd(_open_device(task, lk.st, host_flags), cloexec=bool(flags & os.O_CLOEXEC))
    if not created and S.S_ISFIFO(lk.st.mode) and not flags & os.O_NONBLOCK \
            and flags & os.O_ACCMODE != os.O_RDWR:
        return _open_fifo(task, lk, host_flags, bool(flags & os.O_CLOEXEC))
    perm = mode & ~task.fs.umask & 0o7777
    hostfd = kernel.vfs.open(lk, host_flags, perm)
    if created:
        if perm & (S.S_ISUID | S.S_ISGID):
            lk.mount.fs.chmod(lk.rel, perm)      # set-id bits stay virtual (never on the host)
        owned_by_caller(task, lk)
        inherit_group(task, lk)
    if flags & (WRITE_ACCESS | os.O_CREAT | os.O_TRUNC):
        kernel.report.wrote(lk.path)
    elif not created and not resolve and cached and kernel.answers.on:
        kernel.answers.keep_open(task, path, flags, lk, pack_stat)   # the next ones below Python
    # Redoing an O_EXCL create after a signal would fail with EEXIST.
    return InstallFd(hostfd, cloexec=bool(flags & os.O_CLOEXEC),
                     hold_signals=created and bool(flags & os.O_EXCL))


def _open_device(task, st, flags: int) -> int:
    """A device node outside /dev (made by mknod, fsimpl/vmeta.py): the device
    the guest kernel serves under that number, as /dev has it; ENXIO for any
    other, as Linux says for a number no driver has.  Never a host device node."""
    name = served_device(st.mode, st.rdev)
    if name is None:
        raise KernelError(errno.ENXIO, "no such device")
    return DevFS(task.kernel.config.tty, task.kernel.config.devpts).open("/" + name, flags, 0)


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
        return InstallFd(held.pop(), cloexec=cloexec, hold_signals=True)

    def writer_ready():
        try:
            fd = vfs.open(lk, flags | os.O_NONBLOCK, 0)
        except KernelError as e:
            if e.errno == errno.ENXIO:          # no reader yet
                return None
            raise
        os.set_blocking(fd, True)
        return InstallFd(fd, cloexec=cloexec, hold_signals=True)

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
    # copy_struct_from_user: an older struct is too small, a newer one's
    # extra bytes must be zero.
    if size < OPEN_HOW.size:
        raise KernelError(errno.EINVAL, "struct open_how too small")
    if size > 4096:
        raise KernelError(errno.E2BIG, "struct open_how larger than a page")
    raw = task.read(how, size)
    if any(raw[OPEN_HOW.size:]):
        raise KernelError(errno.E2BIG, "unknown open_how fields are not zero")
    flags, mode, resolve = OPEN_HOW.unpack(raw[:OPEN_HOW.size])
    # build_open_flags, in its order
    if flags & ~VALID_OPEN_FLAGS:
        raise KernelError(errno.EINVAL, "unknown open flag")
    if resolve & ~RESOLVE_KNOWN:
        raise KernelError(errno.EINVAL, "unknown RESOLVE_ flag")
    if resolve & RESOLVE_BENEATH and resolve & RESOLVE_IN_ROOT:
        raise KernelError(errno.EINVAL, "RESOLVE_BENEATH with RESOLVE_IN_ROOT")
    if flags & os.O_CREAT or flags & O_TMPFILE == O_TMPFILE:
        if mode & ~S_IALLUGO:
            raise KernelError(errno.EINVAL, "mode bits beyond 07777")
    elif mode:
        raise KernelError(errno.EINVAL, "a mode without O_CREAT or O_TMPFILE")
    if flags & O_TMPFILE == O_TMPFILE and not flags & WRITE_ACCESS:
        raise KernelError(errno.EINVAL, "O_TMPFILE needs write access")
    if flags & os.O_PATH and flags & ~O_PATH_FLAGS:
        raise KernelError(errno.EINVAL, "O_PATH with flags it does not take")
    if resolve & RESOLVE_CACHED and flags & (os.O_TRUNC | os.O_CREAT | O_TMPFILE):
        raise KernelError(errno.EAGAIN, "RESOLVE_CACHED cannot create or truncate")
    return do_open(task, dirfd, path, flags, mode, resolve=resolve)
