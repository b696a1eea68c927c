"""Resource limits: what a sandbox may use in all, and what each of its processes may.

    Sandbox(limits={"memory": "256M", "cpu": 10, "processes": 64},
            ulimits={"nofile": "1024:4096", "core": 0})

`limits` hold for the whole sandbox, and the host kernel enforces them with
the sandbox's cgroups (umlpy/platform/cgroup.py) where it can:

- memory: bytes, every guest process together, page cache and tmpfs files
  they write included, swap allowed none.  Past it the host's OOM killer
  kills a guest process (the biggest).  Default: half the host's RAM, at
  most 4G.
- processes: tasks, processes and threads alike (pids.max).  A fork or
  pthread_create past it fails with EAGAIN.  Default: 1024.
- cpu: seconds of CPU time, every guest task together, the dead ones too.
  The cgroup counts (cgroups themselves only cap a rate); the supervisor
  looks every 50 ms and kills the whole sandbox once it is over.  Default:
  none.
- disk: bytes of the writable layer and /tmp together (not a --persist
  directory, which is the host's disk).  They live in a tmpfs of this size
  that is mounted nowhere (Kernel._state_dir); past it the guest gets
  ENOSPC, and df shows it.  Default: a quarter of the host's RAM, at most 1G.

Where a controller is missing, umlpy is not root, or no cgroup can be made,
the limit falls back to the guest kernel's own accounting plus per-process
rlimits, and `how` says so for the report: memory is the sum of the guest
processes' anonymous RSS, looked at every 100 ms, plus RLIMIT_AS; cpu the sum
of their CPU times from /proc, plus RLIMIT_CPU; tasks are counted by the
guest kernel at fork and clone, threads too (RLIMIT_NPROC would count every
task of the host user 65534, other sandboxes' too).

`ulimits` are per-process rlimits, with docker's names and NAME=SOFT[:HARD]
values.  The supervisor sets them on guest init while it is stopped at its
first exec, and every guest process inherits them.
"""
from __future__ import annotations

import os
import resource
import threading
from collections.abc import Callable, Iterable, Mapping

from umlpy.abi.errno import KernelError
from umlpy.platform import cgroup as cgroups

UNLIMITED = resource.RLIM_INFINITY
RLIM_INFINITY64 = (1 << 64) - 1        # RLIM_INFINITY as the guest reads it: an unsigned 64-bit word
KNOWN = ("memory", "cpu", "processes", "disk")
# Per-process limits that used to be --limit names: where they went.
MOVED = {"file_size": "fsize", "open_files": "nofile"}
# docker's --ulimit names -> RLIMIT_* numbers (<asm-generic/resource.h>)
ULIMITS = {"cpu": 0, "fsize": 1, "data": 2, "stack": 3, "core": 4, "rss": 5, "nproc": 6, "nofile": 7,
           "memlock": 8, "as": 9, "locks": 10, "sigpending": 11, "msgqueue": 12, "nice": 13,
           "rtprio": 14, "rttime": 15}
SUFFIXES = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
DEFAULT_PROCESSES = 1024
MEMORY_CAP = 4 << 30
DISK_CAP = 1 << 30
# The option help of `umlpy run --limit` and `--ulimit` (README.md says the same).
LIMITS_HELP = ("a limit for the whole sandbox, enforced by the host's cgroups where it has them "
               "(--report says how): memory=SIZE (default: half the host's RAM, at most 4G; "
               "OOM kill past it), processes=N tasks, threads included (default 1024; EAGAIN past it), "
               "cpu=SECONDS of CPU time, all processes together (default: none; the sandbox is killed "
               "past it), disk=SIZE for the writable layer and /tmp (default: a quarter of the RAM, "
               "at most 1G; ENOSPC past it); VALUE unlimited lifts a default")
ULIMITS_HELP = ("a per-process rlimit, as docker's --ulimit: NAME=SOFT[:HARD] (unlimited or -1 for "
                "none), NAME one of " + ", ".join(ULIMITS))
CPU_POLL = 0.05          # how often the supervisor reads the CPU time used (seconds)
RSS_POLL = 0.1           # ... and, where no cgroup counts memory, the guest's RSS


def default_memory() -> int:
    """Half the host's RAM, at most 4G."""
    try:
        ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return MEMORY_CAP
    return min(ram // 2, MEMORY_CAP)


def default_disk() -> int:
    """A quarter of the host's RAM, at most 1G: the writable layer and /tmp are in memory."""
    try:
        ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return DISK_CAP
    return min(ram // 4, DISK_CAP)


def defaults() -> dict[str, int | None]:
    return {"memory": default_memory(), "cpu": None, "processes": DEFAULT_PROCESSES, "disk": default_disk()}


def _number(value: int | str, what: str, *, zero: bool) -> int | None:
    """128, "64K", "256M", "2G" -> a number; "unlimited" (or -1) -> None."""
    if isinstance(value, int) and not isinstance(value, bool):
        n = value
    else:
        v = str(value).strip().lower()
        if v in ("unlimited", "-1"):
            return None
        mult = SUFFIXES.get(v[-1:], 1)
        digits = v[:-1] if v[-1:] in SUFFIXES else v
        if not digits.isdigit():
            raise ValueError(f"bad {what} value {value!r}: expected a number like 64, 512K, 256M, 2G "
                             "or unlimited")
        n = int(digits) * mult
    if n == -1:
        return None
    if n < 0 or (n == 0 and not zero):
        raise ValueError(f"bad {what} value {value!r}: must be {'0 or more' if zero else 'positive'}")
    return n


def parse_size(value: int | str) -> int | None:
    """A sandbox-wide limit's value: bytes or a count; None for unlimited."""
    return _number(value, "limit", zero=False)


def parse_limits(limits: Mapping[str, int | str | None] | None) -> dict[str, int | None]:
    """The sandbox-wide limits, defaults filled in (None: unlimited), or ValueError naming what is wrong."""
    out = defaults()
    for name, value in (limits or {}).items():
        if name in MOVED:
            raise ValueError(f"{name} is a per-process limit: use --ulimit {MOVED[name]}=N "
                             f"(ulimits={{'{MOVED[name]}': N}})")
        if name not in KNOWN:
            raise ValueError(f"unknown limit {name!r}: expected one of {', '.join(KNOWN)}")
        out[name] = None if value is None else parse_size(value)
    return out


def parse_ulimit(name: str, value) -> tuple[int, int]:
    """One per-process limit: N, "SOFT:HARD", (SOFT, HARD); "unlimited" or -1 for no limit."""
    if name not in ULIMITS:
        raise ValueError(f"unknown ulimit {name!r}: expected one of {', '.join(sorted(ULIMITS))}")
    if isinstance(value, (tuple, list)):
        parts = list(value)
    elif isinstance(value, str):
        parts = value.split(":")
    else:
        parts = [value]
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2:
        raise ValueError(f"bad ulimit {name}={value!r}: expected SOFT[:HARD]")
    soft, hard = (_number(p, f"ulimit {name}", zero=True) for p in parts)
    soft = UNLIMITED if soft is None else soft
    hard = UNLIMITED if hard is None else hard
    if _key(soft) > _key(hard):
        raise ValueError(f"bad ulimit {name}={value!r}: the soft limit is above the hard one")
    return soft, hard


def _key(value: int) -> float:
    """An rlimit value for comparing: RLIM_INFINITY (-1 in Python) above every number."""
    return float("inf") if value == UNLIMITED else value


def parse_ulimits(ulimits: Mapping[str, object] | None) -> dict[str, tuple[int, int]]:
    """Validated per-process limits {name: (soft, hard)}, or ValueError."""
    return {name: parse_ulimit(name, value) for name, value in (ulimits or {}).items()}


def show(name: str, value: int | None) -> str:
    """A limit's value in words: 64M, 1024 tasks, 10 s."""
    if value is None:
        return "unlimited"
    if name == "cpu":
        return f"{value} s"
    if name == "processes":
        return f"{value} tasks"
    for suffix, mult in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if value % mult == 0:
            return f"{value // mult}{suffix}"
    return str(value)


# ------------------------------------------------------------------ rlimits
# Set in guest init by the spawn, before its exec: the host never dumps a
# guest's core (its core_pattern could run a host program), so RLIMIT_CORE is
# 0 on the host, and the guest's is virtual (guest_core_limit,
# kernel/coredump.py).  In the spawn, not by set_rlimits: that needs a
# forked helper where the supervisor lacks CAP_SYS_RESOURCE (5 ms a start).
SPAWN_RLIMITS = {resource.RLIMIT_CORE: 0}

def set_rlimits(pid: int, rlimits: Mapping[int, tuple[int, int]], uid: int, gid: int) -> None:
    """Set host process `pid`'s rlimits from outside; KernelError naming the limit if one cannot be.

    prlimit(2) on another process needs CAP_SYS_RESOURCE, or the caller's
    real ids to be the target's.  Where the supervisor lacks the capability
    (this VM's root does), a short-lived child takes the guest's ids and sets
    them; it can lower a hard limit, never raise it above the supervisor's.
    """
    if not rlimits:
        return
    try:
        for res, value in rlimits.items():
            resource.prlimit(pid, res, value)
        return
    except PermissionError:
        pass
    r, w = os.pipe()
    child = os.fork()
    if child == 0:                                  # pragma: no cover (runs in the child)
        code = 0
        try:
            os.close(r)
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            for res, value in rlimits.items():
                code = res + 1
                resource.prlimit(pid, res, value)
            code = 0
        except OSError as e:
            os.write(w, f"{code} {e.errno}".encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        failed = f.read()
    os.waitpid(child, 0)
    if failed:
        code, err = (int(x) for x in failed.split())
        name = next((n for n, v in ULIMITS.items() if v == code - 1), "a limit")
        hard = resource.getrlimit(code - 1)[1] if code else UNLIMITED
        why = os.strerror(err)
        if _key(rlimits.get(code - 1, (0, 0))[1]) > _key(hard):
            why = f"above umlpy's own hard limit {hard}, which it lacks CAP_SYS_RESOURCE to raise"
        raise KernelError(err, f"cannot set the ulimit {name}: {why}")


# --------------------------------------------------------------- enforcement
class Enforcement:
    """How one sandbox's limits are enforced, and what they saw: `how`, `hit`, `usage`.

    attach(pid) puts guest init (stopped at its first exec) in the sandbox's
    cgroups and sets its rlimits; watch() starts the supervisor's CPU (and
    fallback memory) check; close() reads what the cgroups counted and
    removes them."""

    def __init__(self, limits: Mapping[str, int | None], ulimits: Mapping[str, tuple[int, int]],
                 uid: int, gid: int) -> None:
        self.limits = {k: v for k, v in limits.items() if v is not None}
        self.ulimits = dict(ulimits)
        self.uid, self.gid = uid, gid
        self.cgroup: cgroups.Cgroup | None = None
        self.how: dict[str, str] = {}          # limit -> how it is enforced, in words
        self.hit: list[str] = []               # limits the sandbox ran into
        self.hit_how: dict[str, str] = {}      # ... and what happened
        self.usage: dict[str, float] = {}      # cpu_seconds, memory_peak (bytes), tasks_peak
        self.fallback: set[str] = set()        # limits the guest kernel itself counts
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._lock = threading.Lock()
        self._cpu_seen: dict[int, float] = {}  # fallback: host pid -> its CPU seconds, last seen
        # The host's first cgroup move waits for an RCU grace period: begin it now (platform/cgroup.py).
        wanted = {"memory", "processes", "cpu"} & set(self.limits)
        self._warmer = cgroups.warmer() if wanted else None

    # ------------------------------------------------------------- start
    def attach(self, pid: int) -> None:
        """Guest init `pid`, not yet run: cgroups, then rlimits.  KernelError if an rlimit cannot be set."""
        wanted = {"memory": "memory", "processes": "pids", "cpu": "cpu"}    # disk: the kernel's tmpfs
        want = {wanted[n] for n in self.limits if n in wanted}
        missing: dict[str, str] = {}
        if want:                  # rootless too: a cgroup delegated to the user serves as well
            self.cgroup = cgroups.make(want)
            cg = self.cgroup
            for name, setter in (("memory", cg.set_memory), ("pids", cg.set_pids)):
                limit = self.limits.get("processes" if name == "pids" else name)
                if name in cg.dirs:
                    try:
                        setter(limit)
                    except OSError as e:
                        del cg.dirs[name]
                        cg.missing[name] = f"cannot set the limit in the cgroup: {e.strerror}"
            cg.add(pid)
            missing = cg.missing
        if self._warmer is not None:
            self._warmer.stop()
        # RLIMIT_CORE is set by the spawn itself (SPAWN_RLIMITS), and virtual for the guest.
        rlimits = {ULIMITS[n]: v for n, v in self.ulimits.items() if n != "core"}
        for name, limit in self.limits.items():
            res = wanted.get(name)
            if res is None:
                continue
            if res not in missing:
                self.how[name] = self._cgroup_words(name, res)
                continue
            self.fallback.add(name)
            extra = self._fallback(name, limit, rlimits)
            self.how[name] = f"guest kernel: {extra} (no cgroup: {missing[res]})"
        set_rlimits(pid, rlimits, self.uid, self.gid)

    def guest_core_limit(self) -> tuple[int, int]:
        """Guest init's virtual RLIMIT_CORE: --ulimit core=..., else the supervisor's own
        (what a program started from here would inherit); infinity as 2**64-1."""
        value = self.ulimits.get("core") or resource.getrlimit(ULIMITS["core"])
        soft, hard = (RLIM_INFINITY64 if v in (-1, UNLIMITED) else v for v in value)
        return soft, hard

    def _cgroup_words(self, name: str, res: str) -> str:
        where = self.cgroup.where(res)
        if name == "memory":
            return f"host kernel, memory {where}: OOM kill past it"
        if name == "processes":
            return f"host kernel, pids {where}: threads count, EAGAIN past it"
        return f"CPU counted by {where}; the supervisor kills the sandbox past it"

    def _fallback(self, name: str, limit: int, rlimits: dict[int, tuple[int, int]]) -> str:
        """Add the fallback's rlimit to `rlimits` (the lower of it and a --ulimit); its words."""
        def lower(res: int, value: tuple[int, int]) -> None:
            old = rlimits.get(res, value)
            rlimits[res] = (min(old[0], value[0], key=_key), min(old[1], value[1], key=_key))
        if name == "memory":
            lower(ULIMITS["as"], (limit, limit))
            return "sum of the guest processes' anonymous RSS every 0.1 s, and RLIMIT_AS per process"
        if name == "cpu":
            lower(ULIMITS["cpu"], (limit, limit + 1))
            return "sum of the guest processes' CPU times from /proc, and RLIMIT_CPU per process"
        # Not RLIMIT_NPROC: it counts every task of the host user, other sandboxes' too.
        return "tasks counted by the guest kernel at fork and clone (threads count too)"

    # ------------------------------------------------------------- watch
    def watch(self, kill: Callable[[], None], processes: Callable[[], Iterable[int]]) -> None:
        """If the sandbox needs watching (cpu, or memory with no cgroup), watch it from a thread.

        `kill()` kills the whole sandbox; `processes()` gives the host pids
        of the live guest processes (for the fallback's accounting)."""
        if "cpu" not in self.limits and "memory" not in self.fallback:
            return
        self._watcher = threading.Thread(target=self._watch, args=(kill, processes),
                                         name="umlpy-limits", daemon=True)
        self._watcher.start()

    def _watch(self, kill, processes) -> None:
        every = CPU_POLL if "memory" not in self.fallback else RSS_POLL
        while not self._stop.wait(every):
            over = self._over(processes)
            if over:
                self._note_hit(*over)
                while not self._stop.is_set():     # again until the stop loop has seen every death
                    kill()
                    self._stop.wait(0.05)
                return

    def _over(self, processes) -> tuple[str, str] | None:
        cpu = self.limits.get("cpu")
        if cpu is not None:
            used = self.cpu_seconds(processes)
            if used is not None and used > cpu:
                return "cpu", f"{used:.2f} s of CPU used: the sandbox was killed"
        if "memory" in self.fallback:
            rss = sum(_anon_rss(pid) for pid in list(processes()))
            if rss > self.limits["memory"]:
                return "memory", f"{rss >> 20} MiB of anonymous memory in use: the sandbox was killed"
        return None

    def cpu_seconds(self, processes: Callable[[], Iterable[int]] | None = None) -> float | None:
        """CPU seconds the sandbox used: the cgroup's count, or the guest kernel's from /proc."""
        if "cpu" not in self.fallback:
            cg = self.cgroup
            return cg.cpu_seconds() if cg is not None else None
        if processes is not None:
            for pid in list(processes()):
                t = _cpu_time(pid)
                if t is not None:
                    self._cpu_seen[pid] = max(t, self._cpu_seen.get(pid, 0.0))
        return sum(self._cpu_seen.values())

    def _note_hit(self, name: str, what: str) -> None:
        if name not in self.hit:
            self.hit.append(name)
            self.hit_how[name] = what

    def kill(self) -> None:
        """Kill every process in the sandbox's cgroups (the ones the guest kernel knows are the caller's)."""
        cg = self.cgroup
        if cg is not None:
            cg.kill()

    # --------------------------------------------------------------- end
    def close(self) -> list[str]:
        """Stop watching, read what the cgroups counted, remove them; the directories left behind."""
        self._stop.set()
        if self._warmer is not None:
            self._warmer.stop()
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(timeout=5)
        with self._lock:
            cg, self.cgroup = self.cgroup, None
            used = cg.cpu_seconds() if cg is not None and "cpu" not in self.fallback else None
            if used is None and self._cpu_seen:
                used = sum(self._cpu_seen.values())
            if used is not None:
                self.usage["cpu_seconds"] = round(used, 3)
            if cg is None:
                return []
            mem = cg.memory_stats()
            if mem.get("peak"):
                self.usage["memory_peak"] = mem["peak"]
            if mem.get("oom_kill"):
                self._note_hit("memory", f"the host's OOM killer killed {mem['oom_kill']} "
                                         f"guest process{'es' if mem['oom_kill'] > 1 else ''}")
            pids = cg.pids_stats()
            if pids.get("peak"):
                self.usage["tasks_peak"] = pids["peak"]
            if pids.get("refused"):
                n = pids["refused"]
                self._note_hit("processes", f"{n} fork{'s' if n > 1 else ''} or clone{'s' if n > 1 else ''} "
                                            "refused (EAGAIN)")
            return cg.remove()


def _cpu_time(pid: int) -> float | None:
    """utime + stime of host process `pid` (all its threads), in seconds."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _anon_rss(pid: int) -> int:
    """Anonymous resident memory of host process `pid`, in bytes."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"RssAnon:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0

