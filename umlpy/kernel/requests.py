"""What a syscall handler may ask of the dispatcher, besides returning a result.

  Native(...)    let the host kernel run the call, maybe with rewritten
                 arguments, and maybe translate its result (`then`)
  InstallFd(fd)  give a supervisor-owned descriptor to the guest as the result
  Inject(nr,..)  (generators only) run another syscall in the guest's context
                 and receive its result
  Wait(ready)    keep the thread in its syscall until `ready()` has an answer
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass
class Native:
    """Let the host run this syscall, with `args` (index -> value) replaced."""
    args: dict[int, int] | None = None
    then: Callable[[int], int] | None = None


@dataclass
class InstallFd:
    """Install supervisor fd `fd` in the guest; the guest's new fd number is the result."""
    fd: int
    cloexec: bool = False
    close: bool = True          # close the supervisor's copy afterwards
    # A hand-over a signal interrupts is normally redone: the guest's call
    # restarts and the handler runs again.  Some opens cannot be redone (a
    # FIFO end whose writer has come and gone: closing our copy discards
    # the data; a file O_EXCL created): those hold signals off until the fd
    # is in, at the price of one more stop.
    hold_signals: bool = False


@dataclass
class Inject:
    """Run syscall `nr` with `args` in the guest (generator handlers only)."""
    nr: int
    args: tuple[int, ...] = ()


@dataclass
class Wait:
    """Keep the thread stopped until `ready()` returns a request (not None).

    For a syscall that must block in the guest (opening a FIFO waits for
    the other end) while the supervisor goes on serving everyone else: the
    stop loop polls `ready` between stops.  `cancel()` undoes what was
    prepared if a signal ends the wait (the call then fails with EINTR).
    """
    ready: Callable[[], object]
    cancel: Callable[[], None] = lambda: None
    # Signals (a mask: bit n-1 for signal n) that do not end the wait for now:
    # a wait whose child's SIGCHLD came early (syscalls/ptrace.py) keeps waiting.
    ignore: Callable[[], int] = lambda: 0
