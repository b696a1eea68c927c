"""Namespaces: the guest kernel's UTS, mount and IPC namespaces, and the ids /proc shows for all kinds.

Linux keeps a task's namespaces in its nsproxy: unshare(2) gives the caller a
new one, clone(2) with CLONE_NEW* gives the child one, setns(2) swaps one
member.  Here each guest Task has an `NsProxy` (`task.ns`) with the three kinds
the guest kernel owns the tables of:

  * a UTS namespace: the hostname and NIS domain name (uname, sethostname,
    /proc/sys/kernel/hostname);
  * a mount namespace: a MountTable of its own (umlpy/vfs/mount.py).  A new
    one is a copy of the creator's table: new Mount records over the same
    file systems, so a mount, umount or remount in one is not seen in the
    other (every mount is private: nothing propagates between namespaces).
    The VFS serves the table of the task whose stop is being served (the
    stop loop switches `vfs.mounts`);
  * an IPC namespace: a name for one set of System V IPC keys and ids.  The
    objects are all the host kernel's, in the sandbox's one host IPC
    namespace; kernel/ipc.py keeps which namespace each belongs to and maps
    a namespace's keys to host keys, so that a key or an id of one is not
    found from another.  `NsProxy.sysv_stops` records that the tasks holding
    the proxy have the seccomp filter that makes their native SysV calls stop
    (kernel/ipc.py `install_stop_filter`).

The other kinds (net, pid, user, cgroup, time) are the sandbox's own
and cannot be made inside it; they still have ids, so /proc/PID/ns lists
every kind as Linux does.  Ids are what Linux gives: the initial namespaces'
fixed proc inode numbers (PROC_*_INIT_INO), then numbers from 0xF0000000
(PROC_DYNAMIC_FIRST) for each new one.  Threads share their creator's
NsProxy object until one of them unshares.
"""
from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable

from umlpy.vfs.mount import MountTable

# <linux/proc_ns.h>
PROC_IPC_INIT_INO = 0xEFFFFFFF
PROC_UTS_INIT_INO = 0xEFFFFFFE
PROC_USER_INIT_INO = 0xEFFFFFFD
PROC_PID_INIT_INO = 0xEFFFFFFC
PROC_CGROUP_INIT_INO = 0xEFFFFFFB
PROC_TIME_INIT_INO = 0xEFFFFFFA
PROC_DYNAMIC_FIRST = 0xF0000000

# /proc/PID/ns entries, in Linux's listing order
NS_KINDS = ("cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children",
            "user", "uts")


class Registry:
    """One sandbox's namespaces by id (for setns), and the id counter."""

    def __init__(self) -> None:
        self._ids = itertools.count(PROC_DYNAMIC_FIRST)
        self.by_id: weakref.WeakValueDictionary[int, object] = weakref.WeakValueDictionary()
        # The kinds that are never unshared: one fixed id each for the whole sandbox.
        self.fixed = {"cgroup": PROC_CGROUP_INIT_INO,
                      "net": self.new_id(), "pid": PROC_PID_INIT_INO,
                      "pid_for_children": PROC_PID_INIT_INO, "time": PROC_TIME_INIT_INO,
                      "time_for_children": PROC_TIME_INIT_INO, "user": PROC_USER_INIT_INO}

    def new_id(self) -> int:
        return next(self._ids)

    def add(self, ns: "UtsNamespace | MountNamespace | IpcNamespace") -> None:
        self.by_id[ns.id] = ns


class UtsNamespace:
    """Hostname and domain name.  `pending` holds callables that take in values
    written to /proc/sys/kernel/{hostname,domainname} since (such a write runs
    natively into a memfd; procfs/system.py): run before every read, so a
    reader never sees the old value after a write."""

    kind = "uts"

    def __init__(self, registry: Registry, ident: int, hostname: str, domainname: str) -> None:
        self.registry = registry
        self.id = ident
        self._names = {"hostname": hostname, "domainname": domainname}
        self.pending: list[Callable[[], None]] = []
        registry.add(self)

    def get(self, field: str) -> str:
        for take in list(self.pending):
            take()
        return self._names[field]

    def set(self, field: str, value: str) -> None:
        self._names[field] = value

    @property
    def hostname(self) -> str:
        return self.get("hostname")

    @property
    def domainname(self) -> str:
        return self.get("domainname")

    def copy(self) -> "UtsNamespace":
        return UtsNamespace(self.registry, self.registry.new_id(), self.hostname, self.domainname)


class MountNamespace:
    """A mount table of its own."""

    kind = "mnt"

    def __init__(self, registry: Registry, ident: int, table: MountTable) -> None:
        self.registry = registry
        self.id = ident
        self.table = table
        registry.add(self)

    def copy(self) -> "MountNamespace":
        return MountNamespace(self.registry, self.registry.new_id(), self.table.copy())


class IpcNamespace:
    """A System V IPC namespace: its objects and keys are kernel/ipc.py's records,
    tagged with this id.  `alive` turns False when its last task has gone and
    its objects were destroyed (kernel/ipc.py `SysvIpc.collect`): it cannot be
    joined any more."""

    kind = "ipc"

    def __init__(self, registry: Registry, ident: int) -> None:
        self.registry = registry
        self.id = ident
        self.alive = True
        registry.add(self)

    @property
    def initial(self) -> bool:
        return self.id == PROC_IPC_INIT_INO

    def copy(self) -> "IpcNamespace":
        """A new, empty IPC namespace (Linux's copy_ipcs: nothing is copied)."""
        return IpcNamespace(self.registry, self.registry.new_id())


class NsProxy:
    """A task's namespaces (Linux's struct nsproxy, for the kinds modelled).

    `sysv_stops`: every task holding this proxy has the extra seccomp filter
    that makes msgsnd, msgrcv, semop, semtimedop, mq_open and mq_unlink stop
    (kernel/ipc.py).  A
    filter is per thread and inherited by the threads and children it makes,
    as a proxy is; a proxy made for one task (unshare, setns, a clone with
    CLONE_NEW*) starts with that task's value, or False for a child in a new
    IPC namespace made by a parent without it, which gets the filter at its
    first stop (`needs_sysv_filter`, Kernel.first_stop)."""

    def __init__(self, uts: UtsNamespace, mnt: MountNamespace, ipc: IpcNamespace,
                 sysv_stops: bool = False) -> None:
        self.uts = uts
        self.mnt = mnt
        self.ipc = ipc
        self.sysv_stops = sysv_stops

    @classmethod
    def initial(cls, hostname: str, domainname: str, table: MountTable) -> "NsProxy":
        """The sandbox's first namespaces, guest init's."""
        reg = Registry()
        return cls(UtsNamespace(reg, PROC_UTS_INIT_INO, hostname, domainname),
                   MountNamespace(reg, reg.new_id(), table), IpcNamespace(reg, PROC_IPC_INIT_INO))

    @property
    def registry(self) -> Registry:
        return self.uts.registry

    def replaced(self, *, uts: bool = False, mnt: bool = False, ipc: bool = False) -> "NsProxy":
        """A proxy with new copies of the kinds asked for (unshare, clone's CLONE_NEW*).
        It keeps `sysv_stops`: a clone child inherits its parent's filters."""
        if not (uts or mnt or ipc):
            return self
        return NsProxy(self.uts.copy() if uts else self.uts, self.mnt.copy() if mnt else self.mnt,
                       self.ipc.copy() if ipc else self.ipc, self.sysv_stops)

    @property
    def needs_sysv_filter(self) -> bool:
        """Its tasks are in a non-initial IPC namespace without the filter that checks
        their native SysV calls."""
        return not self.ipc.initial and not self.sysv_stops

    def joined(self, ns: "UtsNamespace | MountNamespace | IpcNamespace") -> "NsProxy":
        """A proxy with `ns` in place of the member of its kind (setns)."""
        if isinstance(ns, UtsNamespace):
            return NsProxy(ns, self.mnt, self.ipc, self.sysv_stops)
        if isinstance(ns, IpcNamespace):
            return NsProxy(self.uts, self.mnt, ns, self.sysv_stops)
        return NsProxy(self.uts, ns, self.ipc, self.sysv_stops)

    def ident(self, kind: str) -> int:
        """The id /proc/PID/ns/`kind` shows."""
        if kind == "uts":
            return self.uts.id
        if kind == "mnt":
            return self.mnt.id
        if kind == "ipc":
            return self.ipc.id
        return self.registry.fixed[kind]
