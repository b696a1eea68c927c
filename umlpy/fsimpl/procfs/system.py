"""The system-wide files at the top of /proc, and /proc/sys.

cpuinfo and meminfo are the host's, copied.  uptime and stat's btime count
from the guest's boot (the sandbox's start).  loadavg and stat keep the
host's load and CPU figures but show the guest's task count and its last
pid.  version names the sandbox's hostname, filesystems lists the types in
use or mountable (overlay, proc, devtmpfs, tmpfs), swaps is empty and
cmdline is "umlpy".  /proc/sys is a small read-only tree: the guest's own
hostname and domainname, kernel/random/boot_id (fixed for one procfs) and
uuid (new at every read), constants, and a few of the host's values (such as
fs/nr_open and vm/max_map_count).
"""
from __future__ import annotations

import os
import time
import uuid
from typing import Callable

from umlpy.fsimpl.procfs.nodes import Node, const, host_copy, read_host, tree_node


class SystemFiles:
    """Content of the top-level regular files, and lookup in /proc/sys."""

    def __init__(self, kernel) -> None:
        self.kernel = kernel
        self.boot_id = str(uuid.uuid4())
        self._sys = self._sys_tree()

    def files(self) -> dict[str, Callable[[], bytes]]:
        """The top-level files, name -> content, in listing order."""
        return {
            "cpuinfo": host_copy("/proc/cpuinfo"),
            "meminfo": host_copy("/proc/meminfo"),
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
        return tree_node(self._sys, rest, t)

    # ------------------------------------------------------------ files
    def _uptime(self) -> bytes:
        up = max(0.0, time.time() - self.kernel.boot_time)
        ncpu = os.cpu_count() or 1
        return f"{up:.2f} {up * ncpu * 0.9:.2f}\n".encode()

    def _guest_counts(self) -> tuple[int, int]:
        pidns = self.kernel.pidns
        ids = list(pidns.by_guest) + list(pidns.processes)
        return len(pidns.by_guest), max(ids) if ids else 0

    def _loadavg(self) -> bytes:
        host = (read_host("/proc/loadavg") or b"0.00 0.00 0.00").split()
        total, last = self._guest_counts()
        return (b" ".join(host[:3]) + f" 1/{max(total, 1)} {last}\n".encode())

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
        out = []
        for line in host.splitlines():
            k = line.split(" ", 1)[0]
            if k == "btime":
                line = f"btime {int(self.kernel.boot_time)}"
            elif k == "processes":
                line = f"processes {last}"
            elif k == "procs_running":
                line = "procs_running 1"
            elif k == "procs_blocked":
                line = "procs_blocked 0"
            out.append(line)
        return ("\n".join(out) + "\n").encode()

    # -------------------------------------------------------- /proc/sys
    def _sys_tree(self) -> dict:
        k = self.kernel
        def host(path: str, default: str = "0\n") -> Callable[[], bytes]:
            return host_copy("/proc/sys/" + path, default)
        return {
            "kernel": {
                "hostname": lambda: os.fsencode(k.hostname + "\n"),
                "domainname": lambda: os.fsencode(k.domainname + "\n"),
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
                    "uuid": lambda: (str(uuid.uuid4()) + "\n").encode(),
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
