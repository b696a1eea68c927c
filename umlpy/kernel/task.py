"""Tasks: the guest kernel's record of each guest thread and process.

A guest thread is a real host thread; this is what the guest kernel knows
about it that the host does not: its guest ids, its credentials, its view of
the file system (cwd, root, umask) and, while it is inside a syscall that
needs more than one stop, the state of that call.  Processes (thread groups)
hold what threads share: pid, parent, argv/exe for /proc, the pidfd used to
reach its descriptors.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import SIGCHLD
from umlpy.kernel.creds import Creds

if TYPE_CHECKING:
    from umlpy.kernel.kernel import Kernel
    from umlpy.kernel.namespaces import NsProxy


@dataclass
class FsContext:
    """cwd, root and umask; shared between threads created with CLONE_FS."""
    cwd: str = "/"
    root: str = "/"
    umask: int = 0o022

    def copy(self) -> "FsContext":
        return FsContext(self.cwd, self.root, self.umask)


class Process:
    """A guest thread group."""

    def __init__(self, pid: int, host_pid: int, parent: "Process | None") -> None:
        self.pid = pid
        self.host_pid = host_pid
        self.parent = parent
        self.children: set[Process] = set()
        self.threads: dict[int, Task] = {}       # guest tid -> task
        self.argv: list[bytes] = []
        self.exe = "/"
        self.comm = b""
        # The host's name for its threads right after its last execve (syscalls/exec.py):
        # a thread whose host name is still this one has the guest name `comm`.
        self.exec_host_comm = b""
        self.exec_ident: tuple[int, int] | None = None   # its program's (dev, ino): ETXTBSY (kernel/loader.py)
        # How the host's argument area differs from the guest's (syscalls/exec.py):
        # (bytes before argv[0], argv[0]'s size, a string after it to drop), or None if unknown.
        self.cmdline_layout: tuple[bytes, int, bytes | None] | None = None
        self.creds = Creds()
        self.start_time = 0.0
        self.exit_signal = SIGCHLD
        self.alive = True
        self.reaped = False
        self.killed_by = 0          # guest init: the signal whose default action we took for it
        # prctl(PR_SET_DUMPABLE), and cleared when the ids change (creds.py): a
        # non-dumpable process's /proc files are root's, and ptrace access needs CAP_SYS_PTRACE.
        self.dumpable = True
        # The guest's RLIMIT_CORE (soft, hard), virtual: the host's is 0 (kernel/coredump.py).
        self.core_limit: tuple[int, int] = parent.core_limit if parent is not None else (0, 0)
        self.core_dumped = False    # the guest kernel wrote its core: wait statuses say WCOREDUMP
        # Virtual scheduling (syscalls/thread.py), None while the host's own applies:
        self.vnice: int | None = None                     # the nice value the guest set
        self.vsched: tuple[int, int, bool] | None = None  # (SCHED_FIFO/RR, priority, reset on fork)
        self.vioprio = 0                                  # the I/O priority the guest set (syscalls/ioprio.py)
        self.pidfd: int | None = None
        self.session_keyring: int | None = None   # its session keyring's serial (syscalls/keys.py)
        # fds whose reads stop in every thread (a stop filter, syscalls/signalfd.py); a child
        # forked by one of its threads has the filters too (Kernel.new_child copies this)
        self.signalfd_stops: frozenset[int] = frozenset()
        # the same for recvmsg/recvmmsg of unix sockets (syscalls/net.py): (fds, every fd,
        # filters stacked, fds whose listen stops)
        self.recvmsg_stops: tuple[frozenset[int], bool, int, frozenset[int]] = \
            (frozenset(), False, 0, frozenset())
        # route netlink sockets opened with CAP_NET_ADMIN, and those whose sends stop
        # (syscalls/rtnetlink.py): copied at fork too
        self.rtnetlink_stops: tuple[frozenset[int], frozenset[int]] = (frozenset(), frozenset())
        if parent is not None:
            parent.children.add(self)
            self.creds = parent.creds.copy()
            self.dumpable = parent.dumpable
            self.argv, self.exe, self.comm = parent.argv, parent.exe, parent.comm
            self.exec_host_comm = parent.exec_host_comm
            self.exec_ident = parent.exec_ident
            self.cmdline_layout = parent.cmdline_layout

    def inherit_scheduling(self, forker: "Process") -> None:
        """fork: the child gets the forking process's virtual nice value and policy
        (a real-time policy with SCHED_RESET_ON_FORK becomes the host's)."""
        self.vnice = forker.vnice
        self.vioprio = forker.vioprio
        self.vsched = forker.vsched if forker.vsched is not None and not forker.vsched[2] else None

    def open_pidfd(self, pidfd_open) -> None:
        try:
            self.pidfd = pidfd_open(self.host_pid)
        except OSError:
            self.pidfd = None

    def close(self) -> None:
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None

    def __repr__(self) -> str:
        return f"<Process pid={self.pid} host={self.host_pid}>"


class Task:
    """A guest thread, and the syscall it is in the middle of, if any."""

    def __init__(self, kernel: "Kernel", tid: int, host_tid: int, process: Process,
                 fs: FsContext) -> None:
        self.kernel = kernel
        self.tid = tid
        self.host_tid = host_tid
        self.process = process
        self.fs = fs
        self.ns: NsProxy = None          # type: ignore[assignment]  # its namespaces: set by the kernel
        self.call: Any = None            # dispatch.Call while a multi-stop syscall runs
        self.clone_args: tuple | None = None   # (flags, parent_tid ptr, child_tid ptr) of a pending clone
        self.started = False             # its first stop was seen and it was resumed
        self.restart_nr: int | None = None   # syscall to restart if a signal beat the fd hand-over
        self.masked_handovers = 0        # fd hand-overs to do with signals held off
        self.ptrace: Any = None          # kernel/ptrace.Tracee while a guest tracer traces it
        self.group_stop_sig = 0          # the signal of the group-stop it is in (LISTENed)
        # Its own no_new_privs and seccomp mode (syscalls/procattr.py): the host's are the
        # supervisor's.  Inherited by the threads and children it makes, kept across execve.
        self.no_new_privs = False
        self.seccomp_mode = 0

    # Convenience for handlers: guest memory of this thread.
    def read(self, addr: int, size: int) -> bytes:
        data = self.kernel.platform.read(self.host_tid, addr, size)
        if data is None:
            raise KernelError(14, "bad address")    # EFAULT
        return data

    def write(self, addr: int, data: bytes) -> None:
        if not self.kernel.platform.write(self.host_tid, addr, data):
            raise KernelError(14, "bad address")

    def read_str(self, addr: int, limit: int = 4096) -> bytes:
        s = self.kernel.platform.read_str(self.host_tid, addr, limit)
        if isinstance(s, int):
            raise KernelError(-s)
        return s

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def creds(self) -> Creds:
        return self.process.creds

    def __repr__(self) -> str:
        return f"<Task tid={self.tid} host={self.host_tid} pid={self.pid}>"
