"""procfs: the guest's /proc, generated from the guest kernel's own records.

Everything a guest reads under /proc is produced here, at open time, into a
memfd (so read/lseek/mmap of it run natively).  The guest kernel's records
are the source of every name and id: the PID namespace gives the numeric
directories, the guest argv/exe/cwd/creds come from Process/Task, and the
mount table gives /proc/mounts.  Where only the host knows a fact (memory
use, signal masks, the state letter, the address space), the host's
/proc/<host pid>/... file is read by the supervisor and *translated*:

  * every pid, tgid, ppid, pgrp, session and tpgid becomes a guest id (an id
    outside the sandbox becomes 0) -- the guest never sees a host pid;
  * TracerPid is always 0 and a ptrace stop ("t") is reported as sleeping:
    the supervisor is invisible;
  * paths (maps, fd links) become guest paths, mapped back through the
    mount table's host directories; a host path we cannot map is dropped
    (maps) or shown as an opaque "host:[ino]" (fd links), never leaked;
  * credentials are the virtual ones (the guest is root in its own world).

Which task is asking (for /proc/self) is `kernel.current_task`, set by the
dispatcher before each syscall handler runs.

Magic links (/proc/PID/{exe,cwd,root,fd/N}) read as guest paths, so the path
walk follows them like ordinary symlinks.  An fd link to something with no
path ("pipe:[123]", "socket:[45]", "host:[678]") is relative, so the walk
looks that name up in the same fd directory: a hidden entry that stats as
the object itself, and opens as a fresh open of the same object (pipes and
already-held host files, the latter never with more access than the guest's
own descriptor has).  That keeps `echo hi > /dev/stderr` working when
stderr is a pipe.  Sockets cannot be opened this way (ENXIO, as on Linux);
anon_inode objects (eventfd, epoll, ...) and deleted files are not
reopenable through /proc (ENOENT), unlike Linux.

Not provided: /proc/net, /proc/PID/ns, /proc/PID/mem, writes under /proc/sys.
"""
from __future__ import annotations

import errno
import os
import re
import stat as S
import struct
import time
import uuid
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from umlpy.platform.host import memfd, pidfd_getfd
from umlpy.vfs.fs import DT_DIR, DT_LNK, DT_REG, FileSystem, Stat, fail

if TYPE_CHECKING:
    from umlpy.kernel.task import Process, Task

PROC_DEV = os.makedev(0, 20)
HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
HOST_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
STATES = {"R": "R (running)", "S": "S (sleeping)", "D": "D (disk sleep)", "T": "T (stopped)",
          "t": "S (sleeping)", "Z": "Z (zombie)", "X": "X (dead)", "I": "I (idle)",
          "P": "P (parked)"}
# Host /proc/PID/status lines copied as they are: none of them carries an id.
STATUS_COPY = re.compile(
    r"^(FDSize|Kthread|Vm\w+|Rss\w+|HugetlbPages|CoreDumping|THP_enabled|untag_mask|"
    r"SigQ|SigPnd|ShdPnd|SigBlk|SigIgn|SigCgt|Speculation\w*|x86_\w+|Cpus_allowed\w*|"
    r"Mems_allowed\w*|voluntary_ctxt_switches|nonvoluntary_ctxt_switches|"
    r"tagged_addr_ctrl|Mems\w*)$")
MAPS_LINE = re.compile(r"^([0-9a-f]+-[0-9a-f]+\s+\S+\s+[0-9a-f]+\s+([0-9a-f]+):([0-9a-f]+)\s+(\d+))"
                       r"(\s*)(.*)$")
HIDDEN_FD = re.compile(r"^(pipe|socket|host):\[(\d+)\]$")
AT_UID, AT_EUID, AT_GID, AT_EGID = 11, 12, 13, 14


def _read_host(path: str) -> bytes | None:
    """A host /proc file, or None if it is gone (the process died) or unreadable."""
    try:
        with open(path, "rb", buffering=0) as f:
            chunks = []
            while True:
                b = f.read(65536)
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks)
    except OSError:
        return None


def _ino(path: str) -> int:
    """A stable small inode number for a /proc path."""
    if path == "/":
        return 1
    return (zlib.crc32(path.encode()) & 0x3FFFFFFF) + 2


@dataclass
class Node:
    """One /proc object, described lazily: its content is made only when opened."""
    kind: int                                       # S_IFDIR, S_IFREG, S_IFLNK, ...
    perm: int
    uid: int = 0
    gid: int = 0
    time: float = 0.0
    read: Callable[[], bytes] | None = None         # regular file content
    link: Callable[[], str] | None = None           # symlink target
    list: Callable[[], list[tuple[str, int]]] | None = None   # directory entries
    opener: Callable[[int], int] | None = None      # a custom open (host object)
    writer: Callable[[int], int] | None = None      # open for writing, if allowed
    stat: Callable[[], Stat] | None = None          # a full custom stat


@dataclass
class View:
    """A process or thread as one /proc/N (or /proc/N/task/T) directory shows it."""
    proc: "Process"
    task: "Task | None"     # the thread shown; None for a zombie
    ident: int              # the guest id shown as Pid
    host: str               # host /proc directory the live facts come from
    thread: bool            # a task/<tid> directory (per-thread facts)

    @property
    def alive(self) -> bool:
        return self.proc.alive and self.task is not None


def _dir(entries: Callable[[], list[tuple[str, int]]], **kw) -> Node:
    return Node(S.S_IFDIR, 0o555, list=entries, **kw)


def _file(read: Callable[[], bytes], perm: int = 0o444, **kw) -> Node:
    return Node(S.S_IFREG, perm, read=read, **kw)


def _link(target: Callable[[], str], **kw) -> Node:
    return Node(S.S_IFLNK, 0o777, link=target, **kw)


def _const(s: str) -> Callable[[], bytes]:
    return lambda: s.encode()


def _host_copy(path: str, default: str = "") -> Callable[[], bytes]:
    def read() -> bytes:
        data = _read_host(path)
        return default.encode() if data is None else data
    return read


class ProcFS(FileSystem):
    name = "proc"
    readonly = True

    def __init__(self, kernel) -> None:
        self.kernel = kernel
        self.boot_id = str(uuid.uuid4())
        self._sys = self._sys_tree()

    # ======================================================== FS interface
    def lstat(self, rel: str) -> Stat:
        node = self._node(rel)
        if node.stat is not None:
            return node.stat()
        t = int(node.time * 1e9)
        return Stat(node.kind | node.perm, ino=_ino(rel), dev=PROC_DEV,
                    nlink=2 if node.kind == S.S_IFDIR else 1, uid=node.uid, gid=node.gid,
                    blksize=1024, atime_ns=t, mtime_ns=t, ctime_ns=t)

    def readlink(self, rel: str) -> str:
        node = self._node(rel)
        if node.link is None:
            raise fail(errno.EINVAL)
        return node.link()

    def listdir(self, rel: str) -> list[tuple[str, int, int]]:
        node = self._node(rel)
        if node.list is None:
            raise fail(errno.ENOTDIR)
        base = rel.rstrip("/")
        return [(name, dt, _ino(base + "/" + name)) for name, dt in node.list()]

    def open(self, rel: str, flags: int, mode: int) -> int:
        node = self._node(rel)
        if node.kind == S.S_IFDIR:
            raise fail(errno.ENOTDIR)       # the VFS gives directories a placeholder
        if flags & os.O_PATH or node.kind == S.S_IFLNK:
            return self._memfd(rel, b"")
        if flags & os.O_ACCMODE != os.O_RDONLY or flags & os.O_TRUNC:
            if node.writer is not None:
                return node.writer(flags)
            if node.opener is None:
                raise fail(errno.EACCES)
        if node.opener is not None:
            return node.opener(flags)
        return self._memfd(rel, node.read() if node.read else b"")

    # ========================================================== the tree
    def _node(self, rel: str) -> Node:
        parts = [p for p in rel.split("/") if p]
        boot = self.kernel.boot_time
        if not parts:
            return _dir(self._root_entries, time=boot)
        head, rest = parts[0], parts[1:]
        if head.isdigit():
            view = self._view_of(int(head))
            return self._pid_node(view, rest, "/" + head)
        if head == "self" and not rest:
            return _link(lambda: str(self._me().pid), time=boot)
        if head == "thread-self" and not rest:
            return _link(lambda: f"{self._me().pid}/task/{self._me().tid}", time=boot)
        if head == "sys":
            return self._tree_node(self._sys, rest, boot)
        if not rest:
            node = self._top_files().get(head)
            if node is not None:
                node.time = boot
                return node
        raise fail(errno.ENOENT)

    def _top_files(self) -> dict[str, Node]:
        return {
            "mounts": _link(lambda: "self/mounts"),
            "net": _link(lambda: "self/net"),
            "cpuinfo": _file(_host_copy("/proc/cpuinfo")),
            "meminfo": _file(_host_copy("/proc/meminfo")),
            "uptime": _file(self._uptime),
            "loadavg": _file(self._loadavg),
            "version": _file(self._version),
            "filesystems": _file(self._filesystems),
            "stat": _file(self._stat),
            "swaps": _file(_const("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n")),
            "cmdline": _file(_const("umlpy\n")),
        }

    def _root_entries(self) -> list[tuple[str, int]]:
        out = [(n, DT_LNK if n in ("mounts", "net") else DT_REG) for n in self._top_files()]
        out += [("self", DT_LNK), ("thread-self", DT_LNK), ("sys", DT_DIR)]
        out += [(str(p.pid), DT_DIR) for p in self._visible_processes()]
        return out

    def _tree_node(self, tree: dict, rest: list[str], t: float) -> Node:
        node = tree
        for name in rest:
            if not isinstance(node, dict) or name not in node:
                raise fail(errno.ENOENT)
            node = node[name]
        if isinstance(node, dict):
            sub = node
            return _dir(lambda: [(k, DT_DIR if isinstance(v, dict) else DT_REG)
                                 for k, v in sub.items()], time=t)
        return _file(node, perm=0o444, time=t)

    # ------------------------------------------------------- who is asking
    def _current(self) -> "Task | None":
        return getattr(self.kernel, "current_task", None)

    def _me(self) -> "Task":
        t = self._current()
        if t is None or t.process.pid not in self.kernel.pidns.processes:
            raise fail(errno.ENOENT)
        return t

    def _for_reader(self, path: str) -> str:
        """A guest path as the reader names it (relative to its own root)."""
        t = self._current()
        root = t.fs.root if t is not None else "/"
        if root == "/" or not path.startswith("/"):
            return path
        if path == root:
            return "/"
        if path.startswith(root.rstrip("/") + "/"):
            return path[len(root.rstrip("/")):]
        return path

    def _may_inspect(self, proc: "Process") -> bool:
        """ptrace_may_access, on virtual credentials: root, or the same user."""
        t = self._current()
        if t is None:
            return True
        me, it = t.creds, proc.creds
        return me.euid == 0 or (me.euid == it.ruid == it.euid == it.suid
                                and me.egid == it.rgid == it.egid == it.sgid)

    # ------------------------------------------------------- processes
    def _visible_processes(self) -> list["Process"]:
        procs = self.kernel.pidns.processes.values()
        return sorted((p for p in procs if not p.reaped), key=lambda p: p.pid)

    def _view_of(self, n: int) -> View:
        pidns = self.kernel.pidns
        proc = pidns.processes.get(n)
        if proc is not None and not proc.reaped:
            task = proc.threads.get(n) or next(iter(proc.threads.values()), None)
            if not proc.alive:
                task = None
            return View(proc, task, n, f"/proc/{proc.host_pid}", False)
        task = pidns.by_guest.get(n)          # a thread id: reachable, not listed
        if task is not None and task.process.alive:
            return View(task.process, task, n, f"/proc/{task.host_tid}", False)
        raise fail(errno.ENOENT)

    def _thread_view(self, view: View, tid: int) -> View:
        task = view.proc.threads.get(tid)
        if task is None or not view.proc.alive:
            raise fail(errno.ENOENT)
        return View(view.proc, task, tid, f"/proc/{view.proc.host_pid}/task/{task.host_tid}", True)

    PID_FILES = ("cmdline", "comm", "status", "stat", "statm", "environ", "maps", "smaps",
                 "mounts", "mountinfo", "limits", "cgroup", "auxv", "oom_score_adj",
                 "exe", "cwd", "root", "fd", "fdinfo")

    def _pid_entries(self, view: View) -> list[tuple[str, int]]:
        out = []
        for n in self.PID_FILES:
            dt = DT_LNK if n in ("exe", "cwd", "root") else DT_DIR if n.startswith("fd") else DT_REG
            out.append((n, dt))
        if not view.thread:
            out.append(("task", DT_DIR))
        out.append(("net", DT_DIR))
        return out

    def _pid_node(self, view: View, rest: list[str], base: str) -> Node:
        proc = view.proc
        owner = dict(uid=proc.creds.euid, gid=proc.creds.egid, time=proc.start_time or self.kernel.boot_time)
        if not rest:
            return _dir(lambda: self._pid_entries(view), **owner)
        name, more = rest[0], rest[1:]
        if name == "task" and not view.thread:
            if not more:
                return _dir(lambda: [(str(t), DT_DIR) for t in sorted(view.proc.threads)]
                            if view.proc.alive else [], **owner)
            if not more[0].isdigit():
                raise fail(errno.ENOENT)
            return self._pid_node(self._thread_view(view, int(more[0])), more[1:], base)
        if name in ("fd", "fdinfo"):
            return self._fd_node(view, name, more, owner)
        if name == "net":
            return self._net_node(view, more, owner)
        if more or name not in self.PID_FILES:
            raise fail(errno.ENOENT)
        private = dict(owner, perm=0o400)
        if name == "cmdline":
            return _file(lambda: self._cmdline(view), **owner)
        if name == "comm":
            return _file(lambda: self._comm(view) + b"\n", perm=0o644,
                         writer=lambda fl: self._host_open(view, "comm", fl), **owner)
        if name == "status":
            return _file(lambda: self._status(view), **owner)
        if name == "stat":
            return _file(lambda: self._stat_line(view), **owner)
        if name == "statm":
            return _file(lambda: self._host(view, "statm", "0 0 0 0 0 0 0\n"), **owner)
        if name == "environ":
            return _file(lambda: self._guarded(view, lambda: self._host(view, "environ")), **private)
        if name in ("maps", "smaps"):
            return _file(lambda: self._guarded(view, lambda: self._maps(view, name)), **owner)
        if name == "mounts":
            return _file(self._mounts, **owner)
        if name == "mountinfo":
            return _file(self._mountinfo, **owner)
        if name == "limits":
            return _file(lambda: self._host(view, "limits"), **owner)
        if name == "cgroup":
            return _file(_const("0::/\n"), **owner)
        if name == "auxv":
            return _file(lambda: self._guarded(view, lambda: self._auxv(view)), **private)
        if name == "oom_score_adj":
            return _file(lambda: self._host(view, "oom_score_adj", "0\n"), perm=0o644,
                         writer=lambda fl: self._host_open(view, "oom_score_adj", fl), **owner)
        if name == "exe":
            return _link(lambda: self._magic(view, lambda: self._for_reader(view.proc.exe)), **owner)
        if name == "cwd":
            return _link(lambda: self._magic(view, lambda: self._for_reader(view.task.fs.cwd)), **owner)
        if name == "root":
            return _link(lambda: self._magic(view, lambda: self._for_reader(view.task.fs.root)), **owner)
        raise fail(errno.ENOENT)

    def _guarded(self, view: View, make: Callable[[], bytes]) -> bytes:
        if not self._may_inspect(view.proc):
            raise fail(errno.EACCES)
        return make() if view.alive else b""

    def _magic(self, view: View, target: Callable[[], str]) -> str:
        if not self._may_inspect(view.proc):
            raise fail(errno.EACCES)
        if not view.alive:
            raise fail(errno.ENOENT)
        return target()

    def _host(self, view: View, name: str, default: str = "") -> bytes:
        if not view.alive:
            return default.encode()
        data = _read_host(f"{view.host}/{name}")
        return default.encode() if data is None else data

    def _host_open(self, view: View, name: str, flags: int) -> int:
        """A writable host /proc file of the guest's own thread (comm, oom_score_adj)."""
        if not view.alive or not self._may_inspect(view.proc):
            raise fail(errno.EACCES)
        acc = flags & os.O_ACCMODE
        try:
            return os.open(f"{view.host}/{name}", acc | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError as e:
            raise fail(e.errno or errno.EIO)

    # ------------------------------------------------------ per-process files
    def _cmdline(self, view: View) -> bytes:
        if not view.alive:
            return b""
        return b"".join(a + b"\0" for a in view.proc.argv)

    def _comm(self, view: View) -> bytes:
        """The thread's name: the host's if the guest renamed it natively (PR_SET_NAME)."""
        fallback = view.proc.comm[:15] or b"?"
        if not view.alive:
            return fallback
        host = _read_host(f"{view.host}/comm")
        if not host:
            return fallback
        host = host.rstrip(b"\n")
        try:
            exe = os.readlink(f"/proc/{view.proc.host_pid}/exe")
        except OSError:
            exe = ""
        exe = exe.removesuffix(" (deleted)").rsplit("/", 1)[-1].encode()[:15]
        if host.isdigit() or host == exe:   # the name the host's exec gave it: not the guest's
            return fallback
        return host

    def _state(self, view: View, letter: str) -> str:
        if not view.alive:
            return "Z (zombie)"
        cur = self._current()
        if cur is not None and view.task is cur:
            return "R (running)"              # it is reading this: it runs
        return STATES.get(letter, "S (sleeping)")

    def _ids(self, view: View) -> tuple[int, int, int, int]:
        """(ppid, pgrp, session, tpgid) in guest ids, from the host's stat."""
        parent = view.proc.parent
        ppid = parent.pid if parent is not None else 0
        fields = self._host_stat_fields(view)
        if fields is None:
            return ppid, 0, 0, -1
        g = self.kernel.pidns.to_guest
        def tr(v: str) -> int:
            n = int(v)
            return n if n <= 0 else g(n)
        return ppid, tr(fields[2]), tr(fields[3]), tr(fields[5])

    def _host_stat_fields(self, view: View) -> list[str] | None:
        """Host stat fields from the state on (index 0 = field 3), or None."""
        if not view.alive:
            return None
        raw = _read_host(f"{view.host}/stat")
        if not raw:
            return None
        i = raw.rfind(b")")
        if i < 0:
            return None
        return raw[i + 2:].decode().split()

    def _status(self, view: View) -> bytes:
        proc, task = view.proc, view.task
        c = proc.creds
        ppid, pgrp, sid, _ = self._ids(view)
        fields = self._host_stat_fields(view)
        state = self._state(view, fields[0] if fields else "S")
        host = (self._host(view, "status") or b"").decode(errors="replace")
        hostkv = [line.split(":", 1) for line in host.splitlines() if ":" in line]
        filters = 0
        for k, v in hostkv:
            if k == "Seccomp_filters":
                filters = max(0, int(v.strip() or 0) - 1)    # ours is not the guest's
        last_cap = int((_read_host("/proc/sys/kernel/cap_last_cap") or b"40").strip() or 40)
        full = f"{(1 << (last_cap + 1)) - 1:016x}"
        eff = full if c.euid == 0 else "0" * 16
        umask = task.fs.umask if task is not None else 0o022
        groups = "".join(f"{g} " for g in c.groups) or " "
        nthreads = len(proc.threads) if view.alive else 1
        mine = {
            "Name": self._comm(view).decode(errors="replace"),
            "Umask": f"{umask:04o}",
            "State": state,
            "Tgid": str(proc.pid),
            "Ngid": "0",
            "Pid": str(view.ident),
            "PPid": str(ppid),
            "TracerPid": "0",
            "Uid": f"{c.ruid}\t{c.euid}\t{c.suid}\t{c.euid}",
            "Gid": f"{c.rgid}\t{c.egid}\t{c.sgid}\t{c.egid}",
            "Groups": groups,
            "NStgid": str(proc.pid),
            "NSpid": str(view.ident),
            "NSpgid": str(pgrp),
            "NSsid": str(sid),
            "Threads": str(nthreads),
            "CapInh": "0" * 16,
            "CapPrm": eff,
            "CapEff": eff,
            "CapBnd": full,
            "CapAmb": "0" * 16,
            "NoNewPrivs": "0",
            "Seccomp": "2" if filters else "0",
            "Seccomp_filters": str(filters),
        }
        lines = []
        if not hostkv:                       # a zombie: no host facts, the standard order
            hostkv = [(k, "") for k in mine]
        for k, v in hostkv:
            if k in mine:
                lines.append(f"{k}:\t{mine[k]}")
            elif STATUS_COPY.match(k):
                lines.append(f"{k}:{v}")
        return ("\n".join(lines) + "\n").encode()

    def _stat_line(self, view: View) -> bytes:
        comm = self._comm(view).decode(errors="replace")
        ppid, pgrp, sid, tpgid = self._ids(view)
        f = self._host_stat_fields(view)
        if f is None or len(f) < 20:
            # a zombie (or a vanished host process): what Linux shows for one
            f = ["Z", "0", "0", "0", "0", "-1", "4194316"] + ["0"] * 10 + ["1", "0", "0"] + \
                ["0"] * 30
        f = list(f)
        f[0] = self._state(view, f[0])[0]
        f[1], f[2], f[3], f[5] = str(ppid), str(pgrp), str(sid), str(tpgid)
        if view.alive and len(f) > 19:
            f[19] = str(self._guest_ticks(int(f[19])))
        return f"{view.ident} ({comm}) {' '.join(f)}\n".encode()

    def _guest_ticks(self, host_ticks: int) -> int:
        """A host since-boot clock-tick count as ticks since the guest's boot."""
        host_boot_wall = time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)
        offset = (self.kernel.boot_time - host_boot_wall) * HZ
        return max(0, int(host_ticks - offset))

    def _auxv(self, view: View) -> bytes:
        raw = self._host(view, "auxv")
        c = view.proc.creds
        fix = {AT_UID: c.ruid, AT_EUID: c.euid, AT_GID: c.rgid, AT_EGID: c.egid}
        out = bytearray()
        for i in range(0, len(raw) - 15, 16):
            key, val = struct.unpack_from("<QQ", raw, i)
            out += struct.pack("<QQ", key, fix.get(key, val))
        return bytes(out)

    # ------------------------------------------------------------- maps
    def _prefixes(self) -> list[tuple[str, str]]:
        """(host directory, guest mount point) of every host-backed mount, longest first."""
        out = []
        for m in self.kernel.vfs.mounts.mounts:
            fs = m.fs
            dirs = []
            for layer in (getattr(fs, "upper", None), getattr(fs, "lower", None), fs):
                d = getattr(layer, "host_dir", None)
                if isinstance(d, str):
                    dirs.append(d)
            for d in dirs:
                out.append((os.path.realpath(d), m.point))
                if os.path.abspath(d) != os.path.realpath(d):
                    out.append((os.path.abspath(d), m.point))
        out.sort(key=lambda x: len(x[0]), reverse=True)
        return out

    def _guest_path(self, host_path: str, dev: int, ino: int,
                    prefixes: list[tuple[str, str]]) -> str | None:
        for hdir, point in prefixes:
            if host_path == hdir or host_path.startswith(hdir.rstrip("/") + "/"):
                rest = host_path[len(hdir.rstrip("/")):]
                g = (point.rstrip("/") + rest) or "/"
                return self._for_reader(g)
        g = self.kernel.vfs.objects.get((dev, ino))
        return self._for_reader(g) if g else None

    def _maps(self, view: View, name: str) -> bytes:
        raw = self._host(view, name).decode(errors="surrogateescape")
        prefixes = self._prefixes()
        out = []
        for line in raw.splitlines():
            m = MAPS_LINE.match(line)
            if m is None or not m.group(6).startswith("/"):
                out.append(line)           # smaps detail lines, anonymous and [special] maps
                continue
            head, pad, path = m.group(1), m.group(5), m.group(6)
            deleted = path.endswith(" (deleted)")
            bare = path.removesuffix(" (deleted)")
            if bare.startswith(("/memfd:", "/SYSV")) or path == "/dev/zero (deleted)":
                g = bare                   # the guest's own anonymous objects: not host paths
            else:
                dev = os.makedev(int(m.group(2), 16), int(m.group(3), 16))
                g = self._guest_path(bare, dev, int(m.group(4)), prefixes)
            if g is None:
                out.append(head)
            else:
                out.append(head + pad + g + (" (deleted)" if deleted else ""))
        return ("\n".join(out) + ("\n" if out else "")).encode(errors="surrogateescape")

    # ------------------------------------------------------------- fds
    def _host_fds(self, view: View) -> list[int]:
        if not view.alive:
            return []
        try:
            names = os.listdir(f"/proc/{view.proc.host_pid}/fd")
        except OSError:
            return []
        return sorted(int(n) for n in names if n.isdigit())

    def _fd_link(self, view: View, n: int) -> str:
        """What readlink(/proc/PID/fd/N) shows: a guest path or an object's name."""
        proc = view.proc
        try:
            host = os.readlink(f"/proc/{proc.host_pid}/fd/{n}")
        except OSError:
            raise fail(errno.ENOENT)
        if not host.startswith("/"):
            return host                          # pipe:[..], socket:[..], anon_inode:[..]
        deleted = " (deleted)" if host.endswith(" (deleted)") and not host.startswith("/memfd:") else ""
        hst = None
        if proc.pidfd is not None:
            hfd = pidfd_getfd(proc.pidfd, n)
            if hfd >= 0:
                try:
                    path, hst = self.kernel.vfs.path_of_host_fd(hfd)
                finally:
                    os.close(hfd)
                if path is not None:
                    return self._for_reader(path) + deleted
        bare = host.removesuffix(" (deleted)")
        if bare.startswith("/memfd:"):
            return host
        if host in HOST_DEVICES:
            return host
        if self.kernel.config.tty is not None and bare == self.kernel.config.tty:
            return "/dev/console"
        if hst is not None:
            return f"host:[{hst.st_ino}]"
        return "anon_inode:[unknown]"

    def _fd_mode(self, view: View, n: int) -> int:
        raw = _read_host(f"/proc/{view.proc.host_pid}/fdinfo/{n}") or b""
        m = re.search(rb"^flags:\s*([0-7]+)", raw, re.M)
        acc = int(m.group(1), 8) & os.O_ACCMODE if m else os.O_RDWR
        return {os.O_RDONLY: 0o500, os.O_WRONLY: 0o300}.get(acc, 0o700)

    def _fdinfo(self, view: View, n: int) -> bytes:
        raw = _read_host(f"/proc/{view.proc.host_pid}/fdinfo/{n}")
        if raw is None:
            raise fail(errno.ENOENT)
        g = self.kernel.pidns.to_guest
        out = []
        for line in raw.decode(errors="replace").splitlines():
            k, sep, v = line.partition(":")
            if sep and k.strip() in ("Pid", "NSpid", "NStgid", "Tgid", "pid"):
                ids = [int(x) for x in v.split() if x.lstrip("-").isdigit()]
                shown = [str(x if x <= 0 else g(x) or -1) for x in ids[:1]]
                line = f"{k}:\t{' '.join(shown)}"
            out.append(line)
        return ("\n".join(out) + "\n").encode()

    def _fd_node(self, view: View, which: str, more: list[str], owner: dict) -> Node:
        def guard() -> None:
            if not self._may_inspect(view.proc):
                raise fail(errno.EACCES)
        if not more:
            def entries() -> list[tuple[str, int]]:
                guard()
                dt = DT_LNK if which == "fd" else DT_REG
                return [(str(n), dt) for n in self._host_fds(view)]
            return Node(S.S_IFDIR, 0o500, list=entries, **owner)
        if len(more) > 1:
            raise fail(errno.ENOENT)
        name = more[0]
        if not name.isdigit():
            if which == "fd":
                guard()
                return self._hidden_fd(view, name, owner)
            raise fail(errno.ENOENT)
        n = int(name)
        guard()
        if n not in self._host_fds(view):
            raise fail(errno.ENOENT)
        if which == "fdinfo":
            return _file(lambda: self._fdinfo(view, n), perm=0o400, **owner)
        node = _link(lambda: self._fd_link(view, n), **owner)
        node.perm = self._fd_mode(view, n)
        return node

    def _hidden_fd(self, view: View, name: str, owner: dict) -> Node:
        """fd/pipe:[ino] and friends: where the walk lands following a pathless fd link."""
        m = HIDDEN_FD.match(name)
        if m is None:
            raise fail(errno.ENOENT)
        for n in self._host_fds(view):
            try:
                if self._fd_link(view, n) == name:
                    break
            except Exception:
                continue
        else:
            raise fail(errno.ENOENT)
        proc = view.proc

        def host_stat() -> os.stat_result:
            if proc.pidfd is None:
                raise fail(errno.ENOENT)
            hfd = pidfd_getfd(proc.pidfd, n)
            if hfd < 0:
                raise fail(errno.ENOENT)
            try:
                return os.fstat(hfd)
            finally:
                os.close(hfd)

        def stat() -> Stat:
            st = Stat.from_host(host_stat())
            return st.with_(uid=owner["uid"], gid=owner["gid"])

        def opener(flags: int) -> int:
            kind = m.group(1)
            if kind == "socket":
                raise fail(errno.ENXIO)
            want = host_stat()
            acc = flags & os.O_ACCMODE
            if kind == "host":
                have = self._fd_mode(view, n)
                allowed = {0o500: (os.O_RDONLY,), 0o300: (os.O_WRONLY,)}.get(
                    have, (os.O_RDONLY, os.O_WRONLY, os.O_RDWR))
                if acc not in allowed:
                    raise fail(errno.EACCES)
            # O_TRUNC only with write access: O_RDONLY|O_TRUNC would truncate
            # (we open as root) a file the guest may only read.
            keep = os.O_ACCMODE | os.O_APPEND | (os.O_TRUNC if kind == "host" and acc != os.O_RDONLY else 0)
            try:
                # Nonblocking so that a write-open of a pipe with no reader cannot hang us.
                fd = os.open(f"/proc/{proc.host_pid}/fd/{n}",
                             (flags & keep) | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
            except OSError as e:
                raise fail(e.errno or errno.EIO)
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) != (want.st_dev, want.st_ino):
                os.close(fd)
                raise fail(errno.ENOENT)
            if not flags & os.O_NONBLOCK:
                os.set_blocking(fd, True)
            return fd

        return Node(S.S_IFREG, 0o600, stat=stat, opener=opener, **owner)

    # --------------------------------------------------------------- net
    # The guest's network namespace is a real one, so the host kernel's view
    # of it, read through the guest's own /proc/PID/net, is the guest's truth.
    NET_FILES = ("dev", "if_inet6", "route", "ipv6_route", "tcp", "tcp6", "udp", "udp6",
                 "raw", "raw6", "snmp", "netstat", "sockstat", "sockstat6", "arp")

    def _net_node(self, view: View, rest: list[str], owner: dict) -> Node:
        if not rest:
            return _dir(lambda: [(n, DT_REG) for n in self.NET_FILES], **owner)
        if len(rest) != 1 or rest[0] not in self.NET_FILES:
            raise fail(errno.ENOENT)
        host = f"/proc/{view.proc.host_pid}/net/{rest[0]}"
        return _file(lambda: _read_host(host) or b"", **owner)

    # ------------------------------------------------------------ mounts
    def _mount_list(self):
        ms = list(self.kernel.vfs.mounts.mounts)
        ms.sort(key=lambda m: (m.point != "/", m.point.count("/"), m.point))
        return ms

    @staticmethod
    def _source(m) -> str:
        return m.source if m.source and not m.source.startswith("/") else (m.fstype or "none")

    @staticmethod
    def _opts(m) -> str:
        opts = "ro" if m.readonly else "rw"
        if m.fstype == "proc":
            opts += ",nosuid,nodev,noexec,relatime"
        elif m.fstype in ("devtmpfs",):
            opts += ",nosuid,relatime"
        elif m.fstype == "tmpfs":
            opts += ",nosuid,nodev"
        else:
            opts += ",relatime"
        return opts

    def _mounts(self) -> bytes:
        lines = []
        for m in self._mount_list():
            fstype = m.fstype or m.fs.name
            lines.append(f"{self._source(m)} {_escape(m.point)} {fstype} {self._opts(m)} 0 0")
        return ("\n".join(lines) + "\n").encode()

    def _mountinfo(self) -> bytes:
        ms = self._mount_list()
        ids = {m.point: 20 + i for i, m in enumerate(ms)}
        lines = []
        for i, m in enumerate(ms):
            parent = ids["/"] if m.point != "/" else ids["/"] - 1
            p = m.point
            while p != "/":
                p = p.rsplit("/", 1)[0] or "/"
                if p in ids and p != m.point:
                    parent = ids[p]
                    break
            fstype = m.fstype or m.fs.name
            try:
                dev = m.fs.lstat("/").dev if m.fs is not self else PROC_DEV
            except Exception:
                dev = os.makedev(0, 30 + i)
            lines.append(f"{ids[m.point]} {parent} {os.major(dev)}:{os.minor(dev)} / {_escape(m.point)} "
                         f"{self._opts(m)} - {fstype} {self._source(m)} "
                         f"{'ro' if m.readonly else 'rw'}")
        return ("\n".join(lines) + "\n").encode()

    # ------------------------------------------------------ system files
    def _uptime(self) -> bytes:
        up = max(0.0, time.time() - self.kernel.boot_time)
        ncpu = os.cpu_count() or 1
        return f"{up:.2f} {up * ncpu * 0.9:.2f}\n".encode()

    def _guest_counts(self) -> tuple[int, int]:
        pidns = self.kernel.pidns
        ids = list(pidns.by_guest) + list(pidns.processes)
        return len(pidns.by_guest), max(ids) if ids else 0

    def _loadavg(self) -> bytes:
        host = (_read_host("/proc/loadavg") or b"0.00 0.00 0.00").split()
        total, last = self._guest_counts()
        return (b" ".join(host[:3]) + f" 1/{max(total, 1)} {last}\n".encode())

    def _version(self) -> bytes:
        u = os.uname()
        return f"Linux version {u.release} (umlpy@{self.kernel.hostname}) (gcc) {u.version}\n".encode()

    def _filesystems(self) -> bytes:
        kinds = []
        for fs in ["overlay", "proc", "devtmpfs", "tmpfs"] + \
                  [m.fstype for m in self.kernel.vfs.mounts.mounts]:
            if fs and fs not in kinds and fs != "bind":
                kinds.append(fs)
        return "".join(f"nodev\t{k}\n" for k in kinds).encode()

    def _stat(self) -> bytes:
        host = (_read_host("/proc/stat") or b"").decode(errors="replace")
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

    def _sys_tree(self) -> dict:
        k = self.kernel
        def host(path: str, default: str = "0\n") -> Callable[[], bytes]:
            return _host_copy("/proc/sys/" + path, default)
        return {
            "kernel": {
                "hostname": lambda: (k.hostname + "\n").encode(),
                "domainname": lambda: (k.domainname + "\n").encode(),
                "ostype": _const("Linux\n"),
                "osrelease": lambda: (os.uname().release + "\n").encode(),
                "version": lambda: (os.uname().version + "\n").encode(),
                "pid_max": _const("4194304\n"),
                "threads-max": host("kernel/threads-max", "63704\n"),
                "ngroups_max": _const("65536\n"),
                "cap_last_cap": host("kernel/cap_last_cap", "40\n"),
                "overflowuid": _const("65534\n"),
                "overflowgid": _const("65534\n"),
                "random": {
                    "boot_id": lambda: (self.boot_id + "\n").encode(),
                    "uuid": lambda: (str(uuid.uuid4()) + "\n").encode(),
                    "entropy_avail": _const("256\n"),
                    "poolsize": _const("256\n"),
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
            "net": {"core": {"somaxconn": _const("4096\n")}},
        }

    # ------------------------------------------------------------ memfd
    def _memfd(self, rel: str, data: bytes) -> int:
        """A read-only descriptor of a fresh memfd holding `data`."""
        fd = memfd("proc" + rel.replace("/", ":"))
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            # Reopen read-only: the guest may read (and mmap) it, not write it.
            return os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_CLOEXEC)
        finally:
            os.close(fd)


def _escape(path: str) -> str:
    """/proc/mounts escaping of spaces, tabs, newlines and backslashes."""
    return (path.replace("\\", "\\134").replace(" ", "\\040").replace("\t", "\\011")
            .replace("\n", "\\012"))
