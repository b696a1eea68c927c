"""The guest kernel: one sandbox's processes, file systems and the ptrace stop loop.

`Kernel` owns everything a guest can name (the PID namespace, the mount
table, credentials, the hostname) and runs the loop that receives every stop
of every guest thread and sends it to the right place: syscall stops to the
dispatcher (which runs the handlers of the syscall table), clone/exec/exit
events to the task bookkeeping, signal-delivery stops back to the guest.

The loop ends when the last guest thread is gone.  When guest init (pid 1)
exits, every other guest process is killed, as in a PID namespace.
"""
from __future__ import annotations

import errno
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import (
    CLONE_CHILD_SETTID,
    CLONE_FS,
    CLONE_NEWIPC,
    CLONE_NEWNS,
    CLONE_NEWUTS,
    CLONE_PARENT,
    CLONE_PARENT_SETTID,
    CLONE_THREAD,
    SIGCHLD,
)
from umlpy.kernel import coredump
from umlpy.kernel.answers import Answers
from umlpy.kernel.creds import Creds
from umlpy.kernel.dispatch import Call, Dispatcher
from umlpy.kernel.ipc import SysvIpc, start_in_namespace
from umlpy.kernel.limits import KNOWN as KNOWN_LIMITS
from umlpy.kernel.limits import SPAWN_RLIMITS, Enforcement, default_disk, show
from umlpy.kernel.loader import prepare_exec
from umlpy.kernel.network import Network, NetworkSpec
from umlpy.kernel.namespaces import NsProxy
from umlpy.kernel.pidns import PidNamespace
from umlpy.kernel.placement import Balancer
from umlpy.kernel.ptrace import GuestPtrace
from umlpy.kernel.sigsenders import SignalSenders, stamped
from umlpy.kernel.task import FsContext, Process, Task
from umlpy.platform import host
from umlpy.platform.interface import Event, Kind, Platform
from umlpy.vfs.fs import Generation

NOBODY = 65534
# Signals whose default action is to do nothing (signal(7)), as a SigPnd-style bit mask.
_DEFAULT_IGNORED = sum(1 << (s - 1) for s in (signal.SIGCHLD, signal.SIGURG, signal.SIGWINCH))
# Default actions of signal(7) other than terminating: stop, and ignore (SIGCONT continues).
_DEFAULT_STOP = frozenset({signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU})
_DEFAULT_IGNORE = frozenset({signal.SIGCHLD, signal.SIGURG, signal.SIGWINCH, signal.SIGCONT})
# Event kinds as plain module constants: the stop loop compares one per stop,
# and a module global is cheaper to reach than an Enum class attribute.
ENTRY, EXIT, NEW_THREAD, EXEC, SIGNAL, GROUP_STOP, START, EXITED, KILLED = (
    Kind.ENTRY, Kind.EXIT, Kind.NEW_THREAD, Kind.EXEC, Kind.SIGNAL, Kind.GROUP_STOP, Kind.START,
    Kind.EXITED, Kind.KILLED)
SYSCALL_ENTRY, EXITING = Kind.SYSCALL_ENTRY, Kind.EXITING


@dataclass
class Config:
    """What a sandbox is made of (the CLI and the Python API both fill this)."""
    rootfs: Path
    binds: list[tuple[str, str, bool]] = field(default_factory=list)   # (host, guest, ro)
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = "/"
    hostname: str = "umlpy"
    persist: Path | None = None
    trace: TextIO | None = None
    strict: bool = False
    stdio: tuple[int, int, int] = (0, 1, 2)
    tty: str | None = None          # host path of the guest's controlling terminal
    devpts: object | None = None    # fsimpl.devfs.Devpts: the sandbox's ptys, shared by /dev and its console
    host_uid: int = NOBODY          # host credentials the guest runs with
    cpu: int | str | None = "auto"  # pin supervisor and guest to this CPU ("auto": the current one)
    log_denied: TextIO | None = None
    limits: dict[str, int | None] = field(default_factory=dict)   # sandbox-wide; see kernel/limits.py
    ulimits: dict[str, tuple[int, int]] = field(default_factory=dict)   # per process: name -> (soft, hard)
    tmpfs: list[tuple[str, int, int]] = field(default_factory=list)     # (guest path, size, mode): own tmpfs
    storage: str | None = None      # a directory on size-limited storage to keep this run's state in
    user: Creds | None = None       # guest init's (virtual) credentials; None: root
    network: NetworkSpec | None = None   # mode, published ports, outbound policy (kernel/network.py)


def _remove_stale_state(parent: str) -> None:
    """State directories of supervisors that died without cleaning up (SIGKILL)."""
    for name in os.listdir(parent):
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "umlpy" and parts[1].isdigit():
            if not os.path.exists(f"/proc/{parts[1]}"):
                shutil.rmtree(os.path.join(parent, name), ignore_errors=True)


def _signame(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"SIG{sig}"


def placement(cpu: int | str | None) -> int | None:
    """The CPU to pin the supervisor and the guest to, or None to leave them free.

    Pinned is the default: every ptrace stop is two wake-ups between the
    guest and the supervisor, and on this kind of VM a wake-up across CPUs
    costs 15-20 us more than on the same CPU (bench/README.md: an emulated
    syscall 15 us pinned vs 55 us unpinned).  "auto" takes the CPU the
    supervisor runs on now, and lets kernel/placement.py move computing
    threads off it; `None` pins nothing.
    """
    if cpu is None or cpu == "none":
        return None
    allowed = os.sched_getaffinity(0)
    if cpu == "auto":
        try:
            with open("/proc/thread-self/stat") as f:
                now = int(f.read().rsplit(")", 1)[1].split()[36])
        except (OSError, ValueError, IndexError):
            now = min(allowed)
        return now if now in allowed else min(allowed)
    return int(cpu)


REPORT_CAP = 1000      # entries kept per list of the report: a guest cannot grow our memory with it


@dataclass
class Report:
    """What the guest did, for `Sandbox.run(...).report` and `umlpy run --report`.

    Bounded: each list keeps its first REPORT_CAP entries and counts the rest
    (`more`), so that a guest forking, writing or being refused in a loop
    cannot make the supervisor's memory grow with it."""
    syscalls: Counter = field(default_factory=Counter)
    denied: list[str] = field(default_factory=list)
    processes: list[dict] = field(default_factory=list)   # {"pid", "ppid", "execs": [argv...], "status"}
    files_written: set[str] = field(default_factory=set)
    more: Counter = field(default_factory=Counter)      # entries left out: "denied", "processes", "files_written"
    internal_errors: list[str] = field(default_factory=list)    # supervisor bugs: should stay empty
    limits: dict[str, str] = field(default_factory=dict)     # limit -> its value and how it is enforced
    limit_hit: dict[str, str] = field(default_factory=dict)  # limit the sandbox ran into -> what happened
    usage: dict[str, float] = field(default_factory=dict)    # cpu_seconds, memory_peak (bytes), tasks_peak
    mode: str = ""                  # root or rootless, and the host uid the guest runs as
    network: list[dict] = field(default_factory=list)   # outbound destinations: address, proto, port,
                                                        # verdict, packets, bytes (kernel/network.py)

    def add_process(self, entry: dict) -> None:
        if len(self.processes) < REPORT_CAP:
            self.processes.append(entry)
        else:
            self.more["processes"] += 1

    def add_denied(self, line: str) -> None:
        if len(self.denied) < REPORT_CAP:
            self.denied.append(line)
        else:
            self.more["denied"] += 1

    def wrote(self, path: str) -> None:
        if len(self.files_written) < REPORT_CAP or path in self.files_written:
            self.files_written.add(path)
        else:
            self.more["files_written"] += 1


class Kernel:
    """One sandbox's guest kernel.

    It is given its parts by the composition root (umlpy.api): the
    interception `platform`, the syscall `table` (lookup, native_numbers),
    `build_vfs(kernel)` that makes the mount table, and the trace
    `formatter`; it imports none of them.
    """

    def __init__(self, config: Config, *, platform: Platform, table, build_vfs, formatter) -> None:
        self.config = config
        self.platform = platform
        self.table = table
        self.formatter = formatter
        self.dispatcher = Dispatcher(self)
        self.answers = Answers(self)               # what the platform answers without us (kernel/answers.py)
        self.pidns = PidNamespace()
        self.hostname = config.hostname
        self.domainname = "(none)"
        self.sysvipc = SysvIpc()                   # guest owners of SysV IPC objects (kernel/ipc.py)
        self.core = coredump.CoreSettings()        # /proc/sys/kernel/core_pattern, core_uses_pid
        self.senders = SignalSenders()             # the guest uids siginfo's si_uid names (kernel/sigsenders.py)
        self.tracing = config.trace is not None
        self.report = Report()
        self.boot_time = time.time()
        self.init: Process | None = None
        self.init_status: int | None = None
        self.lookup = self.table.lookup
        self._early: set[int] = set()              # first stops of not-yet-announced children
        self.killed_by_timeout = False
        self.unix_names: dict[str, tuple[str, int]] = {}   # bound socket alias -> (guest path, dir fd)
        self.waiting: dict[Task, tuple] = {}       # threads parked by a Wait request
        self.dir_snapshots: dict[tuple, list] = {}  # directory streams' listings (syscalls/fd.py)
        self.balancer: Balancer | None = None        # moves computing threads off our CPU (start)
        self.first_mnt = None
        self.gptrace = GuestPtrace(self)           # guest tracers and their tracees (kernel/ptrace.py)
        # Rootless (the supervisor is not root): the guest runs as our own host
        # uid, in a user namespace of its own; as root, as config.host_uid.
        self.rootless = not host.privileged()
        self.host_uid = os.geteuid() if self.rootless else config.host_uid
        self.report.mode = (f"rootless: the guest runs as host uid {self.host_uid} (ours), in a user "
                            "namespace of its own" if self.rootless else
                            f"root: the guest runs as host uid {self.host_uid}")
        self.state_fd, self.state_dir = self._state_dir()
        self.empty_root = os.path.join(self.state_dir, "empty")
        os.mkdir(self.empty_root, 0o555)
        self.enforcement = Enforcement(config.limits, config.ulimits, self.host_uid, self.host_uid)
        self.enforcement.how["disk"] = self._disk_how
        self.network = None
        try:
            self.vfs = build_vfs(self)
            spec = config.network
            if spec is not None and (spec.mode != "none" or spec.publish):
                # Published ports are bound now: one in use fails before any guest exists.
                self.network = Network(spec, rootless=self.rootless, host_uid=self.host_uid,
                                       hostname=config.hostname)
        except BaseException:
            if getattr(self, "vfs", None) is not None:
                self.vfs.close()
            self._drop_state()
            raise

    def _state_dir(self) -> tuple[int, str]:
        """The sandbox's own storage: the writable layer, /tmp, the guests' empty root.

        A tmpfs of the disk limit's size that is mounted nowhere (platform.host.
        detached_tmpfs): the guest gets ENOSPC at the limit, df shows it, and
        the memory goes back when the supervisor ends, however it ends.  Where
        the host will not make one (no privilege, an old kernel), a directory
        in /dev/shm, with no size limit, and the report says so.
        """
        size = self.config.limits.get("disk", default_disk())
        if self.config.storage is not None:        # a Sandbox's: its layer and every run's /tmp
            self._disk_how = "a tmpfs of that size, mounted nowhere, for the layer and /tmp together"
            return -1, tempfile.mkdtemp(prefix="run.", dir=self.config.storage)
        try:
            fd = host.detached_tmpfs(size or 0)
        except OSError as e:
            self._disk_how = f"not enforced ({e.strerror}): the layer is a directory in /dev/shm"
        else:
            self._disk_how = "a tmpfs of that size, mounted nowhere"
            if self.config.persist is not None:
                self._disk_how += " for /tmp; the persist layer: the file system it is on"
            return fd, host.fd_path(fd)
        shm = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
        _remove_stale_state(shm)
        path = tempfile.mkdtemp(prefix=f"umlpy.{os.getpid()}.", dir=shm)
        os.chmod(path, 0o700)
        return -1, path

    def _drop_state(self) -> None:
        shutil.rmtree(self.state_dir, ignore_errors=True)      # frees the pages even if an fd stays
        if self.state_fd >= 0:
            os.close(self.state_fd)
            self.state_fd = -1

    # ------------------------------------------------------------ start
    def start(self, argv: list[str]) -> Process:
        """Create guest init running `argv` (PATH-searched in the guest)."""
        fs = FsContext(cwd=self.config.cwd)
        env = [f"{k}={v}".encode() for k, v in self.config.env.items()]
        creds = self.config.user.copy() if self.config.user is not None else Creds()
        plan = prepare_exec(self, fs, argv[0], [a.encode() for a in argv], env, search_path=True,
                            env_path=self.config.env.get("PATH"), creds=creds)
        try:
            cpu = placement(self.config.cpu)
            if cpu is not None:
                allowed = os.sched_getaffinity(0)
                os.sched_setaffinity(0, {cpu})
                if self.config.cpu == "auto":        # pinned by default, not by the user's choice
                    self.balancer = Balancer(cpu, allowed, self._host_tids)
            drop = -1 if self.rootless else self.host_uid      # rootless: it stays us
            root = os.open(self.empty_root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                pid = self.platform.spawn(
                    plan.fd, plan.host_argv, env, native=self.table.native_numbers(),
                    strict=self.config.strict, stdio=self.config.stdio,
                    make_ctty=self.config.tty is not None, uid=drop, gid=drop,
                    cpu=-1 if cpu is None else cpu, root_fd=root, userns=self.rootless,
                    rlimits=SPAWN_RLIMITS,
                    parent_userns_fd=self.network.userns_fd if self.network is not None else -1)
            finally:
                os.close(root)
        finally:
            os.close(plan.fd)
        self._enforce_limits(pid)
        if self.network is not None:
            try:
                self.network.start(pid)
            except BaseException:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise
            self._network_files()
        proc = Process(self.pidns.alloc(pid, self.platform.native_tid(pid)), pid, None)
        proc.creds = creds
        proc.core_limit = self.enforcement.guest_core_limit()
        proc.start_time = time.time()
        proc.open_pidfd(host.pidfd_open)
        plan.apply(proc)
        self.report.add_process({"pid": proc.pid, "ppid": 0, "execs": []})
        self.report_exec(proc)
        task = Task(self, proc.pid, pid, proc, fs)
        task.ns = NsProxy.initial(self.hostname, self.domainname, self.vfs.mounts)
        self.first_mnt = task.ns.mnt               # the mount namespace stat answers are kept for
        proc.threads[task.tid] = task
        self.pidns.processes[proc.pid] = proc
        self.pidns.add_task(task)
        self.init = proc
        task.started = True
        if self.tracing:
            import json
            argv_s = ", ".join(json.dumps(a.decode(errors="replace")) for a in plan.guest_argv)
            self.trace_line(f"[pid {proc.pid}] execve({json.dumps(plan.exe)}, [{argv_s}]) = 0")
        self.platform.resume(pid)
        return proc

    def _network_files(self) -> None:
        """/etc/hosts and /etc/resolv.conf for the sandbox's network, in the guest's view
        (the writable layer: the rootfs is never written)."""
        def read(path: str) -> str | None:
            try:
                lk = self.vfs.resolve(path)
                if lk.st is None:
                    return None
                fd = lk.mount.fs.open(lk.rel, os.O_RDONLY | os.O_CLOEXEC, 0)
            except (KernelError, OSError):
                return None
            with open(fd, "rb") as f:
                return f.read(1 << 16).decode(errors="replace")
        for path, text in self.network.guest_files(read, self.hostname).items():
            try:
                lk = self.vfs.resolve(path)
                fd = lk.mount.fs.open(lk.rel, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
            except (KernelError, OSError) as e:
                self.report.internal_errors.append(f"cannot write the guest's {path}: {e}")
                continue
            if path == "/etc/hosts" and self.network.named is not None:
                self.network.keep_hosts(os.dup(fd))     # members that join later are added to it
            with open(fd, "wb") as f:
                f.write(text.encode())

    def _enforce_limits(self, pid: int) -> None:
        """Guest init `pid` is stopped at its first exec: put it under the sandbox's limits."""
        enf = self.enforcement
        try:
            enf.attach(pid)
        except (OSError, KernelError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise
        limits = self.config.limits
        self.report.limits = {n: f"{show(n, limits.get(n))}: {enf.how[n]}" if n in enf.how else "unlimited"
                              for n in KNOWN_LIMITS}
        if "processes" not in enf.fallback:
            # The pids cgroup counts threads too and holds first; the guest
            # kernel's own count (syscalls/thread.py) would refuse before it.
            self.config.limits = {n: v for n, v in limits.items() if n != "processes"}
        # Over a limit, the limits thread kills the whole sandbox (kill_all, from that thread).
        enf.watch(self.kill_all, lambda: [p.host_pid for p in list(self.pidns.processes.values())
                                          if p.alive])

    # ------------------------------------------------------------- loop
    def run(self) -> int:
        """Serve guest syscalls until every guest thread is gone; init's wait status."""
        self.answers.enable(not self.tracing)
        if self.balancer is not None:
            self.balancer.start()
        answers = self.answers
        while True:
            if answers.stats_kept and Generation.meta != answers.stats_gen:
                answers.forget_stats()             # a name or metadata changed: stat answers may be stale
            st = self.platform.next_event(block=not self.waiting)
            if st is None:
                break
            if st is False:                        # nothing new: look at parked threads
                self._poll_waiting()
                time.sleep(0.002)
                continue
            try:
                self.on_stop(st)
            except Exception as e:                 # never let a guest take us down
                self.internal_error(st, e)
            if self.waiting:
                self._poll_waiting()
        self.shutdown()
        return self.init_status if self.init_status is not None else 0

    def _poll_waiting(self) -> None:
        try:
            self.dispatcher.poll_waiting()
        except Exception as e:
            self.report.internal_errors.append(repr(e))

    def signal_pending(self, task: Task, ignore: int = 0) -> bool:
        """Has `task` an unblocked signal waiting that would interrupt a blocking call?

        A traced thread also queues the signals it ignores (the host keeps
        them for the tracer), so those are left out, as Linux never queues
        them: SIG_IGN ones, and SIGCHLD, SIGURG and SIGWINCH left at SIG_DFL.
        """
        try:
            with open(f"/proc/{task.host_tid}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            pending = int(fields["SigPnd"], 16) | int(fields["ShdPnd"], 16)
            ignored = int(fields["SigIgn"], 16) | (_DEFAULT_IGNORED & ~int(fields["SigCgt"], 16))
            return bool(pending & ~int(fields["SigBlk"], 16) & ~ignored & ~ignore)
        except (OSError, KeyError, ValueError):
            return False

    def on_stop(self, ev: Event) -> None:
        """Send one event to where it is served."""
        task = self.pidns.tasks.get(ev.tid)
        if task is not None and task.restart_nr is not None and ev.kind != SIGNAL:
            task.restart_nr = None
        if ev.kind == EXEC:
            task = self.pidns.tasks.get(ev.msg, task)   # the exec'ing thread, by its old tid
        if task is None:
            if ev.kind not in (EXITED, KILLED):
                self._early.add(ev.tid)            # a child before its parent's event
            else:
                self._early.discard(ev.tid)        # ... killed with its parent before the event
            return
        self.vfs.mounts = task.ns.mnt.table       # paths are looked up in its mount namespace
        k = ev.kind
        if task.ptrace is not None and self.gptrace.on_stop(task, ev):
            return                                 # a ptrace-stop of a guest tracer's tracee
        if k == ENTRY:
            self.dispatcher.on_entry(task, ev)
        elif k == EXIT:
            self.dispatcher.on_exit(task, ev)
        elif k == NEW_THREAD:
            self.new_child(task, ev.msg)
            self.platform.resume(task.host_tid, want_exit=task.call is not None)
        elif k == EXEC:
            self.on_exec(task, ev)
            self.platform.resume(ev.tid, want_exit=task.call is not None)
        elif k == SIGNAL:
            if task.restart_nr is not None:
                self.platform.restart_syscall(task.host_tid, task.restart_nr)
                task.restart_nr = None
            self.translate_siginfo(task, ev.sig)
            if self.tracing:
                self.trace_line(f"[pid {task.tid}] --- {_signame(ev.sig)} ---")
            sig = ev.sig
            coredump.on_signal(self, task, sig)             # its default action may dump core
            if task.process is self.init and self.pidns.native_ids:
                sig = self.init_default_action(task, sig)
            self.platform.resume(task.host_tid, want_exit=task.call is not None, sig=sig)
        elif k == GROUP_STOP:
            task.group_stop_sig = ev.sig           # a guest PTRACE_SEIZE/ATTACH sees it (kernel/ptrace.py)
            self.platform.listen(task.host_tid)
        elif k == START:
            if not task.started:
                self.first_stop(task)
            else:
                task.group_stop_sig = 0
                self.platform.resume(task.host_tid, want_exit=task.call is not None)
        elif k == SYSCALL_ENTRY:                   # no longer guest-traced: nothing to stop for
            self.platform.resume(task.host_tid, want_exit=True)
        elif k == EXITING:                         # a guest tracer's PTRACE_O_TRACEEXIT, not ours
            self.platform.resume(task.host_tid)
        else:
            self.on_death(task, ev)

    def init_default_action(self, task: Task, sig: int) -> int:
        """The signal to deliver to guest init in place of `sig`.

        On the host, guest init is the init of the guest's PID namespace, and
        the host kernel spares such a process every signal it has no handler
        for.  In the guest's view, the signals init's kernel spares it are the
        ones *other* guest processes send (kill() drops those: see
        syscalls/signal.py init_ignores); the others (its own raise(), a fault,
        SIGPIPE, the terminal's ^C) take their default action, as for any
        process.  A tracer sees every signal before that choice, so we take it
        here: a terminating one becomes SIGKILL (its status is reported as
        `sig`'s), a stopping one SIGSTOP, the two the host kernel always delivers.
        """
        if sig in (signal.SIGKILL, signal.SIGSTOP) or sig in _DEFAULT_IGNORE:
            return sig
        handled = host.handled_signals(task.host_tid)
        if handled is None or handled >> (sig - 1) & 1:
            return sig
        if sig in _DEFAULT_STOP:
            return signal.SIGSTOP
        task.process.killed_by = sig
        return signal.SIGKILL

    def translate_siginfo(self, task: Task, sig: int) -> None:
        """A signal about to be delivered names its sender: by a guest pid (no namespace: a
        host pid, made a guest pid here), and by host uid: make it the sender's guest real uid
        (Linux's si_uid is the sender's real uid; kernel/sigsenders.py)."""
        info = self.platform.get_siginfo(task.host_tid)
        if info is None:
            return
        code = int.from_bytes(info[8:12], "little", signed=True)
        if not stamped(sig, code):
            return
        native = int.from_bytes(info[16:20], "little", signed=True)
        guest = self.pidns.from_native(native)
        sender = self.pidns.processes.get(guest)
        info[16:20] = guest.to_bytes(4, "little", signed=True)
        info[20:24] = self.senders.uid(self.pidns, sig, code, native).to_bytes(4, "little")
        if sig == signal.SIGCHLD and code == coredump.CLD_KILLED and self.core.dumped(sender, guest):
            info[8:12] = coredump.CLD_DUMPED.to_bytes(4, "little")   # the guest kernel dumped its core
        self.platform.set_siginfo(task.host_tid, info)

    # ---------------------------------------------------------- events
    def new_child(self, parent: Task, host_tid: int) -> None:
        if parent.clone_args:
            flags, ptid, ctid = parent.clone_args
        else:
            flags, ptid, ctid = SIGCHLD, 0, 0
        gtid = self.pidns.alloc(host_tid, self.platform.native_tid(host_tid))
        if flags & CLONE_THREAD:
            proc = parent.process
        else:
            pp = parent.process.parent if flags & CLONE_PARENT and parent.process.parent else parent.process
            proc = Process(gtid, host_tid, pp)
            proc.inherit_scheduling(parent.process)
            proc.session_keyring = parent.process.session_keyring     # fork keeps the session keyring
            # Credentials (capabilities too) and dumpability are the forker's, even
            # with CLONE_PARENT, where the parent of record is another process.
            proc.creds, proc.dumpable = parent.process.creds.copy(), parent.process.dumpable
            proc.core_limit = parent.process.core_limit       # rlimits are the forker's
            proc.signalfd_stops = parent.process.signalfd_stops   # seccomp filters are the forker's
            proc.recvmsg_stops = parent.process.recvmsg_stops
            proc.rtnetlink_stops = parent.process.rtnetlink_stops
            proc.start_time = time.time()
            proc.open_pidfd(host.pidfd_open)
            self.pidns.processes[gtid] = proc
            self.report.add_process({"pid": gtid, "ppid": pp.pid, "execs": []})
        fs = parent.fs if flags & CLONE_FS else parent.fs.copy()
        child = Task(self, gtid, host_tid, proc, fs)
        child.no_new_privs, child.seccomp_mode = parent.no_new_privs, parent.seccomp_mode
        # clone's CLONE_NEWUTS/NEWNS/NEWIPC (checked, and hidden from the host, by syscalls/namespace.py)
        child.ns = parent.ns.replaced(uts=bool(flags & CLONE_NEWUTS), mnt=bool(flags & CLONE_NEWNS),
                                      ipc=bool(flags & CLONE_NEWIPC))
        proc.threads[gtid] = child
        self.pidns.add_task(child)
        # Without a PID namespace, the host wrote its own tid where the guest
        # asked for the new tid (glibc's pthread struct, fork's child): write
        # the guest's instead, now, while the child has not run yet and cannot
        # have exited and cleared it (CLONE_CHILD_CLEARTID) already.
        if not self.pidns.native_ids:
            tid_bytes = gtid.to_bytes(4, "little")
            if flags & CLONE_PARENT_SETTID and ptid:
                self.platform.write(parent.host_tid, ptid, tid_bytes)
            if flags & CLONE_CHILD_SETTID and ctid:
                self.platform.write(host_tid, ctid, tid_bytes)
        if parent.ptrace is not None:
            self.gptrace.new_child(parent, child, flags)   # auto-attach (PTRACE_O_TRACEFORK & co.)
        if host_tid in self._early:
            self._early.discard(host_tid)
            self.first_stop(child)

    def first_stop(self, task: Task) -> None:
        """A new thread's first stop: it is known now, let it run."""
        if task.ptrace is not None and self.gptrace.first_stop(task):
            return                                 # an auto-attached child starts ptrace-stopped
        task.started = True
        if task.ns.needs_sysv_filter:
            # A child cloned into a new IPC namespace: before its first instruction, the
            # filter that makes its native SysV calls stop (kernel/ipc.py).
            self.dispatcher.run_at_start(task, start_in_namespace(task))
            return
        self.platform.resume(task.host_tid)

    def on_exec(self, task: Task, ev: Event) -> None:
        self.answers.forget()                      # its tids and ids may have changed
        former = ev.msg
        if former != ev.tid:                       # a non-leader thread exec'd
            leader = self.pidns.tasks.get(ev.tid)
            if leader is not None and leader is not task:
                self.pidns.remove_task(leader)
                task.process.threads.pop(leader.tid, None)
            task.process.threads.pop(task.tid, None)
            self.pidns.rekey(task, ev.tid, task.process.pid)
            task.process.threads[task.tid] = task
        for t in list(task.process.threads.values()):   # the others are gone
            if t is not task:
                self.pidns.remove_task(t)
                task.process.threads.pop(t.tid, None)
        if task.call is not None:
            task.call.execed = True
            plan = getattr(task.call, "plan", None)
            if plan is not None:
                plan.apply(task.process)
                self.report_exec(task.process)

    def on_death(self, task: Task, ev: Event) -> None:
        if self.gptrace.active:
            self.gptrace.on_death(task, ev)
        if self.tracing:
            killer = task.process.killed_by if ev.sig == signal.SIGKILL and task.process.killed_by else ev.sig
            how = f"exited with {ev.sig}" if ev.kind == Kind.EXITED else f"killed by {_signame(killer)}"
            self.trace_line(f"[pid {task.tid}] +++ {how} +++")
        proc = task.process
        self.pidns.remove_task(task)
        proc.threads.pop(task.tid, None)
        task.call = None
        self.answers.forget()                      # its tid may come back; its children's getppid changes
        if not task.ns.ipc.initial:                # maybe its IPC namespace's last task
            self.sysvipc.collect(self, task.ns.registry)
        if proc.threads:
            return
        proc.alive = False
        self.senders.exited(proc.pid, proc.creds.ruid)   # its SIGCHLD may be read after it is reaped
        proc.exit_status = (ev.sig << 8) if ev.kind == Kind.EXITED else ev.sig
        if proc.killed_by and ev.kind == Kind.KILLED and ev.sig == signal.SIGKILL:
            proc.exit_status = proc.killed_by           # init_default_action's SIGKILL
        if proc.core_dumped and ev.kind == Kind.KILLED:
            proc.exit_status |= coredump.WCOREFLAG      # the guest kernel dumped it; the host did not
        entry = self._report_entry(proc)
        if entry is not None:
            entry["status"] = os.waitstatus_to_exitcode(proc.exit_status)
        init = self.init
        for child in list(proc.children):          # orphans go to guest init
            child.parent = init
            if init is not None and init is not proc:
                init.children.add(child)
        proc.close()
        if proc is init:
            self.init_status = proc.exit_status
            self.kill_all()

    def _report_entry(self, proc: Process) -> dict | None:
        for entry in reversed(self.report.processes):
            if entry["pid"] == proc.pid:
                return entry
        return None

    def report_exec(self, proc: Process) -> None:
        entry = self._report_entry(proc)
        if entry is not None:
            entry["execs"].append([proc.exe] + [a.decode(errors="replace") for a in proc.argv])

    def kill_all(self) -> None:
        for host_tid in list(self.pidns.tasks):
            try:
                os.kill(host_tid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.enforcement.kill()                    # and what the cgroups hold that we do not know yet

    def timeout(self) -> None:
        """Called from another thread: kill the whole sandbox."""
        self.killed_by_timeout = True
        self.kill_all()

    def _host_tids(self) -> list[int]:
        """The live guest threads' host tids (for the placement balancer's thread: one C-level
        copy of the table, which the GIL keeps whole)."""
        return [t.host_tid for t in list(self.pidns.tasks.values())]

    def shutdown(self) -> None:
        if self.balancer is not None:
            self.balancer.stop()
        if self.answers.on:
            self.count_answered()
            self.answers.enable(False)
        for proc in self.pidns.processes.values():
            proc.close()
        self.platform.close()
        for _, dirfd in self.unix_names.values():
            os.close(dirfd)
        self.unix_names.clear()
        self.vfs.close()
        self._drop_state()
        self.end_limits()
        if self.network is not None:
            self.network.close()
            self.report.network = self.network.destinations

    def end_limits(self) -> None:
        """Read what the limits saw into the report, and remove the sandbox's cgroups."""
        enf = self.enforcement
        left = enf.close()
        self.report.limit_hit.update(enf.hit_how)
        self.report.usage.update(enf.usage)
        if left:
            self.report.internal_errors.append(f"cgroups left behind: {', '.join(left)}")

    # ------------------------------------------------------ accounting
    def count(self, entry) -> None:
        self.report.syscalls[entry.name] += 1

    def count_answered(self) -> None:
        """Add the stops the platform answered itself (getppid & co.) to the report."""
        for nr, n in self.platform.answered().items():
            self.report.syscalls[self.lookup(nr).name] += n

    def note_denied(self, task: Task, call: Call) -> None:
        line = self.formatter.format_line(task.tid, call.nr, call.args, -call.entry.errno,
                           note=call.note)
        self.report.add_denied(line)
        if self.config.log_denied is not None and not self.tracing and not call.entry.probed:
            self.config.log_denied.write(f"umlpy: {line}\n")

    def _readers(self, task: Task):
        def read_string(addr: int):
            s = self.platform.read_str(task.host_tid, addr, 4096)
            return None if isinstance(s, int) else s
        def read_bytes(addr: int, n: int):
            return self.platform.read(task.host_tid, addr, n)
        return read_string, read_bytes

    def format_call(self, task: Task, call: Call) -> str:
        read_string, read_bytes = self._readers(task)
        return self.formatter.format_call(task.tid, call.nr, call.args, read_string=read_string,
                           read_bytes=read_bytes, strings=call.strings)

    def trace_done(self, task: Task, call: Call, result: int) -> None:
        if not self.tracing:
            return
        text = call.text if call.text is not None else self.format_call(task, call)
        line = text + self.formatter.format_result(call.nr, result)
        if call.note:
            line += "  " + call.note
        self.trace_line(line)

    def trace_line(self, line: str) -> None:
        if self.config.trace is not None:
            self.config.trace.write(line + "\n")
            self.config.trace.flush()

    def internal_error(self, ev: Event, e: Exception) -> None:
        import traceback
        msg = "".join(traceback.format_exception(e))
        self.report.internal_errors.append(msg)
        sys.stderr.write(f"umlpy: internal error on stop of {ev.tid}: {msg}")
        task = self.pidns.tasks.get(ev.tid)
        if task is not None and ev.kind in (Kind.ENTRY, Kind.EXIT):
            # Fail the syscall rather than leave the thread stopped forever.
            task.call = None
            self.platform.complete(ev.tid, ev.state, -errno.ENOSYS, at_exit=ev.kind == Kind.EXIT)
        elif task is not None:
            self.platform.resume(ev.tid)
