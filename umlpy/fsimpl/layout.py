"""Building a sandbox's mount table from its configuration.

/      overlay: the rootfs read-only, an upper layer in memory or in the
       --persist directory (locked for the sandbox's life: fsimpl/persist.py)
/proc  procfs (the guest kernel's view of its processes)
/dev   devfs
/sys   sysfs, read-only: the CPU list and little else; /sys/fs/cgroup the sandbox's limits
/tmp, /dev/shm  tmpfs: fresh for each run, in the sandbox's storage (Kernel._state_dir: a
       tmpfs of the disk limit's size, mounted nowhere), or a tmpfs of its own
plus one tmpfs of its own per `--tmpfs PATH:size=SIZE` and one hostfs bind
mount per `-v HOST:GUEST[:ro]`.
"""
from __future__ import annotations

import errno
import os
import stat as S
from typing import TYPE_CHECKING

from umlpy.abi.errno import KernelError
from umlpy.fsimpl.devfs import DevFS, Devpts
from umlpy.fsimpl.hostfs import HostFS
from umlpy.fsimpl.overlay import OverlayFS
from umlpy.fsimpl.persist import PersistDir
from umlpy.fsimpl.procfs import ProcFS
from umlpy.fsimpl.sysfs import CgroupFS, SysFS
from umlpy.fsimpl.tmpfs import TmpFS
from umlpy.vfs.mount import Mount, MountTable
from umlpy.vfs.vfs import VFS

if TYPE_CHECKING:
    from umlpy.kernel.kernel import Kernel


def build_vfs(kernel: Kernel) -> VFS:
    """The mount table of `kernel.config`.  A bad or busy --persist directory
    raises fsimpl.persist.PersistError, before anything is mounted."""
    cfg = kernel.config
    state = kernel.state_dir
    root_mode = S.S_IMODE(os.stat(cfg.rootfs).st_mode)
    if cfg.persist is not None:
        persist = PersistDir(str(cfg.persist), root_mode)
        upper, work = persist.upper, persist.work
    else:
        persist = None
        upper, work = os.path.join(state, "upper"), os.path.join(state, "work")
        os.mkdir(upper)
        os.chmod(upper, root_mode)           # upper/ is the guest's "/"
        os.mkdir(work, 0o700)
    mt = MountTable()
    try:
        mt.add(Mount("/", OverlayFS(str(cfg.rootfs), upper, work, persist), source="overlay",
                     fstype="overlay"))
    except BaseException:
        if persist is not None:
            persist.close()
        raise
    try:
        mt.add(Mount("/proc", ProcFS(kernel), source="proc", fstype="proc"))
        if cfg.devpts is None:               # one instance for every /dev of the sandbox
            cfg.devpts = Devpts()
        mt.add(Mount("/dev", DevFS(cfg.tty, cfg.devpts), source="devtmpfs", fstype="devtmpfs"))
        mt.add(Mount("/sys", SysFS(kernel.boot_time), readonly=True, source="sysfs", fstype="sysfs"))
        mt.add(Mount("/sys/fs/cgroup", CgroupFS(kernel), readonly=True, source="cgroup2",
                     fstype="cgroup2"))
        own = {"/" + path.strip("/"): (size, mode) for path, size, mode in cfg.tmpfs}
        for path in ("/tmp", "/dev/shm"):    # by default they share the disk limit with the layer
            if path not in own:              # (/dev/shm: POSIX shared memory and semaphores)
                mt.add(Mount(path, TmpFS(state), source="tmpfs", fstype="tmpfs"))
        for path, (size, mode) in own.items():
            mt.add(Mount(path, TmpFS.private(size, mode), source="tmpfs", fstype="tmpfs"))
        for host, guest, ro in cfg.binds:
            if not os.path.isdir(host):
                raise KernelError(errno.ENOTDIR, f"bind mount source {host} is not a directory")
            guest = "/" + guest.strip("/")
            mt.add(Mount(guest, HostFS(host, readonly=ro, name="bind"), readonly=ro,
                         source=host, fstype="bind"))
    except BaseException:
        mt.close()                           # the persist directory's lock goes with it
        raise
    return VFS(mt, state)
