"""Names in directories: mkdir, unlink, rmdir, symlink, link, rename, mknod,
readlink, and the working directory and root (chdir, fchdir, getcwd, chroot).

Each changes or reads the guest's namespace only, through the VFS.
"""
from __future__ import annotations

import errno
import os
import re
import socket
import stat as S

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, CAP_MKNOD, CAP_SYS_CHROOT
from umlpy.kernel.creds import X_OK, may_access, owned_by_caller, require_dir_change
from umlpy.kernel.fdpath import dir_of, existing, fd_path, guest_fd, resolve_at
from umlpy.kernel.table import EMULATE, Path, Ptr, UInt, syscall
from umlpy.vfs.vfs import TMPFILE_SUFFIX


# ------------------------------------------------------------- readlink
def do_readlink(task, dirfd: int, path: str, buf: int, size: int) -> int:
    if size <= 0:
        raise KernelError(errno.EINVAL)
    if path == "":
        # readlinkat(fd, ""): the symlink an O_PATH|O_NOFOLLOW fd names (ENOENT
        # for any other fd, as Linux's empty-path lookup gives).
        if dirfd == AT_FDCWD:
            raise KernelError(errno.ENOENT)
        p = fd_path(task, dirfd)
        if p is None or not task.kernel.vfs.lstat(p).is_link:
            raise KernelError(errno.ENOENT, "an empty path names no symlink")
        target = os.fsencode(task.kernel.vfs.readlink(p))[:size]
        task.write(buf, target)
        return len(target)
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
def _parent_for_create(task, dirfd: int, path: str, *, is_dir: bool = False):
    """The lookup of a name about to be made (filename_create): EEXIST if it is
    there; a trailing slash may only name a new directory (ENOENT otherwise)."""
    lk = resolve_at(task, dirfd, path.rstrip("/") or path, follow=False)
    if lk.st is not None:
        raise KernelError(errno.EEXIST)
    if path.endswith("/") and not is_dir:
        raise KernelError(errno.ENOENT, "a trailing slash on a new non-directory")
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
    lk = _parent_for_create(task, dirfd, path, is_dir=True)
    # Linux keeps only the permission and sticky bits of `mode` (vfs_mkdir).
    lk.mount.fs.mkdir(lk.rel, mode & ~task.fs.umask & 0o1777)
    owned_by_caller(task, lk)
    inherit_group(task, lk, is_dir=True)
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
        _cwds_removed(task, lk)
    else:
        if lk.st.is_dir:
            raise KernelError(errno.EISDIR)
        lk.mount.fs.unlink(lk.rel)
    task.kernel.report.wrote(lk.path)
    return 0


def _cwds_removed(task, lk) -> None:
    """Processes whose cwd was the removed directory stay in it, as on Linux."""
    vfs = task.kernel.vfs
    live = set()
    for t in list(task.kernel.pidns.tasks.values()):
        if t.fs.cwd == lk.path:
            t.fs.cwd = vfs.cwd_removed(lk.path, lk.st)
        live.add(t.fs.cwd)
    for marker in [m for m in vfs.removed if m not in live]:
        del vfs.removed[marker]             # no process is in it any more


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
    if path.strip("/") == "" and path:
        raise KernelError(errno.EBUSY, "the root cannot be removed")
    return do_unlink(task, AT_FDCWD, path, AT_REMOVEDIR)


@syscall("symlinkat", EMULATE)
def symlinkat(task, target: Path, dirfd: int, path: Path):
    """symlinkat(2): make `path` a symbolic link to `target` (stored, not resolved)."""
    if target == "":
        raise KernelError(errno.ENOENT)
    lk = _parent_for_create(task, dirfd, path)
    lk.mount.fs.symlink(target, lk.rel)
    owned_by_caller(task, lk)
    inherit_group(task, lk)
    task.kernel.report.wrote(lk.path)
    return 0


@syscall("symlink", EMULATE)
def symlink(task, target: Path, path: Path):
    """symlink(2): make a symbolic link."""
    return symlinkat(task, target, AT_FDCWD, path)


def do_link(task, olddirfd, old, newdirfd, new, flags) -> int:
    if flags & AT_SYMLINK_FOLLOW and (tmp := _own_tmpfile(task, old)) is not None:
        return _link_tmpfile(task, tmp, newdirfd, new)
    src = existing(resolve_at(task, olddirfd, old, follow=bool(flags & AT_SYMLINK_FOLLOW)))
    if src.st.is_dir:
        raise KernelError(errno.EPERM)
    dst = _parent_for_create(task, newdirfd, new)
    if src.mount is not dst.mount:
        raise KernelError(errno.EXDEV)
    dst.mount.fs.link(src.rel, dst.rel)
    task.kernel.report.wrote(dst.path)
    return 0


_OWN_FD_LINK = re.compile(r"/proc/(self|thread-self|\d+)/fd/(\d+)")


def _own_tmpfile(task, path: str) -> int | None:
    """The guest fd `path` (the caller's /proc/self/fd/N) names, if it is an O_TMPFILE file."""
    m = _OWN_FD_LINK.fullmatch(path)
    if m is None or (m.group(1).isdigit() and int(m.group(1)) != task.process.pid):
        return None
    try:
        p = fd_path(task, int(m.group(2)))
    except KernelError:
        return None
    return int(m.group(2)) if p is not None and p.endswith(TMPFILE_SUFFIX) else None


def _link_tmpfile(task, fd: int, newdirfd: int, new: str) -> int:
    """linkat(AT_FDCWD, "/proc/self/fd/N", ..., AT_SYMLINK_FOLLOW) of an O_TMPFILE file:
    the walk cannot follow the link (the file has no name), so the file system links
    our duplicate of the descriptor.  Same mount only (EXDEV), as Linux."""
    dst = _parent_for_create(task, newdirfd, new)
    with guest_fd(task, fd) as hfd:
        home = task.kernel.vfs.path_of_host_fd(hfd)[0]
        if home is None or task.kernel.vfs.mounts.find(home.removesuffix(TMPFILE_SUFFIX)) is not dst.mount:
            raise KernelError(errno.EXDEV)
        dst.mount.fs.link_fd(hfd, dst.rel)
        st = os.fstat(hfd)
    owned_by_caller(task, dst)                    # it was the creator's, as a new file
    inherit_group(task, dst)
    mode = task.kernel.vfs.tmpfile_modes.pop((st.st_dev, st.st_ino), None)
    if mode is not None:
        dst.mount.fs.chmod(dst.rel, mode)         # what fchmod gave it, set-id bits virtual
    task.kernel.report.wrote(dst.path)
    return 0


@syscall("linkat", EMULATE)
def linkat(task, olddirfd: int, old: Path, newdirfd: int, new: Path, flags: int):
    """linkat(2): a new name for an existing file, in the same mount."""
    if flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH):
        raise KernelError(errno.EINVAL, "unknown linkat flag")
    return do_link(task, olddirfd, old, newdirfd, new, flags)


@syscall("link", EMULATE)
def link(task, old: Path, new: Path):
    """link(2): a new name for an existing file."""
    return do_link(task, AT_FDCWD, old, AT_FDCWD, new, 0)


RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT = 1, 2, 4


def _last_is_dot(path: str) -> bool:
    """Does `path` end in "." or ".." (or name "/" itself)?  Such a last component
    cannot be renamed nor replaced: EBUSY (LAST_DOT, LAST_DOTDOT, LAST_ROOT)."""
    tail = path.rstrip("/").rpartition("/")[2]
    return tail in ("", ".", "..")


def do_rename(task, olddirfd, old, newdirfd, new, flags) -> int:
    """renameat2's checks in do_renameat2's and vfs_rename's order."""
    if flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT):
        raise KernelError(errno.EINVAL, "unknown renameat2 flag")
    if flags & RENAME_NOREPLACE and flags & RENAME_EXCHANGE:
        raise KernelError(errno.EINVAL, "RENAME_NOREPLACE with RENAME_EXCHANGE")
    if flags & RENAME_WHITEOUT and flags & RENAME_EXCHANGE:
        raise KernelError(errno.EINVAL, "RENAME_WHITEOUT with RENAME_EXCHANGE")
    if flags & RENAME_WHITEOUT and not task.creds.has(CAP_MKNOD):
        raise KernelError(errno.EPERM, "RENAME_WHITEOUT needs CAP_MKNOD")
    if old == "" or new == "":
        raise KernelError(errno.ENOENT)
    src = resolve_at(task, olddirfd, old.rstrip("/") or old, follow=False)
    dst = resolve_at(task, newdirfd, new.rstrip("/") or new, follow=False)
    if _last_is_dot(old) or _last_is_dot(new):
        raise KernelError(errno.EBUSY, "a last component of '.', '..' or '/'")
    existing(src)
    if src.mount is not dst.mount:
        raise KernelError(errno.EXDEV)
    if dst.st is not None and flags & RENAME_NOREPLACE:
        raise KernelError(errno.EEXIST)
    if flags & RENAME_EXCHANGE:
        if dst.st is None:
            raise KernelError(errno.ENOENT)
        if not dst.st.is_dir and new.endswith("/"):
            raise KernelError(errno.ENOTDIR)
    if not src.st.is_dir and (old.endswith("/") or (not flags & RENAME_EXCHANGE and new.endswith("/"))):
        raise KernelError(errno.ENOTDIR, "a trailing slash on a non-directory")
    if dst.st is None:
        parent = task.kernel.vfs.parent_of(dst)
        if not parent.st.is_dir:
            raise KernelError(errno.ENOTDIR)
    if dst.path.startswith(src.path + "/"):
        raise KernelError(errno.EINVAL, "a directory cannot move below itself")
    if src.path.startswith(dst.path + "/"):
        raise KernelError(errno.EINVAL if flags & RENAME_EXCHANGE else errno.ENOTEMPTY,
                          "the target is an ancestor of the source")
    if src.mount.readonly:
        raise KernelError(errno.EROFS)
    if src.path == dst.path or (dst.st is not None and (src.st.dev, src.st.ino) == (dst.st.dev, dst.st.ino)
                                and src.st.ino):
        return 0                             # vfs_rename: the same inode, nothing to do
    require_dir_change(task, src, src.st)
    require_dir_change(task, dst, dst.st)
    if dst.st is not None and not flags & RENAME_EXCHANGE:
        if src.st.is_dir and not dst.st.is_dir:
            raise KernelError(errno.ENOTDIR)
        if dst.st.is_dir and not src.st.is_dir:
            raise KernelError(errno.EISDIR)
    if task.kernel.vfs.mounts.is_mount_point(src.path) or task.kernel.vfs.mounts.is_mount_point(dst.path):
        raise KernelError(errno.EBUSY)
    src.mount.fs.rename(src.rel, dst.rel, flags & ~RENAME_WHITEOUT)
    if flags & RENAME_WHITEOUT:
        _whiteout(task, src, dst)
    if src.st.is_dir or (flags & RENAME_EXCHANGE and dst.st.is_dir):
        _follow_rename(task, src.path, dst.path, exchange=bool(flags & RENAME_EXCHANGE))
    task.kernel.report.wrote(dst.path)
    return 0


def _whiteout(task, src, dst) -> None:
    """RENAME_WHITEOUT: the old name becomes a whiteout, a character device 0:0 of mode
    0 (vfs_whiteout), made as the guest kernel makes device nodes (a record over an
    empty host file, which opens as ENXIO).  Made just after the rename, not with it:
    a moment without the old name.  A file system that keeps no device nodes gets the
    file back and EINVAL, as Linux's do."""
    try:
        src.mount.fs.mknod_device(src.rel, S.S_IFCHR, 0)
    except KernelError:
        src.mount.fs.rename(dst.rel, src.rel, 0)
        raise KernelError(errno.EINVAL, "no whiteouts on this file system") from None
    owned_by_caller(task, src)


def _follow_rename(task, old: str, new: str, *, exchange: bool) -> None:
    """Working directories, roots and open directories are objects, not strings:
    a process whose cwd was at or below a renamed directory is still in it, at
    its new path (getcwd shows it, relative names resolve from it), and a dirfd
    still names its directory.  (Only for directories: the VFS's record of open
    objects is scanned, which a rename of each file would make costly.)"""
    def moved(p: str) -> str:
        for a, b in ((old, new), (new, old)) if exchange else ((old, new),):
            if p == a or p.startswith(a.rstrip("/") + "/"):
                return b + p[len(a):]
        return p
    task.kernel.vfs.renamed(old, new, exchange=exchange)
    seen = set()
    for t in list(task.kernel.pidns.tasks.values()):
        fs = t.fs
        if id(fs) in seen:
            continue
        seen.add(id(fs))
        fs.cwd = moved(fs.cwd)
        fs.root = moved(fs.root)


@syscall("renameat2", EMULATE)
def renameat2(task, olddirfd: int, old: Path, newdirfd: int, new: Path, flags: UInt):
    """renameat2(2): rename within one mount; RENAME_NOREPLACE and RENAME_EXCHANGE."""
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
    """mknodat(2): regular files, FIFOs, sockets, and (with CAP_MKNOD) device nodes.

    A device node is only ever the guest kernel's record (an empty regular
    host file stands for it, fsimpl/vmeta.py); opening it reaches a device
    the guest kernel serves, or ENXIO (open.py)."""
    fmt = S.S_IFMT(mode) or S.S_IFREG
    # may_mknod, before the lookup: a directory is EPERM, an unknown type EINVAL.
    if fmt == S.S_IFDIR:
        raise KernelError(errno.EPERM, "mknod cannot make a directory")
    if fmt not in (S.S_IFREG, S.S_IFIFO, S.S_IFSOCK, S.S_IFCHR, S.S_IFBLK):
        raise KernelError(errno.EINVAL, "unknown file type")
    lk = _parent_for_create(task, dirfd, path)
    perm = mode & ~task.fs.umask & 0o7777
    if fmt in (S.S_IFCHR, S.S_IFBLK):
        if not may_mknod_device(task):
            raise KernelError(errno.EPERM, "device nodes need CAP_MKNOD")
        lk.mount.fs.mknod_device(lk.rel, fmt | perm, dev & 0xFFFFFFFF)
    elif fmt == S.S_IFREG:
        os.close(lk.mount.fs.open(lk.rel, os.O_CREAT | os.O_EXCL | os.O_WRONLY, perm))
        if perm & (S.S_ISUID | S.S_ISGID):
            lk.mount.fs.chmod(lk.rel, perm)      # set-id bits stay virtual
    elif fmt == S.S_IFSOCK:
        _mksock(lk, perm)
    else:
        lk.mount.fs.mkfifo(lk.rel, perm)
    owned_by_caller(task, lk)
    inherit_group(task, lk)
    return 0


def may_mknod_device(task) -> bool:
    """capable(CAP_MKNOD)."""
    return task.creds.has(CAP_MKNOD)


def _mksock(lk, perm: int) -> None:
    """A socket inode nobody listens on: bind a unix socket there and close it."""
    pfd, name = lk.mount.fs.mknod_socket_dir(lk.rel)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(f"/proc/self/fd/{pfd}/{name}")
        os.chmod(name, perm & 0o777, dir_fd=pfd, follow_symlinks=False)
    except OSError as e:
        raise KernelError(e.errno or errno.EIO)
    finally:
        sock.close()
        os.close(pfd)
    lk.mount.fs.adopt(lk.rel)


def inherit_group(task, lk, *, is_dir: bool = False) -> None:
    """inode_init_owner: in a set-group-ID directory a new object takes the
    directory's group, and a new directory the set-group-ID bit too."""
    vfs = task.kernel.vfs
    parent = vfs.parent_of(lk)
    if not parent.st.mode & S.S_ISGID:
        return
    st = vfs.lstat(lk.path)
    if st.gid != parent.st.gid:
        lk.mount.fs.chown(lk.rel, st.uid, parent.st.gid)
    if is_dir and not st.mode & S.S_ISGID:
        lk.mount.fs.chmod(lk.rel, S.S_IMODE(st.mode) | S.S_ISGID)


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
    """fchdir(2): change the working directory to an open directory (search permission needed)."""
    path = dir_of(task, fd)
    if not may_access(task, task.kernel.vfs.lstat(path), X_OK):
        raise KernelError(errno.EACCES, "no search permission on the directory")
    task.fs.cwd = path
    return 0


@syscall("getcwd", EMULATE)
def getcwd(task, buf: Ptr, size: Ptr):
    """getcwd(2): the guest path of the working directory, NUL-terminated;
    ENOENT once it has been removed."""
    try:
        if not task.kernel.vfs.lstat(task.fs.cwd).is_dir:
            raise KernelError(errno.ENOENT)
    except KernelError:
        raise KernelError(errno.ENOENT, "the working directory was removed")
    data = os.fsencode(task.fs.cwd) + b"\0"
    if size < len(data):
        raise KernelError(errno.ERANGE)
    task.write(buf, data)
    return len(data)


@syscall("chroot", EMULATE)
def chroot(task, path: Path):
    """chroot(2): change the guest root of this process: a directory the caller may
    search, then CAP_SYS_CHROOT (EPERM), in Linux's order."""
    lk = existing(resolve_at(task, AT_FDCWD, path))
    if not lk.st.is_dir:
        raise KernelError(errno.ENOTDIR)
    if not may_access(task, lk.st, X_OK):
        raise KernelError(errno.EACCES)
    if not task.creds.has(CAP_SYS_CHROOT):
        raise KernelError(errno.EPERM, "chroot needs CAP_SYS_CHROOT")
    task.fs.root = lk.path
    return 0


@syscall("umask", EMULATE)
def umask(task, mask: UInt):
    """umask(2): set the file-creation mask; returns the old one."""
    old = task.fs.umask
    task.fs.umask = mask & 0o777
    return old


