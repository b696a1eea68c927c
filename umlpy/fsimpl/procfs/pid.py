"""/proc/PID and /proc/PID/task/TID: one directory per guest process and thread.

The numeric directories come from the guest's PID namespace: every process
not yet reaped is listed (a zombie too), and a thread id is reachable
without being listed, as on Linux.  A task/TID directory shows the same
files, with the thread's own facts, and no task/.  The files are cmdline,
comm, status, stat, statm, environ, maps and smaps (maps.py), mounts and
mountinfo (mounts.py), limits, cgroup, auxv, oom_score_adj, the exe, cwd and
root links, and the fd/, fdinfo/ (fd.py) and net/ (net.py) directories.

Argv, exe, cwd, root and the credentials are the guest kernel's own records.
What only the host knows (the state letter, memory use, signal masks,
limits, the environment, the aux vector) is read from the host's /proc
directory of the process or thread and translated: every pid, ppid, pgrp,
session and tpgid becomes a guest id (an id outside the sandbox becomes 0),
TracerPid is a guest tracer's pid (kernel/ptrace.py), else 0, and the
supervisor's ptrace stops read as sleeping, the credentials,
capabilities and auxv ids are the virtual ones, and our own seccomp filter
is not counted.  environ, auxv, maps, smaps, the exe, cwd and root links
and fd/ need ptrace access to the process (kernel/creds.py may_ptrace; a
non-dumpable process's files are root's).  comm and oom_score_adj are writable: they open the host's file of
the same thread.
"""
from __future__ import annotations

import errno
import os
import re
import struct
import time
from typing import TYPE_CHECKING, Callable

from umlpy.fsimpl.procfs.fd import FdDirs
from umlpy.fsimpl.procfs.maps import translate_maps
from umlpy.fsimpl.procfs.mounts import mountinfo, mounts
from umlpy.fsimpl.procfs.ns import ns_node
from umlpy.fsimpl.procfs.net import net_node
from umlpy.fsimpl.procfs.nodes import Context, Node, View, const, dir_node, file_node, link_node, read_host
from umlpy.vfs.fs import DT_DIR, DT_LNK, DT_REG, fail

if TYPE_CHECKING:
    from umlpy.kernel.task import Process

HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
STATES = {"R": "R (running)", "S": "S (sleeping)", "D": "D (disk sleep)", "T": "T (stopped)",
          "t": "S (sleeping)", "Z": "Z (zombie)", "X": "X (dead)", "I": "I (idle)",
          "P": "P (parked)"}
# Host /proc/PID/status lines copied as they are: none of them carries an id.
STATUS_COPY = re.compile(
    r"^(FDSize|Kthread|Vm\w+|Rss\w+|HugetlbPages|CoreDumping|THP_enabled|untag_mask|"
    r"SigQ|SigPnd|ShdPnd|SigBlk|SigIgn|SigCgt|Speculation\w*|x86_\w+|Cpus_allowed\w*|"
    r"Mems_allowed\w*|voluntary_ctxt_switches|nonvoluntary_ctxt_switches|"
    r"tagged_addr_ctrl|Mems\w*)$")
AT_UID, AT_EUID, AT_GID, AT_EGID = 11, 12, 13, 14
AT_PHDR, AT_PHNUM, AT_BASE, AT_ENTRY = 3, 5, 7, 9
PID_FILES = ("cmdline", "comm", "status", "stat", "statm", "environ", "maps", "smaps",
             "mounts", "mountinfo", "limits", "cgroup", "auxv", "oom_score_adj",
             "exe", "cwd", "root", "fd", "fdinfo", "mem")


class PidDirs:
    """Lookup and content of the per-process and per-thread directories."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.kernel = ctx.kernel
        self.fds = FdDirs(ctx)

    # ------------------------------------------------------- processes
    def visible(self) -> list["Process"]:
        """The processes /proc lists, in pid order."""
        procs = self.kernel.pidns.processes.values()
        return sorted((p for p in procs if not p.reaped), key=lambda p: p.pid)

    def view_of(self, n: int) -> View:
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

    def _entries(self, view: View) -> list[tuple[str, int]]:
        out = []
        for n in PID_FILES:
            dt = DT_LNK if n in ("exe", "cwd", "root") else DT_DIR if n.startswith("fd") else DT_REG
            out.append((n, dt))
        if not view.thread:
            out.append(("task", DT_DIR))
        out.append(("net", DT_DIR))
        out.append(("ns", DT_DIR))
        return out

    # ---------------------------------------------------------- lookup
    def node(self, view: View, rest: list[str]) -> Node:
        """The node at `rest` below the directory `view` shows."""
        proc = view.proc
        # task_dump_owner: a non-dumpable process's files belong to root
        uid, gid = (proc.creds.euid, proc.creds.egid) if proc.dumpable else (0, 0)
        owner = dict(uid=uid, gid=gid, time=proc.start_time or self.kernel.boot_time)
        if not rest:
            return dir_node(lambda: self._entries(view), **owner)
        name, more = rest[0], rest[1:]
        if name == "task" and not view.thread:
            if not more:
                return dir_node(lambda: [(str(t), DT_DIR) for t in sorted(view.proc.threads)]
                                if view.proc.alive else [], **owner)
            if not more[0].isdigit():
                raise fail(errno.ENOENT)
            return self.node(self._thread_view(view, int(more[0])), more[1:])
        if name in ("fd", "fdinfo"):
            return self.fds.node(view, name, more, owner)
        if name == "net":
            return net_node(view, more, owner)
        if name == "ns":
            return ns_node(self.ctx, view, more, owner)
        if more or name not in PID_FILES:
            raise fail(errno.ENOENT)
        return self._file(view, name, owner)

    def _file(self, view: View, name: str, owner: dict) -> Node:
        """One of the PID_FILES other than fd and fdinfo."""
        private = dict(owner, perm=0o400)
        if name == "cmdline":
            return file_node(lambda: self._cmdline(view), **owner)
        if name == "comm":
            return file_node(lambda: self._comm(view) + b"\n", perm=0o644,
                             writer=lambda fl: self._host_open(view, "comm", fl), **owner)
        if name == "status":
            return file_node(lambda: self._status(view), **owner)
        if name == "stat":
            return file_node(lambda: self._stat_line(view), **owner)
        if name == "statm":
            return file_node(lambda: self._host(view, "statm", "0 0 0 0 0 0 0\n"), **owner)
        if name == "environ":
            return file_node(lambda: self._guarded(view, lambda: self._host(view, "environ")), **private)
        if name in ("maps", "smaps"):
            return file_node(lambda: self._guarded(view, lambda: self._maps(view, name)), **owner)
        if name == "mounts":
            return file_node(lambda: mounts(self.kernel, self._mount_table(view)), **owner)
        if name == "mountinfo":
            return file_node(lambda: mountinfo(self.kernel, self._mount_table(view)), **owner)
        if name == "limits":
            return file_node(lambda: self._host(view, "limits"), **owner)
        if name == "cgroup":
            return file_node(const("0::/\n"), **owner)
        if name == "auxv":
            return file_node(lambda: self._guarded(view, lambda: self._auxv(view)), **private)
        if name == "oom_score_adj":
            return file_node(lambda: self._host(view, "oom_score_adj", "0\n"), perm=0o644,
                             writer=lambda fl: self._host_open(view, "oom_score_adj", fl), **owner)
        if name == "mem":
            return file_node(lambda: b"", perm=0o600, opener=lambda fl: self._mem_open(view, fl), **owner)
        for_reader = self.ctx.for_reader
        if name == "exe":
            return link_node(lambda: self._magic(view, lambda: for_reader(view.proc.exe)), **owner)
        if name == "cwd":
            return link_node(lambda: self._magic(view, lambda: for_reader(view.task.fs.cwd)), **owner)
        if name == "root":
            return link_node(lambda: self._magic(view, lambda: for_reader(view.task.fs.root)), **owner)
        raise fail(errno.ENOENT)

    def _mount_table(self, view: View):
        """The mount table of the shown thread's mount namespace (None: the reader's)."""
        return view.task.ns.mnt.table if view.alive and view.task.ns is not None else None

    def _mem_open(self, view: View, flags: int) -> int:
        """/proc/PID/mem: the host's own file of that process, opened by the supervisor
        (its host tracer) once the guest's ptrace rule allows it; reads and writes
        then run natively, with the host's semantics (a debugger's breakpoint
        may write to read-only text).  The rule is checked at open, as Linux's mem_open."""
        if not view.alive:
            raise fail(errno.ENOENT)
        if not self.ctx.may_inspect(view.proc):
            raise fail(errno.EACCES)
        try:
            return os.open(f"{view.host}/mem", flags & os.O_ACCMODE | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError as e:
            raise fail(e.errno or errno.EIO)

    # ----------------------------------------------- access and host facts
    def _guarded(self, view: View, make: Callable[[], bytes]) -> bytes:
        if not self.ctx.may_inspect(view.proc, mm=True):
            raise fail(errno.EACCES)
        return make() if view.alive else b""

    def _magic(self, view: View, target: Callable[[], str]) -> str:
        if not self.ctx.may_inspect(view.proc):
            raise fail(errno.EACCES)
        if not view.alive:
            raise fail(errno.ENOENT)
        return target()

    def _host(self, view: View, name: str, default: str = "") -> bytes:
        if not view.alive:
            return default.encode()
        data = read_host(f"{view.host}/{name}")
        return default.encode() if data is None else data

    def _host_open(self, view: View, name: str, flags: int) -> int:
        """A writable host /proc file of the guest's own thread (comm, oom_score_adj)."""
        if not view.alive or not self.ctx.may_inspect(view.proc):
            raise fail(errno.EACCES)
        acc = flags & os.O_ACCMODE
        try:
            return os.open(f"{view.host}/{name}", acc | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError as e:
            raise fail(e.errno or errno.EIO)

    def _host_stat_fields(self, view: View) -> list[str] | None:
        """Host stat fields from the state on (index 0 = field 3), or None."""
        if not view.alive:
            return None
        raw = read_host(f"{view.host}/stat")
        if not raw:
            return None
        i = raw.rfind(b")")
        if i < 0:
            return None
        return raw[i + 2:].decode().split()

    # ------------------------------------------------------------ files
    def _cmdline(self, view: View) -> bytes:
        """The argument area as the process's memory holds it now (a program may rewrite
        it): the host's, less what the exec through ld.so put around argv[0]."""
        if not view.alive:
            return b""
        layout = view.proc.cmdline_layout
        raw = read_host(f"/proc/{view.proc.host_pid}/cmdline") if layout is not None else None
        if raw is not None and raw.startswith(layout[0]):
            prefix, first, program = layout
            raw = raw[len(prefix):]
            if program is not None and raw[first:].startswith(program + b"\0"):
                raw = raw[:first] + raw[first + len(program) + 1:]
            return raw
        return b"".join(a + b"\0" for a in view.proc.argv)

    def _comm(self, view: View) -> bytes:
        """The thread's name: the host's if the guest renamed it natively (PR_SET_NAME)."""
        fallback = view.proc.comm[:15] or b"?"
        if not view.alive:
            return fallback
        host = read_host(f"{view.host}/comm")
        if not host:
            return fallback
        host = host.rstrip(b"\n")
        if view.proc.exec_host_comm:          # the host's name since the exec is not the guest's
            return fallback if host == view.proc.exec_host_comm else host
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
        cur = self.ctx.current()
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

    def _status(self, view: View) -> bytes:
        """The host's status lines in the host's order: ours replaced, id-free ones copied."""
        host = (self._host(view, "status") or b"").decode(errors="replace")
        hostkv = [line.split(":", 1) for line in host.splitlines() if ":" in line]
        filters = 0
        for k, v in hostkv:
            if k == "Seccomp_filters":
                filters = max(0, int(v.strip() or 0) - 1)    # ours is not the guest's
        mine = self._status_fields(view, filters)
        lines = []
        if not hostkv:                       # a zombie: no host facts, the standard order
            hostkv = [(k, "") for k in mine]
        for k, v in hostkv:
            if k in mine:
                lines.append(f"{k}:\t{mine[k]}")
            elif STATUS_COPY.match(k):
                lines.append(f"{k}:{v}")
        return ("\n".join(lines) + "\n").encode()

    def _status_fields(self, view: View, filters: int) -> dict[str, str]:
        """The status fields the guest kernel states itself, in Linux's order."""
        proc, task = view.proc, view.task
        c = proc.creds
        ppid, pgrp, sid, _ = self._ids(view)
        fields = self._host_stat_fields(view)
        state = self._state(view, fields[0] if fields else "S")
        if task is not None and task.ptrace is not None and task.ptrace.stop is not None:
            state = "t (tracing stop)"                 # held for its guest tracer (kernel/ptrace.py)
        umask = task.fs.umask if task is not None else 0o022
        groups = "".join(f"{g} " for g in c.groups) or " "
        nthreads = len(proc.threads) if view.alive else 1
        return {
            "Name": self._comm(view).decode(errors="replace"),
            "Umask": f"{umask:04o}",
            "State": state,
            "Tgid": str(proc.pid),
            "Ngid": "0",
            "Pid": str(view.ident),
            "PPid": str(ppid),
            "TracerPid": str(task.ptrace.tracer.process.pid if task is not None and task.ptrace else 0),
            "Uid": f"{c.ruid}\t{c.euid}\t{c.suid}\t{c.fsuid}",
            "Gid": f"{c.rgid}\t{c.egid}\t{c.sgid}\t{c.fsgid}",
            "Groups": groups,
            "NStgid": str(proc.pid),
            "NSpid": str(view.ident),
            "NSpgid": str(pgrp),
            "NSsid": str(sid),
            "Threads": str(nthreads),
            "CapInh": f"{c.cap_inh:016x}",
            "CapPrm": f"{c.cap_prm:016x}",
            "CapEff": f"{c.cap_eff:016x}",
            "CapBnd": f"{c.cap_bnd:016x}",
            "CapAmb": f"{c.cap_amb:016x}",
            "NoNewPrivs": str(int(task.no_new_privs)) if task is not None else "0",
            "Seccomp": str(task.seccomp_mode if task is not None else 0),
            "Seccomp_filters": str(filters),
        }

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
        fix.update(self._program_auxv(view, raw))
        out = bytearray()
        for i in range(0, len(raw) - 15, 16):
            key, val = struct.unpack_from("<QQ", raw, i)
            out += struct.pack("<QQ", key, fix.get(key, val))
        return bytes(out)

    def _program_auxv(self, view: View, raw: bytes) -> dict[int, int]:
        """The entries that name the program, as a direct exec would have them.

        The host exec'd the guest's ld.so with the program as its argument
        (kernel/loader.py), so the host's copy names ld.so: its entry point
        and program headers, and no interpreter base.  A debugger reading
        this file needs the program's (gdb relocates a PIE by AT_ENTRY and
        finds the dynamic linker by AT_BASE): they are computed from where
        ld.so mapped the program (its first mapping, at file offset 0) and
        the ELF header there.  Empty if the program was exec'd directly."""
        host = dict(struct.unpack_from("<QQ", raw, i) for i in range(0, len(raw) - 15, 16))
        task = view.task
        if host.get(AT_BASE) or task is None or not view.alive:
            return {}
        base = None
        for line in self._maps(view, "maps").decode(errors="replace").splitlines():
            f = line.split(None, 5)
            if len(f) == 6 and f[2] == "00000000" and f[5] == view.proc.exe:
                base = int(f[0].split("-")[0], 16)
                break
        head = self.kernel.platform.read(task.host_tid, base, 64) if base is not None else None
        if not head or head[:4] != b"\x7fELF":
            return {}
        e_type, = struct.unpack_from("<H", head, 16)
        e_entry, e_phoff = struct.unpack_from("<QQ", head, 24)
        e_phnum, = struct.unpack_from("<H", head, 56)
        bias = base if e_type == 3 else 0            # ET_DYN: a PIE is loaded at `base`
        if e_entry + bias == host.get(AT_ENTRY):
            return {}                                # exec'd directly
        out = {AT_ENTRY: e_entry + bias, AT_PHDR: base + e_phoff, AT_PHNUM: e_phnum}
        if AT_PHDR in host:
            out[AT_BASE] = host[AT_PHDR] & ~0xFFF    # ld.so's own headers: its load address
        return out

    def _maps(self, view: View, name: str) -> bytes:
        return translate_maps(self.ctx, self._host(view, name))
