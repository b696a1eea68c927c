"""Names in directories: mkdir, unlink, rmdir, symlink, link, rename, mknod,
readlink, and the working directory and root (chdir, fchdir, getcwd, chroot).

Each changes or reads the guest's namespace only, through the VFS.
"""
from __future__ import annotations

import errno
import os
import stat as S

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW
from umlpy.kernel.creds import X_OK, may_access, owned_by_caller, require_dir_change
from umlpy.kernel.fdpath import dir_of, existing, resolve_at
from umlpy.kernel.table import EMULATE, Path, Ptr, UInt, syscall


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
    # Linux keeps only the permission and sticky bits of `mode` (vfs_mkdir).
    lk.mount.fs.mkdir(lk.rel, mode & ~task.fs.umask & 0o1777)
    owned_by_caller(task, lk)
    task.kernel.report.wrote(lk.path)
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
    task.kernel.report.wrote(lk.path)
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
    task.kernel.report.wrote(lk.path)
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
    task.kernel.report.wrote(dst.path)
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
    task.kernel.report.wrote(dst.path)
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
        if perm & (S.S_ISUID | S.S_ISGID):
            lk.mount.fs.chmod(lk.rel, perm)      # set-id bits stay virtual
    else:
        lk.mount.fs.mkfifo(lk.rel, perm)
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


