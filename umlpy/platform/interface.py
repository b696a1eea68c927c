"""The interception interface: events in, answers out.

The guest kernel never sees how a guest's syscalls are trapped.  A platform
(the ptrace + seccomp backend in platform/ptrace/, or the scripted one the
unit tests use) reports what a guest thread did as an `Event`, and carries
out the kernel's answer: complete the syscall with a result, let it through
(with rewritten arguments or not, asking for its exit or not), inject another
syscall in the thread's context, install a descriptor, deliver or hold
signals, read and write guest memory.

An event's `state` is the thread's machine state at that stop (registers,
for ptrace).  The kernel treats it as opaque: it keeps it (`save`) while a
call spans several stops and hands it back with its answer.

A platform declares what it can do (`capabilities`): seccomp user
notification alone, say, could neither rewrite arguments nor inject, and the
dispatcher refuses a handler's request for either with a clear error.
"""
from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass


class Kind(enum.IntEnum):
    """What happened to a guest thread."""
    ENTRY = 1          # it entered a syscall that must be served (nr, args)
    EXIT = 2           # a syscall it was let through (or injected) has returned (result)
    NEW_THREAD = 3     # it created a thread or process; `msg` is the child's host tid
    EXEC = 4           # it exec'd; `msg` is its former host tid (another thread's, if not the leader)
    SIGNAL = 5         # signal `sig` is about to be delivered to it
    GROUP_STOP = 6     # it stopped (SIGSTOP & co.) with its thread group
    START = 7          # a new thread's first stop, or an interruption the kernel asked for
    EXITED = 8         # it is gone: exit status `sig`
    KILLED = 9         # it is gone: killed by signal `sig`
    SYSCALL_ENTRY = 10  # it entered any syscall (only while `step_mode` asks for syscall stops)
    EXITING = 11       # it is about to exit with wait status `msg` (only after `trace_exits`)


# capabilities a platform may have
REWRITE_ARGS = "rewrite_args"      # pass a syscall through with other argument values
INJECT = "inject"                  # run another syscall in the thread's context


@dataclass
class Event(ABC):
    """One stop of one guest thread (a platform may reuse the object's storage).

    Each platform says how its `state` holds the syscall's number, arguments and result."""
    tid: int
    kind: Kind
    sig: int = 0
    msg: int = 0
    state: object = None

    @property
    @abstractmethod
    def nr(self) -> int:
        """ENTRY: the syscall number."""

    @property
    @abstractmethod
    def args(self) -> tuple[int, ...]:
        """ENTRY: the six raw argument registers."""

    @property
    @abstractmethod
    def result(self) -> int:
        """EXIT: the syscall's result, signed."""


class HostFeatureMissing(OSError):
    """The host lacks, or forbids, a feature the platform needs (say, unprivileged user
    namespaces for rootless mode): a setup problem to name, not a guest's failure."""


class Platform(ABC):
    """How the guest kernel reaches guest threads.  Answers return 0 or -errno (ESRCH: gone)."""

    capabilities: frozenset[str] = frozenset()

    # ------------------------------------------------------------ lifecycle
    @abstractmethod
    def spawn(self, exec_fd: int, argv: list[bytes], envp: list[bytes], *,
              native: dict[int, ArgRule | None], strict: bool, **options) -> int:
        """Start guest init from `exec_fd`, trapped as the table says; its host pid."""

    @abstractmethod
    def next_event(self, block: bool = True) -> Event | None | bool:
        """The next event; None when no guest thread is left; False: none yet (block=False)."""

    def native_tid(self, tid: int) -> int | None:
        """The id thread `tid` has in the guest's own PID namespace on the host, which
        is the id the guest sees (kernel/pidns.py); None where there is no such namespace."""
        return None

    def close(self) -> None:
        """Release what the platform holds for the sandbox."""

    # ------------------------------------------------ answers at a syscall
    @abstractmethod
    def save(self, state: object) -> object:
        """A copy of `state` that outlives the stop it came from."""

    def state_of(self, tid: int) -> object | None:
        """The registers of a thread stopped outside a syscall stop (a new thread's first
        stop), as a `state` the answers below take; None where it cannot be read."""
        return None

    @abstractmethod
    def complete(self, tid: int, state: object, result: int, *, at_exit: bool) -> int:
        """Finish the syscall with `result`; at entry the host never runs it.
        `state` None (after an exec) resumes the thread as it is."""

    @abstractmethod
    def pass_through(self, tid: int, state: object, args: dict[int, int] | None = None, *,
                     want_exit: bool) -> int:
        """Let the host run the syscall, with `args` (index -> value) replaced."""

    @abstractmethod
    def inject(self, tid: int, state: object, nr: int, args: tuple[int, ...], *, at_exit: bool) -> int:
        """Run syscall `nr` in the thread instead; its result comes back as an EXIT event."""

    @abstractmethod
    def install_fd(self, tid: int, state: object, hostfd: int, cloexec: bool, *, want_exit: bool) -> int:
        """Give the thread a copy of supervisor fd `hostfd` as the syscall's result;
        the new guest fd, or -EINTR if a signal got there first."""

    @abstractmethod
    def restart_syscall(self, tid: int, nr: int) -> None:
        """A signal beat install_fd: have the thread restart syscall `nr` after its handler."""

    # ------------------------------------------------------- other events
    @abstractmethod
    def resume(self, tid: int, *, want_exit: bool = False, sig: int = 0) -> int:
        """Let a thread go on after a non-syscall event, delivering `sig` if not 0."""

    @abstractmethod
    def listen(self, tid: int) -> int:
        """Leave a group-stopped thread stopped until SIGCONT, still watched."""

    # ------------------------------------------------------------ signals
    @abstractmethod
    def hold_signals(self, tid: int) -> int | None:
        """Block every blockable signal of `tid`; its former mask (None if unreadable)."""

    @abstractmethod
    def set_sigmask(self, tid: int, mask: int) -> int:
        """Put a signal mask back."""

    @abstractmethod
    def get_siginfo(self, tid: int) -> bytearray | None:
        """The siginfo of the signal `tid` is stopped for."""

    @abstractmethod
    def set_siginfo(self, tid: int, info: bytes) -> int:
        """Rewrite it before delivery."""

    # ------------------------------------------------------------- memory
    @abstractmethod
    def read(self, tid: int, addr: int, size: int) -> bytes | None:
        """Guest memory, or None if any of it is unreadable (EFAULT)."""

    @abstractmethod
    def write(self, tid: int, addr: int, data: bytes) -> bool:
        """False if any of it is unwritable."""

    @abstractmethod
    def read_str(self, tid: int, addr: int, limit: int = 4096) -> bytes | int:
        """A NUL-terminated guest string, or -EFAULT / -ENAMETOOLONG."""

    # ------------------------------------------- guest ptrace (kernel/ptrace.py)
    # A platform without these cannot serve ptrace(2) to a guest tracer: the
    # syscall then fails with ENOSYS (the defaults below).
    STEP_NONE, STEP_SYSCALL, STEP_SINGLE = 0, 1, 2

    def step_mode(self, tid: int, mode: int) -> None:
        """From now on, resume `tid` so that it stops again at its next syscall entry
        (SYSCALL_ENTRY events) and exit (STEP_SYSCALL), after one instruction
        (STEP_SINGLE), or only where the table says (STEP_NONE)."""
        raise NotImplementedError

    def regs(self, tid: int) -> bytearray | None:
        """The stopped thread's registers as x86-64's struct user_regs_struct."""
        return None

    def set_regs(self, tid: int, regs: bytes) -> int:
        return -38

    def raw_ptrace(self, req: int, tid: int, addr: int, data: int) -> tuple[int, int]:
        """One host ptrace request on a stopped thread: (0 or -errno, the word read)."""
        return -38, 0

    def ptrace_mem(self, req: int, tid: int, other: int, buf: bytearray, *, iovec: bool = False,
                   buf_in_addr: bool = False) -> tuple[int, int]:
        """A host ptrace request whose data (or, with `buf_in_addr`, addr) points at `buf`
        (through an iovec if `iovec`), filled or read in place: (0 or -errno, bytes used)."""
        return -38, 0

    def trace_exits(self, tid: int) -> int:
        """Report the stopped thread's (and its future children's) exits as EXITING first."""
        return -38

    def interrupt(self, tid: int) -> int:
        """Make a running thread stop (a START event) as soon as it can."""
        return -38

    # ------------------------------------------------ answers kept below Python
    # A platform may answer some emulated calls itself once the guest kernel has
    # decided their result (getppid, getuid, ...): `answerable` names them.  The
    # guest kernel stays the source of truth and forgets answers that may change.
    answerable: frozenset[int] = frozenset()

    def answer_enable(self, on: bool) -> None:
        """Start (or stop) answering remembered calls, with nothing remembered."""

    def remember(self, tid: int, nr: int, value: int) -> None:
        """From now on, answer syscall `nr` of thread `tid` with `value` (nr in `answerable`)."""

    def remember_exec_names(self, tid: int, exe: bytes, comm: bytes, host_comm: bytes) -> None:
        """After an exec, until thread `tid`'s answers or the stat answers are forgotten:
        answer its readlink of "/proc/self/exe" with `exe` (b"": do not), and its
        PR_GET_NAME with `comm` (16 bytes) while the host names it `host_comm`."""

    def forget(self, tid: int | None = None) -> None:
        """Forget the answers of thread `tid`, or every answer (None)."""

    def answered(self) -> dict[int, int]:
        """How many stops of each syscall number were answered below Python since the
        last call (the run report counts them), then zero."""
        return {}

    def remember_stat(self, tid: int, path: bytes, nofollow: int, err: int, st: bytes,
                      open_rel: bytes | None = None) -> None:
        """From now on, answer stat (nofollow 1: lstat; 2: both) of absolute `path`, for thread `tid`
        and the others `stat_allow`ed, with errno `err` (> 0) or struct stat `st`; and,
        with `open_rel`, a read-only open of it with that file of the `answer_opens` tree."""

    def answer_opens(self, root_fd: int) -> None:
        """Serve kept read-only opens below host directory `root_fd` (-1: no longer)."""

    def stat_allow(self, tid: int, on: bool) -> None:
        """May thread `tid` be answered from the remembered stats?"""

    def forget_stats(self) -> None:
        """Forget every remembered stat."""


@dataclass(frozen=True)
class ArgRule:
    """Allow a native-class syscall only when (or unless) an argument matches.

    `arg` is the argument index; the low 32 bits are compared against
    `values`.  With allow=True the listed values run natively and the rest
    stop; with allow=False the listed values stop and the rest run natively.
    `zero64` compares the whole 64-bit argument with 0 instead (e.g. sendto's
    destination address must be NULL to run natively).
    """
    arg: int
    values: frozenset[int] = frozenset()
    allow: bool = True
    zero64: bool = False
