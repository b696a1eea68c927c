"""The system-wide files at the top of /proc, and /proc/sys.

meminfo, cpuinfo, stat, uptime and loadavg are the sandbox's own figures
where it has limits, as LXCFS gives a container (kernel/figures.py): the
memory limit as MemTotal and its use, only the CPUs it may run on, the
uptime since its start, its own running tasks and last pid; the host's
figures fill in the rest.  version is the host kernel's, filesystems lists
the types in use or mountable (overlay, proc, devtmpfs, tmpfs), swaps is
empty and cmdline is "umlpy".  /proc/sys is a small tree: the reader's UTS
namespace's hostname and domainname (writable by guest root: `Sysctl`, the
one mechanism for every writable /proc/sys file), kernel/random/boot_id
(fixed for one procfs) and uuid (new at every read), constants, and a few of
the host's values (such as fs/nr_open and vm/max_map_count).
"""
from __future__ import annotations

import errno
import functools
import os
from typing import Callable

from umlpy.fsimpl.procfs.nodes import Node, const, file_node, host_copy, read_host, tree_node
from umlpy.kernel import figures
from umlpy.platform.host import memfd
from umlpy.vfs.fs import fail


class Sysctl:
    """A writable /proc/sys file: how it reads, who may write it, what a write does.

    write(2) runs natively on a descriptor the guest holds, so the guest
    kernel does not see the write itself.  A write-open gets a fresh memfd;
    `bind()`, called then, names where the value goes: the `pending` list of
    the object the value belongs to (the opener's UTS namespace, the kernel)
    and the `store` function that sets it.  A *taker* left in that list reads
    the memfd and, if it holds new bytes, hands them to `store`.  Whoever reads the value
    (a syscall, /proc, the core dump code) runs that list's takers first
    (`take_pending`), so no reader sees the old value after a write.  Linux
    keeps a written value up to the first newline; `store` is given the raw
    bytes and does that.  The newest MAX_PENDING descriptors per list are
    watched (the guest may hold them open); an older one is taken a last
    time and forgotten.
    """

    MAX_PENDING = 8

    def __init__(self, read: Callable[[], bytes],
                 bind: Callable[[], tuple[list, Callable[[bytes], None]]],
                 may_write: Callable[[], bool]) -> None:
        self.read = read
        self.bind = bind
        self.may_write = may_write

    def __call__(self) -> bytes:
        return self.read()

    def node(self, t: float) -> Node:
        return file_node(self.read, perm=0o644, writer=self.open_write, time=t)

    def open_write(self, flags: int) -> int:
        if not self.may_write():
            raise fail(errno.EACCES)
        pending, store = self.bind()
        fd = memfd("proc:sys")
        seen = [b""]

        def take() -> None:
            data = os.pread(fd, 4096, 0)
            if data != seen[0]:
                seen[0] = data
                if data:
                    store(data)
        take.fd = fd                                  # type: ignore[attr-defined]
        pending.append(take)
        while len(pending) > self.MAX_PENDING:
            old = pending.pop(0)
            old()
            os.close(old.fd)
        # The guest's descriptor: the same memfd, with the access mode it asked for.
        return os.open(f"/proc/self/fd/{fd}", (flags & (os.O_ACCMODE | os.O_APPEND)) | os.O_CLOEXEC)


def take_pending(pending: list) -> None:
    """Run the takers of writes to writable sysctls (see Sysctl)."""
    for take in list(pending):
        take()


def first_line(data: bytes, limit: int) -> bytes:
    """What Linux's proc_dostring keeps of a write: up to a newline or NUL, at most `limit` bytes."""
    return data.split(b"\n", 1)[0].split(b"\0", 1)[0][:limit]


def _uuid4() -> str:
    import uuid       # here, not at the top: its import costs every start-up 2 ms
    return str(uuid.uuid4())


class SystemFiles:
    """Content of the top-level regular files, and lookup in /proc/sys."""

    def __init__(self, kernel) -> None:
        self.kernel = kernel
        self._sys = self._sys_tree()

    @functools.cached_property
    def boot_id(self) -> str:
        return _uuid4()

    def files(self) -> dict[str, Callable[[], bytes]]:
        """The top-level files, name -> content, in listing order."""
        return {
            "cpuinfo": self._cpuinfo,
            "meminfo": self._meminfo,
            "uptime": self._uptime,
            "loadavg": self._loadavg,
            "version": self._version,
            "filesystems": self._filesystems,
            "stat": self._stat,
            "swaps": const("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"),
            "cmdline": const("umlpy\n"),
        }

    def sys_node(self, rest: list[str], t: float) -> Node:
        """The node at `rest` below /proc/sys."""
        leaf: object = self._sys
        for name in rest:
            leaf = leaf.get(name) if isinstance(leaf, dict) else None
        if isinstance(leaf, Sysctl):
            return leaf.node(t)
        return tree_node(self._sys, rest, t)

    # ------------------------------------------------------------ files
    def _uptime(self) -> bytes:
        up = figures.uptime(self.kernel)
        ncpu = len(figures.cpus())
        return f"{up:.2f} {up * ncpu * 0.9:.2f}\n".encode()

    def _meminfo(self) -> bytes:
        """The host's lines, with the sandbox's own figures where it has a memory limit."""
        host = (read_host("/proc/meminfo") or b"").decode(errors="replace")
        mem = figures.memory(self.kernel)
        if not mem.limited:
            return host.encode()
        mine = {"MemTotal": mem.total, "MemFree": mem.free, "MemAvailable": mem.available,
                "Buffers": 0, "Cached": mem.cached, "SwapCached": 0, "Shmem": mem.shared,
                "SwapTotal": mem.swap_total, "SwapFree": mem.swap_free, **mem.detail}
        out = []
        for line in host.splitlines():
            key = line.split(":", 1)[0]
            if key in mine:
                line = f"{key + ':':<16}{mine[key] // 1024:>8} kB"
            out.append(line)
        return ("\n".join(out) + "\n").encode()

    def _cpuinfo(self) -> bytes:
        """The host's, only the processors the sandbox may run on."""
        host = (read_host("/proc/cpuinfo") or b"").decode(errors="replace")
        allowed = set(figures.cpus())
        blocks = [b for b in host.split("\n\n") if b.strip()]
        keep = []
        for b in blocks:
            first = b.split("\n", 1)[0]
            num = first.split(":", 1)[1].strip() if first.startswith("processor") else ""
            if not num.isdigit() or int(num) in allowed:
                keep.append(b)
        return ("\n\n".join(keep) + "\n\n").encode() if keep else host.encode()

    def _guest_counts(self) -> tuple[int, int]:
        """(live guest tasks, the guest id handed out last)."""
        pidns = self.kernel.pidns
        return len(pidns.by_guest), pidns.last

    def _loadavg(self) -> bytes:
        host = (read_host("/proc/loadavg") or b"0.00 0.00 0.00").split()
        total, last = self._guest_counts()
        running = figures.running_tasks(self.kernel)
        return (b" ".join(host[:3]) + f" {running}/{max(total, running)} {last}\n".encode())

    def _version(self) -> bytes:
        u = os.uname()
        return os.fsencode(f"Linux version {u.release} (umlpy@{self.kernel.hostname}) (gcc) {u.version}\n")

    def _filesystems(self) -> bytes:
        kinds = []
        for fs in ["overlay", "proc", "devtmpfs", "tmpfs"] + \
                  [m.fstype for m in self.kernel.vfs.mounts.mounts]:
            if fs and fs not in kinds and fs != "bind":
                kinds.append(fs)
        return "".join(f"nodev\t{k}\n" for k in kinds).encode()

    def _stat(self) -> bytes:
        host = (read_host("/proc/stat") or b"").decode(errors="replace")
        total, last = self._guest_counts()
        allowed = {f"cpu{n}" for n in figures.cpus()}
        out = []
        for line in host.splitlines():
            k = line.split(" ", 1)[0]
            if k.startswith("cpu") and k != "cpu" and k not in allowed:
                continue
            if k == "btime":
                line = f"btime {int(self.kernel.boot_time)}"
            elif k == "processes":
                line = f"processes {last}"
            elif k == "procs_running":
                line = f"procs_running {figures.running_tasks(self.kernel)}"
            elif k == "procs_blocked":
                line = "procs_blocked 0"
            out.append(line)
        return ("\n".join(out) + "\n").encode()

    # -------------------------------------------------------- /proc/sys
    def _uts(self):
        """The reader's UTS namespace (kernel/namespaces.py)."""
        task = getattr(self.kernel, "current_task", None)
        if task is None or task.ns is None:
            raise fail(errno.ENOENT)
        return task.ns.uts

    def _uts_sysctl(self, field: str) -> Sysctl:
        """kernel/hostname and kernel/domainname: the reader's UTS namespace's, written by
        guest root (Linux's sysctl permission: owner root, mode 0644) into the writer's."""
        def bind():
            uts = self._uts()
            return uts.pending, lambda data: uts.set(field, os.fsdecode(first_line(data, 64)))
        return Sysctl(read=lambda: os.fsencode(self._uts().get(field) + "\n"), bind=bind,
                      may_write=lambda: self.kernel.current_task.creds.euid == 0)

    def _core_sysctl(self, name: str) -> Sysctl:
        """kernel/core_pattern and core_uses_pid: the sandbox's own (kernel/coredump.py),
        written by guest root; the host's are never read nor written."""
        core = self.kernel.core

        def read() -> bytes:
            pattern, uses_pid = core.current()
            return (pattern if name == "core_pattern" else str(uses_pid).encode()) + b"\n"
        store = core.set_pattern if name == "core_pattern" else core.set_uses_pid
        return Sysctl(read=read, bind=lambda: (core.pending, store),
                      may_write=lambda: self.kernel.current_task.creds.euid == 0)

    def _sys_tree(self) -> dict:
        def host(path: str, default: str = "0\n") -> Callable[[], bytes]:
            return host_copy("/proc/sys/" + path, default)
        return {
            "kernel": {
                "hostname": self._uts_sysctl("hostname"),
                "domainname": self._uts_sysctl("domainname"),
                "core_pattern": self._core_sysctl("core_pattern"),
                "core_uses_pid": self._core_sysctl("core_uses_pid"),
                "tainted": const("0\n"),
                "ostype": const("Linux\n"),
                "osrelease": lambda: (os.uname().release + "\n").encode(),
                "version": lambda: (os.uname().version + "\n").encode(),
                "pid_max": const("4194304\n"),
                "threads-max": host("kernel/threads-max", "63704\n"),
                "ngroups_max": const("65536\n"),
                "cap_last_cap": host("kernel/cap_last_cap", "40\n"),
                "overflowuid": const("65534\n"),
                "overflowgid": const("65534\n"),
                "random": {
                    "boot_id": lambda: (self.boot_id + "\n").encode(),
                    "uuid": lambda: (_uuid4() + "\n").encode(),
                    "entropy_avail": const("256\n"),
                    "poolsize": const("256\n"),
                },
            },
            "vm": {
                "overcommit_memory": host("vm/overcommit_memory"),
                "max_map_count": host("vm/max_map_count", "65530\n"),
                "mmap_min_addr": host("vm/mmap_min_addr", "65536\n"),
            },
            "fs": {
                "nr_open": host("fs/nr_open", "1048576\n"),
                "file-max": host("fs/file-max", "9223372036854775807\n"),
                "pipe-max-size": host("fs/pipe-max-size", "1048576\n"),
            },
            "net": {"core": {"somaxconn": const("4096\n")}},
        }
