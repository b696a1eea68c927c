"""Namespaces: the guest kernel's UTS and mount namespaces, and the ids /proc shows for all kinds.

Linux keeps a task's namespaces in its nsproxy: unshare(2) gives the caller a
new one, clone(2) with CLONE_NEW* gives the child one, setns(2) swaps one
member.  Here each guest Task has an `NsProxy` (`task.ns`) with the two kinds
the guest kernel owns the tables of:

  * a UTS namespace: the hostname and NIS domain name (uname, sethostname,
    /proc/sys/kernel/hostname);
  * a mount namespace: a MountTable of its own (umlpy/vfs/mount.py).  A new
    one is a copy of the creator's table: new Mount records over the same
    file systems, so a mount, umount or remount in one is not seen in the
    other (every mount is private: nothing propagates between namespaces).
    The VFS serves the table of the task whose stop is being served (the
    stop loop switches `vfs.mounts`).

The other kinds (ipc, net, pid, user, cgroup, time) are the sandbox's own
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
        self.fixed = {"cgroup": PROC_CGROUP_INIT_INO, "ipc": PROC_IPC_INIT_INO,
                      "net": self.new_id(), "pid": PROC_PID_INIT_INO,
                      "pid_for_children": PROC_PID_INIT_INO, "time": PROC_TIME_INIT_INO,
                      "time_for_children": PROC_TIME_INIT_INO, "user": PROC_USER_INIT_INO}

    def new_id(self) -> int:
        return next(self._ids)

    def add(self, ns: "UtsNamespace | MountNamespace") -> None:
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


class NsProxy:
    """A task's namespaces (Linux's struct nsproxy, for the kinds modelled)."""

    def __init__(self, uts: UtsNamespace, mnt: MountNamespace) -> None:
        self.uts = uts
        self.mnt = mnt

    @classmethod
    def initial(cls, hostname: str, domainname: str, table: MountTable) -> "NsProxy":
        """The sandbox's first namespaces, guest init's."""
        reg = Registry()
        return cls(UtsNamespace(reg, PROC_UTS_INIT_INO, hostname, domainname),
                   MountNamespace(reg, reg.new_id(), table))

    @property
    def registry(self) -> Registry:
        return self.uts.registry

    def replaced(self, *, uts: bool = False, mnt: bool = False) -> "NsProxy":
        """A proxy with new copies of the kinds asked for (unshare, clone's CLONE_NEW*)."""
        if not (uts or mnt):
            return self
        return NsProxy(self.uts.copy() if uts else self.uts, self.mnt.copy() if mnt else self.mnt)

    def joined(self, ns: "UtsNamespace | MountNamespace") -> "NsProxy":
        """A proxy with `ns` in place of the member of its kind (setns)."""
        if isinstance(ns, UtsNamespace):
            return NsProxy(ns, self.mnt)
        return NsProxy(self.uts, ns)

    def ident(self, kind: str) -> int:
        """The id /proc/PID/ns/`kind` shows."""
        if kind == "uts":
            return self.uts.id
        if kind == "mnt":
            return self.mnt.id
        return self.registry.fixed[kind]
