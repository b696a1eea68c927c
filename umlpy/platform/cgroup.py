"""A sandbox's cgroups: how the host kernel caps a whole sandbox (memory, tasks) and counts its CPU.

Host-side, like host.py: this module knows cgroupfs, not the guest.  Each
sandbox gets one directory `umlpy/<pid>-<hex>` in every hierarchy it uses,
where <pid> is the supervisor's.  Guest init is put in them while it is still
stopped at its first exec, and everything it starts inherits them, threads
included.

    cg = make({"memory", "pids", "cpu"})     # cg.missing says what could not be had, and why
    cg.set_memory(64 << 20); cg.set_pids(20); cg.add(pid)
    ... cg.cpu_seconds(), cg.memory_stats(), cg.pids_stats() ...
    cg.remove()                               # kills what is left, then rmdir

Which hierarchy serves what is found in /proc/self/mountinfo and
/proc/self/cgroup, controller by controller: a cgroup2 mount where the
controller is available there (cgroup.controllers), else a v1 mount of that
controller.  "cpu" is accounting only (cgroups cap a CPU rate, not CPU
seconds): v2's cpu.stat, present in every v2 cgroup with no controller at
all, where a v2 cgroup is made anyway, else v1's cpuacct.usage, else v2.

Where: a v1 cgroup goes under the supervisor's own cgroup in that hierarchy,
so the guest stays inside whatever the supervisor was given.  A v2 cgroup
goes there too when no controller has to be handed down; otherwise the
no-internal-processes rule forbids enabling controllers in a cgroup that
holds processes (the supervisor's own), so it goes under the hierarchy's
root, as docker's cgroupfs driver does.

Nothing is left behind: remove() deletes the sandbox's directories and the
`umlpy` directory too once it is empty; a cgroup left by a supervisor that
was SIGKILLed is swept by the next make() in the same place.
"""
from __future__ import annotations

import errno
import os
import signal
import threading
import time
from dataclasses import dataclass, field

PARENT = "umlpy"
# The v1 controllers, as they appear in the mount options of a cgroup mount.
V1_CONTROLLERS = frozenset({"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "hugetlb",
                            "memory", "misc", "net_cls", "net_prio", "perf_event", "pids", "rdma"})
RESOURCES = ("memory", "pids", "cpu")


@dataclass(frozen=True)
class Hierarchy:
    """One mounted cgroup hierarchy, and the supervisor's own cgroup in it."""
    version: int                    # 1 or 2
    mount: str                      # its mount point
    controllers: frozenset[str]     # v1: the mount's controllers; v2: those at its root
    own: str                        # the supervisor's cgroup, relative to the mount ("" at its root)

    def path(self, rel: str) -> str:
        return os.path.join(self.mount, rel) if rel else self.mount


def _unescape(field_: str) -> str:
    """A mountinfo field with its octal escapes (\\040 for a space) undone."""
    return field_.encode().decode("unicode_escape") if "\\" in field_ else field_


def _read(path: str) -> str:
    """A small kernel file (cgroupfs, procfs) in one read: no buffered file object, whose
    set-up (fstat, ioctl, lseeks) is most of the cost of these."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = [os.read(fd, 65536)]
        while chunks[-1]:
            chunks.append(os.read(fd, 65536))
        return b"".join(chunks).decode()
    finally:
        os.close(fd)


def _write(path: str, value: str) -> None:
    """One write of `value` to a cgroup file (an error from the kernel is the write's)."""
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


_FOUND: list = [None, None]         # hierarchies(): (its input, its answer) last time


def hierarchies(mountinfo: str = "/proc/self/mountinfo",
                own_cgroups: str = "/proc/self/cgroup") -> list[Hierarchy]:
    """The cgroup hierarchies mounted here, first mount of each, with our place in them.
    Worked out again only when the mount table or our cgroups changed: a sandbox's
    start asks twice (cgroup.warmer(), make())."""
    try:
        given = (mountinfo, own_cgroups, _read(own_cgroups), _read(mountinfo))
    except OSError:
        return []
    if _FOUND[0] != given:
        _FOUND[:] = [given, _hierarchies(given[2], given[3].splitlines())]
    return list(_FOUND[1])


def _hierarchies(own_cgroups: str, lines: list[str]) -> list[Hierarchy]:
    own_v1: dict[str, str] = {}
    own_v2: str | None = None
    try:
        for line in own_cgroups.splitlines():
            hid, ctrls, path = line.split(":", 2)
            if hid == "0" and not ctrls:
                own_v2 = path
            for c in ctrls.split(","):
                own_v1[c] = path
    except ValueError:
        return []
    found: list[Hierarchy] = []
    seen: set[str] = set()
    for line in lines:
        pre, _, post = line.partition(" - ")
        f, p = pre.split(), post.split()
        if len(f) < 5 or len(p) < 3 or p[0] not in ("cgroup", "cgroup2") or f[2] in seen:
            continue
        seen.add(f[2])                                  # a bind mount of one already found
        root, mount = _unescape(f[3]), _unescape(f[4])
        if p[0] == "cgroup":
            ctrls = frozenset(o for o in p[2].split(",") if o in V1_CONTROLLERS)
            if not ctrls:
                continue                                # name=systemd and the like
            mine = own_v1.get(min(ctrls))
            version = 1
        else:
            try:
                ctrls = frozenset(_read(os.path.join(mount, "cgroup.controllers")).split())
            except OSError:
                continue
            mine, version = own_v2, 2
        # Our cgroup as a directory under this mount; where the mount shows
        # only a part of the hierarchy that does not hold us, its root.
        rel = ""
        if mine is not None:
            if root == "/":
                rel = mine.strip("/")
            elif mine == root or mine.startswith(root.rstrip("/") + "/"):
                rel = mine[len(root):].strip("/")
        if not os.path.isdir(os.path.join(mount, rel)):
            rel = ""
        found.append(Hierarchy(version, mount, ctrls, rel))
    return found


def plan(found: list[Hierarchy], want) -> tuple[dict[str, Hierarchy], dict[str, str]]:
    """Which hierarchy serves each wanted resource ("memory", "pids", "cpu"), and why not for the others."""
    v2 = next((h for h in found if h.version == 2), None)
    v1 = {c: h for h in found if h.version == 1 for c in h.controllers}
    use: dict[str, Hierarchy] = {}
    missing: dict[str, str] = {}
    for r in ("memory", "pids"):
        if r not in want:
            continue
        if v2 is not None and r in v2.controllers:
            use[r] = v2
        elif r in v1:
            use[r] = v1[r]
        else:
            missing[r] = f"no {r} controller is mounted, as cgroup v1 or v2"
    if "cpu" in want:
        if v2 is not None and v2 in use.values():
            use["cpu"] = v2
        elif "cpuacct" in v1:
            use["cpu"] = v1["cpuacct"]
        elif v2 is not None:
            use["cpu"] = v2
        else:
            missing["cpu"] = "no cgroup hierarchy is mounted (v1 cpuacct or v2)"
    return use, missing


@dataclass
class Cgroup:
    """The cgroup directories of one sandbox; `dirs` maps a resource to (version, directory)."""
    name: str
    dirs: dict[str, tuple[int, str]] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)   # resource -> why it has no cgroup
    made: list[str] = field(default_factory=list)           # directories we created, deepest last

    def where(self, resource: str) -> str:
        """How `resource` is served, in words: "cgroup v1 (/sys/fs/cgroup/pids/umlpy/1-ab)"."""
        version, d = self.dirs[resource]
        return f"cgroup v{version} ({d})"

    # ------------------------------------------------------------ limits
    def set_memory(self, limit: int) -> None:
        """A hard memory cap, swap included: past it the host's OOM killer kills in the sandbox."""
        version, d = self.dirs["memory"]
        if version == 2:
            _write(f"{d}/memory.max", str(limit))
            if os.path.exists(f"{d}/memory.swap.max"):
                _write(f"{d}/memory.swap.max", "0")
        else:
            _write(f"{d}/memory.limit_in_bytes", str(limit))
            if os.path.exists(f"{d}/memory.memsw.limit_in_bytes"):
                _write(f"{d}/memory.memsw.limit_in_bytes", str(limit))

    def set_pids(self, limit: int) -> None:
        """At most `limit` tasks (processes and threads): a clone past it fails with EAGAIN."""
        _write(f"{self.dirs['pids'][1]}/pids.max", str(limit))

    def add(self, pid: int) -> None:
        """Put process `pid` in every cgroup of the sandbox; what it starts inherits them."""
        for d in {d for _, d in self.dirs.values()}:     # one directory may serve two resources
            try:
                _write(f"{d}/cgroup.procs", str(pid))
            except OSError as e:
                for res, (_, other) in list(self.dirs.items()):
                    if other == d:
                        del self.dirs[res]
                        self.missing[res] = f"cannot move the guest into {d}: {e.strerror}"

    # ---------------------------------------------------------- readings
    def cpu_seconds(self) -> float | None:
        """CPU time used by every task the sandbox ever had, in seconds."""
        if "cpu" not in self.dirs:
            return None
        version, d = self.dirs["cpu"]
        try:
            if version == 1:
                return int(_read(f"{d}/cpuacct.usage")) / 1e9
            for line in _read(f"{d}/cpu.stat").splitlines():
                if line.startswith("usage_usec "):
                    return int(line.split()[1]) / 1e6
        except (OSError, ValueError):
            pass
        return None

    def memory_stats(self) -> dict[str, int]:
        """{"oom_kill": tasks the OOM killer killed, "peak": bytes, "limit_reached": times}."""
        if "memory" not in self.dirs:
            return {}
        version, d = self.dirs["memory"]
        out: dict[str, int] = {}
        try:
            if version == 1:
                fields = dict(line.split() for line in _read(f"{d}/memory.oom_control").splitlines())
                out["oom_kill"] = int(fields.get("oom_kill", 0))
                out["limit_reached"] = int(_read(f"{d}/memory.failcnt"))
                out["peak"] = int(_read(f"{d}/memory.max_usage_in_bytes"))
            else:
                fields = dict(line.split() for line in _read(f"{d}/memory.events").splitlines())
                out["oom_kill"] = int(fields.get("oom_kill", 0))
                out["limit_reached"] = int(fields.get("max", 0))
                if os.path.exists(f"{d}/memory.peak"):
                    out["peak"] = int(_read(f"{d}/memory.peak"))
        except (OSError, ValueError):
            pass
        return out

    def pids_stats(self) -> dict[str, int]:
        """{"refused": clones refused at pids.max, "current": tasks now, "peak": the most there were}."""
        if "pids" not in self.dirs:
            return {}
        d = self.dirs["pids"][1]
        out: dict[str, int] = {}
        try:
            fields = dict(line.split() for line in _read(f"{d}/pids.events").splitlines())
            out["refused"] = int(fields.get("max", 0))
            out["current"] = int(_read(f"{d}/pids.current"))
            if os.path.exists(f"{d}/pids.peak"):          # Linux 6.13 and later
                out["peak"] = int(_read(f"{d}/pids.peak"))
        except (OSError, ValueError):
            pass
        return out

    def procs(self) -> set[int]:
        """Host pids of the processes in the sandbox's cgroups."""
        pids: set[int] = set()
        for _, d in set(self.dirs.values()):
            try:
                pids.update(int(p) for p in _read(f"{d}/cgroup.procs").split())
            except (OSError, ValueError):
                pass
        return pids

    # ---------------------------------------------------------- the end
    def kill(self) -> None:
        """SIGKILL every process in the sandbox's cgroups (cgroup.kill where v2 has it)."""
        for version, d in set(self.dirs.values()):
            if version == 2 and os.path.exists(f"{d}/cgroup.kill"):
                try:
                    _write(f"{d}/cgroup.kill", "1")
                except OSError:
                    pass
        for pid in self.procs():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def remove(self, patience: float = 2.0) -> list[str]:
        """Delete the sandbox's directories (killing what is left in them); those that stay."""
        deadline = time.monotonic() + patience
        left = []
        for d in reversed(self.made):
            while True:
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError as e:
                    if e.errno != errno.EBUSY or time.monotonic() > deadline:
                        left.append(d)
                        break
                    self.kill()                  # a task still in it: SIGKILLed tasks leave at once
                    time.sleep(0.005)
        for d in {os.path.dirname(d) for d in self.made}:
            _rmdir_if_empty(d)                   # the shared `umlpy` directory, once nobody uses it
        self.made = left
        self.dirs.clear()
        return left


def _rmdir_if_empty(d: str) -> None:
    if os.path.basename(d) != PARENT:
        return
    try:
        os.rmdir(d)                              # fails while another sandbox's cgroup is in it
    except OSError:
        pass


def _sweep(parent: str) -> None:
    """Remove cgroups of supervisors that died without removing them (SIGKILL)."""
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        pid, dash, _ = name.partition("-")
        if dash and pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            try:
                os.rmdir(os.path.join(parent, name))
            except OSError:
                pass


def _enable(d: str, controllers: set[str]) -> None:
    """Hand `controllers` down to the children of v2 cgroup `d` (cgroup.subtree_control)."""
    have = set(_read(f"{d}/cgroup.subtree_control").split())
    if controllers - have:
        _write(f"{d}/cgroup.subtree_control", " ".join(f"+{c}" for c in sorted(controllers - have)))


def _mkdir_in(base: str, name: str, made: list[str], controllers: set[str] | None = None) -> str:
    """base/umlpy/name, made; with v2 `controllers` handed down on the way.  OSError if it cannot be."""
    parent = os.path.join(base, PARENT)
    for _ in range(5):                               # another sandbox may rmdir `umlpy` meanwhile
        if controllers:
            _enable(base, controllers)
        try:
            os.mkdir(parent)
        except FileExistsError:
            pass
        _sweep(parent)
        try:
            if controllers:
                _enable(parent, controllers)
            d = os.path.join(parent, name)
            os.mkdir(d)
            made.append(d)
            return d
        except FileNotFoundError:
            continue
    raise OSError(errno.ENOENT, "the umlpy cgroup directory keeps vanishing", parent)


class Warmer:
    """Moving a process into a cgroup, done early in the background.

    Every cgroup.procs write takes the host's cgroup_threadgroup_rwsem for
    writing.  It is a per-CPU rwsem: a writer first waits for an RCU grace
    period (rcu_sync_enter), and later writers skip that wait while a
    writer came recently.  That wait is most of a sandbox's cgroup cost at
    start: 10-30 ms on this VM, against 40 us for a write right after
    another.  So, while the sandbox is being built, a thread rewrites the
    supervisor's own pid into its own cgroup (a move to where it already
    is: nothing changes) every few ms, until add() moves guest init, or
    for SECONDS at most (or as long as extend() asks: a warm server keeps
    it going for a while after each run, for the next).  Where no
    cgroup.procs is ours to write (rootless), it does nothing.
    """
    SECONDS = 0.25

    def __init__(self, found: list[Hierarchy] | None = None, seconds: float = SECONDS) -> None:
        self._done = threading.Event()
        self._deadline = time.monotonic() + seconds
        self._thread: threading.Thread | None = None
        for h in hierarchies() if found is None else found:
            procs = os.path.join(h.path(h.own), "cgroup.procs")
            if os.access(procs, os.W_OK):
                self._thread = threading.Thread(target=self._run, args=(procs,), daemon=True,
                                                name="umlpy-cgroup-warmer")
                self._thread.start()
                return

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._done.is_set()

    def extend(self, seconds: float) -> None:
        self._deadline = max(self._deadline, time.monotonic() + seconds)

    def _run(self, procs: str) -> None:
        me = str(os.getpid())
        while not self._done.is_set() and time.monotonic() < self._deadline:
            try:
                _write(procs, me)
            except OSError:
                return
            self._done.wait(0.003)

    def stop(self) -> None:
        self._done.set()


_WARMER: list[Warmer] = []


def warmer(seconds: float = Warmer.SECONDS) -> Warmer:
    """This process's running Warmer, kept going `seconds` more, or a new one: a second
    would only write as often again (a warm server's child starts one as its request
    comes, its sandbox another)."""
    if _WARMER and _WARMER[0].running():
        _WARMER[0].extend(seconds)
    else:
        _WARMER[:] = [Warmer(seconds=seconds)]
    return _WARMER[0]


def make(want, found: list[Hierarchy] | None = None) -> Cgroup:
    """The cgroups for the wanted resources ("memory", "pids", "cpu") of one new sandbox.

    A resource that cannot have one is in `missing`, with the reason; the
    caller falls back to its own accounting there."""
    cg = Cgroup(f"{os.getpid()}-{os.urandom(4).hex()}")
    use, cg.missing = plan(hierarchies() if found is None else found, set(want))
    by_hierarchy: dict[Hierarchy, list[str]] = {}
    for r, h in use.items():
        by_hierarchy.setdefault(h, []).append(r)
    for h, resources in by_hierarchy.items():
        controllers = {r for r in resources if r != "cpu"} if h.version == 2 else set()
        bases = [h.own] if h.version == 1 or not controllers else list(dict.fromkeys([h.own, ""]))
        why = ""
        for rel in bases:
            try:
                d = _mkdir_in(h.path(rel), cg.name, cg.made, controllers)
            except OSError as e:
                why = f"cannot make a cgroup under {h.path(rel)}: {e.strerror or e}"
                continue
            for r in resources:
                cg.dirs[r] = (h.version, d)
            break
        else:
            for r in resources:
                cg.missing[r] = why
    return cg
