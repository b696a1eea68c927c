"""sysfs: the guest's /sys, small and read-only, with what programs read to size
themselves, and /sys/fs/cgroup, the sandbox's own limits as a cgroup v2 root.

Linux's /sys describes the machine's devices; a sandbox has none of its own,
and the host's would tell the guest about hardware it cannot reach.  What
programs do read here is the CPU list (glibc's get_nprocs and get_nprocs_conf,
lscpu, the JVM, Go's runtime) and, in a container, their cgroup's limits (the
JVM and Go size heaps and thread pools from memory.max and cpu.max, found
through /proc/self/cgroup, which says "0::/", and mountinfo, which lists
/sys/fs/cgroup as cgroup2).  So:

  /sys/devices/system/cpu/{online,possible,present,kernel_max} and cpuN/topology/*
      the host's own values, copied (they say no more than /proc/cpuinfo does);
  /sys/fs/cgroup (CgroupFS, its own mount)
      memory.max, pids.max and cpu.max from the sandbox's limits, and
      memory.current, memory.peak and pids.current from the guest kernel's
      accounting (or the sandbox's cgroups where it has them), as LXCFS
      gives a container its own figures;
  /sys/kernel/mm/transparent_hugepage/{enabled,hpage_pmd_size}, copied;
  /sys/class, /sys/block, /sys/bus, /sys/firmware, /sys/module: empty.

Everything else is ENOENT.  Nothing is writable: a write-open is EACCES for
guest users and EROFS for guest root, as on a read-only sysfs.
"""
from __future__ import annotations

import errno
import os
import re
import stat as S
from collections.abc import Callable

from umlpy.fsimpl.procfs.nodes import Node, inode, memfd_with, read_host, tree_node
from umlpy.vfs.fs import FileSystem, Stat, fail

SYS_DEV = os.makedev(0, 21)
CGROUP_DEV = os.makedev(0, 22)
HOST_CPU = "/sys/devices/system/cpu"
CPU_FILES = ("online", "possible", "present", "kernel_max")
TOPOLOGY = ("core_id", "physical_package_id", "die_id", "thread_siblings_list", "core_siblings_list",
            "core_cpus_list", "package_cpus_list")
THP = "/sys/kernel/mm/transparent_hugepage"
EMPTY_DIRS = ("class", "block", "bus", "firmware", "module", "dev", "power", "hypervisor")


def _host_cpus() -> list[str]:
    try:
        return sorted((n for n in os.listdir(HOST_CPU) if re.fullmatch(r"cpu\d+", n)), key=lambda n: int(n[3:]))
    except OSError:
        return []


def _copy(path: str) -> Callable[[], bytes]:
    return lambda: read_host(path) or b""


class _Tree:
    """A read-only tree of Nodes described by nested dicts: a dict is a directory,
    a callable a file's content."""

    def __init__(self, root: dict, time: float) -> None:
        self.root = root
        self.time = time

    def node(self, rel: str) -> Node:
        return tree_node(self.root, [p for p in rel.split("/") if p], self.time)


class _ReadOnlyTreeFS(FileSystem):
    """The FileSystem interface over a _Tree (sysfs and its cgroup mount)."""

    readonly = True
    dev = SYS_DEV

    def __init__(self, tree: _Tree) -> None:
        self.tree = tree

    def lstat(self, rel: str) -> Stat:
        node = self.tree.node(rel)
        t = int(node.time * 1e9)
        return Stat(node.kind | node.perm, ino=inode(self.name + rel), dev=self.dev,
                    nlink=2 if node.kind == S.S_IFDIR else 1, blksize=4096,
                    size=0 if node.kind == S.S_IFDIR else 4096, atime_ns=t, mtime_ns=t, ctime_ns=t)

    def listdir(self, rel: str) -> list[tuple[str, int, int]]:
        node = self.tree.node(rel)
        if node.list is None:
            raise fail(errno.ENOTDIR)
        base = rel.rstrip("/")
        return [(name, dt, inode(self.name + base + "/" + name)) for name, dt in node.list()]

    def open(self, rel: str, flags: int, mode: int) -> int:
        node = self.tree.node(rel)
        if node.kind == S.S_IFDIR:
            raise fail(errno.ENOTDIR)           # the VFS gives directories a placeholder
        if flags & os.O_ACCMODE != os.O_RDONLY or flags & os.O_TRUNC:
            raise fail(errno.EROFS, f"{self.name} is read-only")
        return memfd_with(rel, b"" if flags & os.O_PATH else node.read())


class SysFS(_ReadOnlyTreeFS):
    """The guest's /sys (see the module docstring)."""

    name = "sysfs"

    def __init__(self, boot_time: float) -> None:
        cpus = {f: _copy(f"{HOST_CPU}/{f}") for f in CPU_FILES}
        for cpu in _host_cpus():
            entry: dict = {"topology": {f: _copy(f"{HOST_CPU}/{cpu}/topology/{f}") for f in TOPOLOGY
                                        if os.path.exists(f"{HOST_CPU}/{cpu}/topology/{f}")}}
            if os.path.exists(f"{HOST_CPU}/{cpu}/online"):
                entry["online"] = _copy(f"{HOST_CPU}/{cpu}/online")
            cpus[cpu] = entry
        root = {
            "devices": {"system": {"cpu": cpus}},
            "fs": {"cgroup": {}},               # the mount point of CgroupFS
            "kernel": {"mm": {"transparent_hugepage": {f: _copy(f"{THP}/{f}") for f in ("enabled",
                                                                                       "hpage_pmd_size")}}},
            **{d: {} for d in EMPTY_DIRS},
        }
        super().__init__(_Tree(root, boot_time))


class CgroupFS(_ReadOnlyTreeFS):
    """/sys/fs/cgroup: the sandbox's limits and usage, as the root of a cgroup v2 tree."""

    name = "cgroup2"
    dev = CGROUP_DEV

    def __init__(self, kernel) -> None:
        self.kernel = kernel
        def lines(text: Callable[[], str]) -> Callable[[], bytes]:
            return lambda: (text() + "\n").encode()
        root = {
            "cgroup.controllers": lines(lambda: "cpu memory pids"),
            "cgroup.subtree_control": lines(lambda: ""),
            "cgroup.procs": lines(self._procs),
            "cgroup.type": lines(lambda: "domain"),
            "memory.max": lines(lambda: self._limit("memory")),
            "memory.current": lines(lambda: str(self._memory_now())),
            "memory.peak": lines(lambda: str(max(self._memory_now(), self._usage("memory_peak")))),
            "pids.max": lines(lambda: self._limit("processes")),
            "pids.current": lines(lambda: str(len(self.kernel.pidns.tasks))),
            "cpu.max": lines(lambda: "max 100000"),   # --limit cpu is CPU seconds, not bandwidth
        }
        super().__init__(_Tree(root, kernel.boot_time))

    def _limit(self, name: str) -> str:
        value = self.kernel.enforcement.limits.get(name)
        return "max" if value is None else str(value)

    def _usage(self, key: str) -> int:
        return int(self.kernel.enforcement.usage.get(key, 0))

    def _procs(self) -> str:
        return "\n".join(str(p) for p in self.kernel.pidns.live_pids())

    def _memory_now(self) -> int:
        """Resident memory of the guest's processes now, from the host's /proc."""
        total = 0
        for proc in list(self.kernel.pidns.processes.values()):
            if not proc.alive:
                continue
            statm = read_host(f"/proc/{proc.host_pid}/statm")
            if statm:
                try:
                    total += int(statm.split()[1]) * os.sysconf("SC_PAGE_SIZE")
                except (IndexError, ValueError):
                    continue
        return total
