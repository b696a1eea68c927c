"""Extended attributes: getxattr, setxattr, listxattr, removexattr and their l/f forms.

The guest's extended attributes are the guest kernel's own: every host-backed
file system (the root overlay, tmpfs, /tmp, bind mounts) keeps them in its
inode records (fsimpl/vmeta.py), and --persist keeps the root overlay's in
overlay.json.  None is ever set on a host file, so nothing the guest writes
(security.capability, security.selinux, trusted.*) is ever acted on by the
host kernel.  Virtual file systems (proc, sys, /dev) support none: EOPNOTSUPP.

The checks are Linux's (fs/xattr.c, security/commoncap.c), in its order:
the flags, the name (ERANGE if empty or longer than 255 bytes) and the size
(E2BIG past 64 KiB) before the lookup; then EROFS; then xattr_permission:
user.* only on regular files and directories (else EPERM to write, ENODATA
to read), in a sticky directory only by its owner, and with the file's read
or write permission; trusted.* only with CAP_SYS_ADMIN (EPERM to write,
ENODATA to read, left out of lists); writing security.* needs CAP_SYS_ADMIN
too (CAP_SETFCAP for security.capability); system.* (POSIX ACLs) and unknown
prefixes are EOPNOTSUPP.  The capabilities are the caller's effective set
(kernel/creds.py).
"""
from __future__ import annotations

import errno
import os
import stat as S

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import AT_FDCWD, CAP_FOWNER, CAP_SETFCAP, CAP_SYS_ADMIN
from umlpy.fsimpl.vmeta import XATTR_CREATE, XATTR_NAME_MAX, XATTR_REPLACE, XATTR_SIZE_MAX
from umlpy.kernel.creds import R_OK, W_OK, require
from umlpy.kernel.fdpath import existing, guest_fd, resolve_at
from umlpy.kernel.table import EMULATE, Ptr, syscall
from umlpy.vfs.vfs import Lookup

XATTR_LIST_MAX = 65536
USER, TRUSTED, SECURITY, SYSTEM = "user.", "trusted.", "security.", "system."
CAPS = "security.capability"


def _name(task, ptr: int) -> str:
    """The attribute name from guest memory: ERANGE if empty or too long (as Linux)."""
    try:
        raw = task.read_str(ptr, XATTR_NAME_MAX + 1)
    except KernelError as e:
        if e.errno == errno.ENAMETOOLONG:
            raise KernelError(errno.ERANGE, "xattr name longer than 255 bytes") from None
        raise
    if not raw or len(raw) > XATTR_NAME_MAX:
        raise KernelError(errno.ERANGE, "empty or too long xattr name")
    return raw.decode("latin-1")          # bytes as they are, and JSON-safe for --persist


def _lookup(task, call: str, target: int) -> Lookup:
    """The file the call names: a path (followed unless l*), or an fd (f*; not O_PATH)."""
    if call.startswith("f"):
        with guest_fd(task, target) as hfd:
            if task.kernel.vfs.is_path_only(hfd):
                raise KernelError(errno.EBADF, "an O_PATH descriptor")
            path, _ = task.kernel.vfs.path_of_host_fd(hfd)
        if path is None:
            raise KernelError(errno.EOPNOTSUPP, "not a file of the guest's file systems")
        return existing(task.kernel.vfs.resolve(path, follow=False))
    path = os.fsdecode(task.read_str(target))
    if path == "":
        raise KernelError(errno.ENOENT)
    nofollow = call in ("lgetxattr", "lsetxattr", "llistxattr", "lremovexattr")
    return existing(resolve_at(task, AT_FDCWD, path, follow=not nofollow))


def _permission(task, lk: Lookup, name: str, write: bool) -> None:
    """xattr_permission and the capability module's setxattr/removexattr hooks."""
    st = lk.st
    if name.startswith((SECURITY, SYSTEM)):
        if write and name.startswith(SECURITY) and \
                not task.creds.has(CAP_SETFCAP if name == CAPS else CAP_SYS_ADMIN):
            raise KernelError(errno.EPERM, "security.* needs CAP_SYS_ADMIN (security.capability: CAP_SETFCAP)")
        return
    if name.startswith(TRUSTED):
        if not task.creds.has(CAP_SYS_ADMIN):
            raise KernelError(errno.EPERM if write else errno.ENODATA, "trusted.* needs CAP_SYS_ADMIN")
        return
    if name.startswith(USER):
        if not (st.is_reg or st.is_dir):
            raise KernelError(errno.EPERM if write else errno.ENODATA,
                              "user.* only on regular files and directories")
        if st.is_dir and st.mode & S.S_ISVTX and write and task.creds.fsuid != st.uid \
                and not task.creds.has(CAP_FOWNER):                    # inode_owner_or_capable
            raise KernelError(errno.EPERM, "a sticky directory's owner only")
    require(task, st, W_OK if write else R_OK)


def _namespace(name: str) -> None:
    """xattr_resolve_name: a known prefix with something after it (EINVAL if
    nothing), and one the guest's file systems keep (EOPNOTSUPP: system.*)."""
    for prefix in (USER, TRUSTED, SECURITY):
        if name.startswith(prefix):
            if name == prefix:
                raise KernelError(errno.EINVAL, "nothing after the xattr namespace")
            return
    raise KernelError(errno.EOPNOTSUPP, "unsupported xattr namespace")


# ------------------------------------------------------------ get
def do_getxattr(task, call: str, target: int, name_ptr: int, value: int, size: int) -> int:
    name = _name(task, name_ptr)
    lk = _lookup(task, call, target)
    _permission(task, lk, name, write=False)
    _namespace(name)
    return _copy_out(task, value, size, lk.mount.fs.getxattr(lk.rel, name), XATTR_SIZE_MAX, "value")


def _copy_out(task, addr: int, size: int, data: bytes, limit: int, what: str) -> int:
    """getxattr/listxattr's answer: the length for size 0, else `data` at `addr`
    (ERANGE if it does not fit in `size`, itself capped at `limit`)."""
    size = min(size, limit)
    if size == 0:
        return len(data)
    if len(data) > size:
        raise KernelError(errno.ERANGE, f"buffer too small for the {what}")
    task.write(addr, data)
    return len(data)


@syscall("getxattr", EMULATE)
def getxattr(task, path: Ptr, name: Ptr, value: Ptr, size: Ptr):
    """getxattr(2): an extended attribute's value (size 0: its length)."""
    return do_getxattr(task, "getxattr", path, name, value, size)


@syscall("lgetxattr", EMULATE)
def lgetxattr(task, path: Ptr, name: Ptr, value: Ptr, size: Ptr):
    """lgetxattr(2): getxattr of a symlink itself."""
    return do_getxattr(task, "lgetxattr", path, name, value, size)


@syscall("fgetxattr", EMULATE)
def fgetxattr(task, fd: int, name: Ptr, value: Ptr, size: Ptr):
    """fgetxattr(2): getxattr of an open file."""
    return do_getxattr(task, "fgetxattr", fd, name, value, size)


# ------------------------------------------------------------ set
def do_setxattr(task, call: str, target: int, name_ptr: int, value: int, size: int, flags: int) -> int:
    if flags & ~(XATTR_CREATE | XATTR_REPLACE):
        raise KernelError(errno.EINVAL, "unknown setxattr flag")
    name = _name(task, name_ptr)
    if size > XATTR_SIZE_MAX:
        raise KernelError(errno.E2BIG, "value larger than 64 KiB")
    data = task.read(value, size) if size else b""
    lk = _lookup(task, call, target)
    if lk.mount.readonly:
        raise KernelError(errno.EROFS)
    _permission(task, lk, name, write=True)
    # cap_convert_nscap's validheader: revision 2 in 20 bytes or 3 in 24 (a revision 1
    # value, which Linux still reads, can no longer be written)
    if name == CAPS and (size, int.from_bytes(data[:4], "little") & 0xFF000000) not in (
            (20, 0x02000000), (24, 0x03000000)):
        raise KernelError(errno.EINVAL, "not a security.capability value")
    _namespace(name)
    lk.mount.fs.setxattr(lk.rel, name, data, flags)
    return 0


@syscall("setxattr", EMULATE)
def setxattr(task, path: Ptr, name: Ptr, value: Ptr, size: Ptr, flags: int):
    """setxattr(2): set an extended attribute (XATTR_CREATE: EEXIST if set; XATTR_REPLACE: ENODATA if not)."""
    return do_setxattr(task, "setxattr", path, name, value, size, flags)


@syscall("lsetxattr", EMULATE)
def lsetxattr(task, path: Ptr, name: Ptr, value: Ptr, size: Ptr, flags: int):
    """lsetxattr(2): setxattr of a symlink itself."""
    return do_setxattr(task, "lsetxattr", path, name, value, size, flags)


@syscall("fsetxattr", EMULATE)
def fsetxattr(task, fd: int, name: Ptr, value: Ptr, size: Ptr, flags: int):
    """fsetxattr(2): setxattr of an open file."""
    return do_setxattr(task, "fsetxattr", fd, name, value, size, flags)


# ------------------------------------------------------------ list
def do_listxattr(task, call: str, target: int, buf: int, size: int) -> int:
    lk = _lookup(task, call, target)
    names = sorted(lk.mount.fs.listxattr(lk.rel))
    if not task.creds.has(CAP_SYS_ADMIN):   # simple_xattr_list: trusted.* for CAP_SYS_ADMIN only
        names = [n for n in names if not n.startswith(TRUSTED)]
    data = b"".join(n.encode("latin-1") + b"\0" for n in names)
    return _copy_out(task, buf, size, data, XATTR_LIST_MAX, "list")


@syscall("listxattr", EMULATE)
def listxattr(task, path: Ptr, buf: Ptr, size: Ptr):
    """listxattr(2): the names of a file's extended attributes, each NUL-terminated (size 0: the length)."""
    return do_listxattr(task, "listxattr", path, buf, size)


@syscall("llistxattr", EMULATE)
def llistxattr(task, path: Ptr, buf: Ptr, size: Ptr):
    """llistxattr(2): listxattr of a symlink itself."""
    return do_listxattr(task, "llistxattr", path, buf, size)


@syscall("flistxattr", EMULATE)
def flistxattr(task, fd: int, buf: Ptr, size: Ptr):
    """flistxattr(2): listxattr of an open file."""
    return do_listxattr(task, "flistxattr", fd, buf, size)


# ------------------------------------------------------------ remove
def do_removexattr(task, call: str, target: int, name_ptr: int) -> int:
    name = _name(task, name_ptr)
    lk = _lookup(task, call, target)
    if lk.mount.readonly:
        raise KernelError(errno.EROFS)
    _permission(task, lk, name, write=True)
    _namespace(name)
    lk.mount.fs.removexattr(lk.rel, name)
    return 0


@syscall("removexattr", EMULATE)
def removexattr(task, path: Ptr, name: Ptr):
    """removexattr(2): remove an extended attribute (ENODATA if it is not set)."""
    return do_removexattr(task, "removexattr", path, name)


@syscall("lremovexattr", EMULATE)
def lremovexattr(task, path: Ptr, name: Ptr):
    """lremovexattr(2): removexattr of a symlink itself."""
    return do_removexattr(task, "lremovexattr", path, name)


@syscall("fremovexattr", EMULATE)
def fremovexattr(task, fd: int, name: Ptr):
    """fremovexattr(2): removexattr of an open file."""
    return do_removexattr(task, "fremovexattr", fd, name)
