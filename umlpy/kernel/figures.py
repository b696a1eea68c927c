"""The sandbox's own system figures, as LXCFS gives a container.

Programs size themselves from /proc/meminfo, sysinfo(2), /proc/cpuinfo and
/proc/stat.  In a sandbox with limits, the host's figures are wrong for them
(a build that starts one job per host CPU, a cache that takes a quarter of
the host's RAM).  So, as LXCFS does for containers, the guest sees:

  * memory: MemTotal is the sandbox's memory limit (kernel/limits.py; the
    default limit counts too), the memory in use is what its cgroup counts
    (memory.current: page cache and tmpfs included) or, without a memory
    cgroup, the guest processes' resident memory; MemFree is the rest, and
    MemAvailable adds back the page cache the cgroup could reclaim.  No swap
    (the sandbox is allowed none).  With no memory limit (`memory=unlimited`):
    the host's figures.
  * CPUs: the ones the supervisor was allowed to run on when it started
    (its cpuset and affinity), by their host numbers, as sched_getaffinity
    names them.
  * uptime: since the sandbox started; the number of processes and which
    tasks are running: the guest's.

/proc (fsimpl/procfs/system.py) and sysinfo (syscalls/uts.py) both read
their figures here, so they always agree.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from umlpy.kernel.kernel import Kernel

# Taken when umlpy is imported, before a supervisor pins itself to one CPU
# (kernel.placement): the CPUs a sandbox may use, guest init's own pinning aside.
ALLOWED_CPUS: tuple[int, ...] = tuple(sorted(os.sched_getaffinity(0)))
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Memory:
    """Bytes, as /proc/meminfo and sysinfo show them."""
    total: int
    free: int
    available: int
    cached: int
    shared: int
    swap_total: int
    swap_free: int
    limited: bool            # the sandbox's own figures (else the host's)
    detail: dict[str, int]   # the sandbox's: /proc/meminfo lines by name (from memory.stat)


def host_meminfo() -> dict[str, int]:
    """The host's /proc/meminfo, in bytes (the kB lines) or counts."""
    out: dict[str, int] = {}
    try:
        text = _read("/proc/meminfo")
    except OSError:
        return out
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        words = rest.split()
        if words and words[0].isdigit():
            out[key] = int(words[0]) * (1024 if len(words) > 1 else 1)
    return out


def _host_total() -> int | None:
    """The host's MemTotal in bytes (its first line; the rest is not parsed)."""
    try:
        text = _read("/proc/meminfo")
    except OSError:
        return None
    at = text.find("MemTotal:")
    words = text[at + 9:text.find("\n", at)].split() if at >= 0 else ()
    return int(words[0]) * 1024 if words and words[0].isdigit() else None


def memory(kernel: "Kernel", detail: bool = True) -> Memory:
    """The sandbox's memory, or the host's where it has no memory limit.  Without
    `detail` (sysinfo, which shows no /proc/meminfo line), a limited sandbox reads
    only the host's MemTotal and the four lines of memory.stat its figures need, and
    leaves `Memory.detail` empty: glibc's qsort asks sysinfo(2) at every Python start-up,
    and the whole of both files cost that stop ~400 us."""
    limit = kernel.enforcement.limits.get("memory")
    if limit is None:
        host = host_meminfo()
        return Memory(host.get("MemTotal", 0), host.get("MemFree", 0), host.get("MemAvailable", 0),
                      host.get("Cached", 0), host.get("Shmem", 0), host.get("SwapTotal", 0),
                      host.get("SwapFree", 0), False, {})
    host = host_meminfo() if detail else {"MemTotal": _host_total()}
    used, stat = _cgroup_memory(kernel, None if detail else SYSINFO_STAT)
    if used is None:
        used, stat = _resident(kernel), {}
    if detail:
        lines = {line: stat.get(key, 0) for line, key in MEMINFO_FROM_STAT.items()}
        lines["Active"] = lines["Active(anon)"] + lines["Active(file)"]
        lines["Inactive"] = lines["Inactive(anon)"] + lines["Inactive(file)"]
        lines["Slab"] = lines["SReclaimable"] + lines["SUnreclaim"]
    else:
        lines = {}
    cache = stat.get("active_file", 0) + stat.get("inactive_file", 0)
    total = min(limit, host.get("MemTotal", limit) or limit)
    free = max(0, total - used)
    return Memory(total, free, min(total, free + cache), stat.get("file", cache), stat.get("shmem", 0),
                  0, 0, True, lines)


# /proc/meminfo lines the memory cgroup's memory.stat (v2 names) gives for the sandbox
MEMINFO_FROM_STAT = {
    "Active(anon)": "active_anon", "Inactive(anon)": "inactive_anon", "Active(file)": "active_file",
    "Inactive(file)": "inactive_file", "Unevictable": "unevictable", "AnonPages": "anon",
    "Mapped": "file_mapped", "SReclaimable": "slab_reclaimable", "SUnreclaim": "slab_unreclaimable",
    "KernelStack": "kernel_stack", "PageTables": "pagetables", "Dirty": "file_dirty",
    "Writeback": "file_writeback", "AnonHugePages": "anon_thp",
}


# The memory.stat lines (v2's names) the figures without detail are made of: shared,
# and the page cache that MemAvailable and Cached count.
SYSINFO_STAT = ("shmem", "active_file", "inactive_file", "file")


def _cgroup_memory(kernel: "Kernel", only: tuple[str, ...] | None = None) -> tuple[int | None, dict[str, int]]:
    """(memory.current, memory.stat in v2's names) of the sandbox's memory cgroup;
    `only` those lines of memory.stat, found in its text without parsing the rest."""
    cg = kernel.enforcement.cgroup
    where = getattr(cg, "dirs", {}).get("memory") if cg is not None else None
    if where is None:
        return None, {}
    version, d = where
    try:
        if version == 1 and only is not None:
            used = int(_read(f"{d}/memory.usage_in_bytes"))
            names = {k: V1_NAMES.get(k, "total_" + k) for k in only}
            v1 = _stat_lines(_read(f"{d}/memory.stat"), names.values())
            stat = {k: v1[name] for k, name in names.items() if name in v1}
            for k in V1_NAMES.keys() & names.keys():
                stat.setdefault(k, 0)            # as the full parse: these always appear
            return used, stat
        if only is not None:
            return int(_read(f"{d}/memory.current")), _stat_lines(_read(f"{d}/memory.stat"), only)
        if version == 1:
            used = int(_read(f"{d}/memory.usage_in_bytes"))
            v1 = _stat_file(f"{d}/memory.stat")
            stat = {k.removeprefix("total_"): v for k, v in v1.items() if k.startswith("total_")}
            stat.update(anon=stat.get("rss", 0), file=stat.get("cache", 0),
                        file_mapped=stat.get("mapped_file", 0), file_dirty=stat.get("dirty", 0),
                        file_writeback=stat.get("writeback", 0))
            return used, stat
        return int(_read(f"{d}/memory.current")), _stat_file(f"{d}/memory.stat")
    except (OSError, ValueError):
        return None, {}


def _read(path: str) -> str:
    """A small /proc or cgroup file, whole (no buffered file object: 2-3x cheaper)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        data = b""
        while chunk := os.read(fd, 1 << 16):
            data += chunk
        return data.decode()
    finally:
        os.close(fd)


# v1's memory.stat names of v2's, where they differ by more than "total_" (see _cgroup_memory)
V1_NAMES = {"file": "total_cache", "anon": "total_rss", "file_mapped": "total_mapped_file",
            "file_dirty": "total_dirty", "file_writeback": "total_writeback"}


def _stat_lines(text: str, keys) -> dict[str, int]:
    """The lines `keys` of a "NAME VALUE" file's text, as _stat_file parses them."""
    out = {}
    for key in keys:
        at = text.find(key + " ")
        while at > 0 and text[at - 1] != "\n":          # only at the start of a line
            at = text.find(key + " ", at + 1)
        if at < 0:
            continue
        end = text.find("\n", at)
        v = text[at + len(key) + 1:end if end >= 0 else len(text)]
        if v.strip().isdigit():
            out[key] = int(v)
    return out


def _stat_file(path: str) -> dict[str, int]:
    out = {}
    for line in _read(path).splitlines():
        k, _, v = line.partition(" ")
        if v.strip().isdigit():
            out[k] = int(v)
    return out


def _resident(kernel: "Kernel") -> int:
    """Resident memory of the live guest processes (no memory cgroup to ask)."""
    total = 0
    for proc in list(kernel.pidns.processes.values()):
        if not proc.alive:
            continue
        try:
            with open(f"/proc/{proc.host_pid}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def cpus() -> tuple[int, ...]:
    """The host CPU numbers the sandbox may run on."""
    return ALLOWED_CPUS


def uptime(kernel: "Kernel") -> float:
    return max(0.0, time.time() - kernel.boot_time)


def running_tasks(kernel: "Kernel") -> int:
    """Guest threads that are running or runnable now (at least the one asking).
    A thread in a ptrace stop ("t") is the one being served, or waits for us: not
    counted, except that the caller is always running."""
    n = 0
    for host_tid in list(kernel.pidns.tasks):
        try:
            with open(f"/proc/{host_tid}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        n += state == b"R"
    return max(n, 1)
