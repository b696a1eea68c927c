"""A scripted platform: the interception interface with no tracer behind it.

Tests (and readers) drive the real guest kernel with it: they make events
(`entry`, `exit`, `new_thread`, ...), hand them to `Kernel.on_stop`, and read
the kernel's answers from `answers`.  Guest memory is one flat buffer that
the test fills (`put`, `string`) and reads back (`get`).  Nothing is traced,
so it needs no privilege: this is how tests/unit/ checks the path walk, the
PID namespace, the overlay, dispatch and the table without root.

Host processes still exist for what the kernel reaches through the host (a
pidfd to take descriptors from): `spawn` answers with the pid the test chose.
"""
from __future__ import annotations

import copy
import errno
import os
from dataclasses import dataclass, field

from umlpy.platform.interface import INJECT, REWRITE_ARGS, ArgRule, Event, Kind, Platform


@dataclass
class State:
    """A thread's machine state, as far as the interface needs one."""
    nr: int = -1
    args: tuple[int, ...] = (0,) * 6
    result: int = 0


class ScriptedEvent(Event):
    @property
    def nr(self) -> int:
        return self.state.nr

    @property
    def args(self) -> tuple[int, ...]:
        return self.state.args

    @property
    def result(self) -> int:
        return self.state.result


@dataclass
class ScriptedPlatform(Platform):
    """Answers are recorded as tuples: ("complete", tid, result, at_exit), ("install_fd", tid, fd), ..."""
    pid: int = 0                                   # what spawn answers
    capabilities: frozenset[str] = frozenset({REWRITE_ARGS, INJECT})
    base: int = 0x10000
    size: int = 1 << 20
    answers: list[tuple] = field(default_factory=list)
    installed: list[int] = field(default_factory=list)     # our duplicates of installed fds
    events: list[Event] = field(default_factory=list)      # for next_event, oldest first
    native: dict[int, ArgRule | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.memory = bytearray(self.size)
        self._brk = self.base
        self._next_fd = 3

    # ---------------------------------------------------------- making events
    def entry(self, tid: int, nr: int, *args: int) -> ScriptedEvent:
        full = tuple(a & ((1 << 64) - 1) for a in args) + (0,) * (6 - len(args))
        return ScriptedEvent(tid, Kind.ENTRY, state=State(nr, full))

    def exit(self, tid: int, result: int) -> ScriptedEvent:
        return ScriptedEvent(tid, Kind.EXIT, state=State(result=result))

    def event(self, tid: int, kind: Kind, *, sig: int = 0, msg: int = 0) -> ScriptedEvent:
        return ScriptedEvent(tid, kind, sig, msg, State())

    # ------------------------------------------------------------- memory
    def put(self, data: bytes) -> int:
        """Place `data` in guest memory; its address."""
        addr = self._brk
        self.memory[addr - self.base:addr - self.base + len(data)] = data
        self._brk += (len(data) + 15) & ~15
        return addr

    def string(self, s: str | bytes) -> int:
        return self.put((s.encode() if isinstance(s, str) else s) + b"\0")

    def buffer(self, n: int) -> int:
        return self.put(b"\0" * n)

    def get(self, addr: int, n: int) -> bytes:
        return bytes(self.memory[addr - self.base:addr - self.base + n])

    def _in(self, addr: int, n: int) -> bool:
        return self.base <= addr and addr + n <= self.base + self.size

    def read(self, tid: int, addr: int, size: int) -> bytes | None:
        return self.get(addr, size) if self._in(addr, size) else None

    def write(self, tid: int, addr: int, data: bytes) -> bool:
        if not self._in(addr, len(data)):
            return False
        self.memory[addr - self.base:addr - self.base + len(data)] = data
        return True

    def read_str(self, tid: int, addr: int, limit: int = 4096) -> bytes | int:
        if not self._in(addr, 1):
            return -errno.EFAULT
        start = addr - self.base
        end = self.memory.find(b"\0", start, start + limit + 1)
        return -errno.ENAMETOOLONG if end < 0 else bytes(self.memory[start:end])

    # ---------------------------------------------------------- lifecycle
    def spawn(self, exec_fd, argv, envp, *, native, strict, **options) -> int:
        self.native = dict(native)
        self.answers.append(("spawn", [a.decode() for a in argv]))
        return self.pid

    def next_event(self, block: bool = True):
        return self.events.pop(0) if self.events else None

    def close(self) -> None:
        for fd in self.installed:
            os.close(fd)
        self.installed.clear()

    # ------------------------------------------------------------ answers
    def save(self, state):
        return copy.copy(state)

    def complete(self, tid, state, result, *, at_exit):
        self.answers.append(("complete", tid, result, at_exit))
        return 0

    def pass_through(self, tid, state, args=None, *, want_exit):
        self.answers.append(("pass_through", tid, dict(args or {}), want_exit))
        return 0

    def inject(self, tid, state, nr, args, *, at_exit):
        self.answers.append(("inject", tid, nr, tuple(args)))
        return 0

    def install_fd(self, tid, state, hostfd, cloexec, *, want_exit):
        self.installed.append(os.dup(hostfd))
        fd, self._next_fd = self._next_fd, self._next_fd + 1
        self.answers.append(("install_fd", tid, fd, cloexec))
        return fd

    def restart_syscall(self, tid, nr):
        self.answers.append(("restart", tid, nr))

    def resume(self, tid, *, want_exit=False, sig=0):
        self.answers.append(("resume", tid, sig))
        return 0

    def listen(self, tid):
        self.answers.append(("listen", tid))
        return 0

    def hold_signals(self, tid):
        self.answers.append(("hold_signals", tid))
        return 0

    def set_sigmask(self, tid, mask):
        self.answers.append(("set_sigmask", tid, mask))
        return 0

    def get_siginfo(self, tid):
        return None

    def set_siginfo(self, tid, info):
        return 0
