"""Extended attributes: the guest's file systems carry none (get: ENODATA,
list: empty, set/remove: ENOTSUP), after the same checks Linux makes first.
"""
from __future__ import annotations

import errno
import os

from umlpy.abi.errno import KernelError
from umlpy.kernel.fdpath import AT_FDCWD, existing, guest_fd, resolve_at
from umlpy.kernel.table import DECODERS, EMULATE, Ptr, syscall


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


