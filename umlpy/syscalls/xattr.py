"""Extended attributes: the guest's file systems carry none (get: ENODATA,
list: empty, set/remove: ENOTSUP), after the same checks Linux makes first.
"""
from __future__ import annotations

import errno
import os

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import AT_FDCWD
from umlpy.kernel.fdpath import existing, guest_fd, resolve_at
from umlpy.kernel.table import DECODERS, EMULATE, Ptr, syscall


# ------------------------------------------------------------ xattrs
def _xattr_target(task, nr_name: str, target: int) -> None:
    """The file an xattr call names must exist (EFAULT/ENOENT first, like Linux)."""
    if nr_name.startswith("f"):
        with guest_fd(task, DECODERS["int"](target)):
            return
    follow = not nr_name.startswith("l")
    existing(resolve_at(task, AT_FDCWD, os.fsdecode(task.read_str(target)), follow=follow))


def _xattr_handler(name: str, err: int, doc: str):
    @syscall(name, EMULATE)
    def handler(task, target: Ptr, attr: Ptr, value: Ptr, size: Ptr, flags: int):
        _xattr_target(task, name, target)
        if err:
            raise KernelError(err)
        return 0
    handler.__name__ = handler.__qualname__ = name
    handler.__doc__ = f"{name}(2): {doc}"
    return handler


_NODATA = "the guest's file systems carry no extended attributes: ENODATA."
_EMPTY = "no extended attributes: an empty list."
_NOTSUP = "extended attributes are not supported: ENOTSUP."
getxattr = _xattr_handler("getxattr", errno.ENODATA, _NODATA)
lgetxattr = _xattr_handler("lgetxattr", errno.ENODATA, _NODATA)
fgetxattr = _xattr_handler("fgetxattr", errno.ENODATA, _NODATA)
listxattr = _xattr_handler("listxattr", 0, _EMPTY)
llistxattr = _xattr_handler("llistxattr", 0, _EMPTY)
flistxattr = _xattr_handler("flistxattr", 0, _EMPTY)
setxattr = _xattr_handler("setxattr", errno.ENOTSUP, _NOTSUP)
lsetxattr = _xattr_handler("lsetxattr", errno.ENOTSUP, _NOTSUP)
fsetxattr = _xattr_handler("fsetxattr", errno.ENOTSUP, _NOTSUP)
removexattr = _xattr_handler("removexattr", errno.ENOTSUP, _NOTSUP)
lremovexattr = _xattr_handler("lremovexattr", errno.ENOTSUP, _NOTSUP)
fremovexattr = _xattr_handler("fremovexattr", errno.ENOTSUP, _NOTSUP)
