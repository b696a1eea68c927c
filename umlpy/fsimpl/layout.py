"""Building a sandbox's mount table from its configuration.

/      overlay: the rootfs read-only, an upper layer in memory or --persist
/proc  procfs (the guest kernel's view of its processes)
/dev   devfs
/tmp   tmpfs: a private host directory in memory (/dev/shm), fresh for each run
plus one hostfs bind mount per `-v HOST:GUEST[:ro]`.
"""
from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING

from umlpy.abi.errno import KernelError
from umlpy.fsimpl.devfs import DevFS
from umlpy.fsimpl.hostfs import HostFS
from umlpy.fsimpl.overlay import OverlayFS
from umlpy.fsimpl.procfs import ProcFS
from umlpy.fsimpl.tmpfs import TmpFS
from umlpy.vfs.mount import Mount, MountTable
from umlpy.vfs.vfs import VFS

if TYPE_CHECKING:
    from umlpy.kernel.kernel import Kernel


def build_vfs(kernel: "Kernel") -> VFS:
    cfg = kernel.config
    state = kernel.state_dir
    if cfg.persist is not None:
        upper = os.path.join(cfg.persist, "upper")
        os.makedirs(upper, exist_ok=True)
        meta = os.path.join(cfg.persist, "overlay.json")
    else:
        upper = os.path.join(state, "upper")
        os.mkdir(upper, 0o755)
        meta = None
    mt = MountTable()
    mt.add(Mount("/", OverlayFS(str(cfg.rootfs), upper, meta), source="overlay", fstype="overlay"))
    mt.add(Mount("/proc", ProcFS(kernel), source="proc", fstype="proc"))
    mt.add(Mount("/dev", DevFS(cfg.tty), source="devtmpfs", fstype="devtmpfs"))
    mt.add(Mount("/tmp", TmpFS(state), source="tmpfs", fstype="tmpfs"))
    for host, guest, ro in cfg.binds:
        if not os.path.isdir(host):
            raise KernelError(errno.ENOTDIR, f"bind mount source {host} is not a directory")
        guest = "/" + guest.strip("/")
        mt.add(Mount(guest, HostFS(host, readonly=ro, name="bind"), readonly=ro,
                     source=host, fstype="bind"))
    return VFS(mt, state)
