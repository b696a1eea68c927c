"""Running one guest syscall through its handler, across as many stops as it needs.

A handler returns (or, if it is a generator, yields) requests:

  int            the final result; an emulated call is skipped by the host
  Native(...)    let the host kernel run the call, maybe with rewritten
                 arguments, and maybe translate its result (`then`)
  InstallFd(fd)  give a supervisor-owned descriptor to the guest: the thread
                 runs the seccomp "magic" syscall and the supervisor installs
                 the fd through the user-notification listener
  Inject(nr,..)  (generators only) run another syscall in the guest's context
                 and receive its result

Generators make a multi-stop syscall (execve: install fd, write argv, exec)
read as straight-line code.  The `Call` object carries that state between
stops; the stop loop feeds it the entry stop and every later syscall stop.
"""
from __future__ import annotations

import errno
import os
import types
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from umlpy.abi.errno import KernelError
from umlpy.kernel.table import DECODERS, DENY
from umlpy.platform.ptrace import backend as P
from umlpy.platform.ptrace.seccomp import MAGIC_NR

if TYPE_CHECKING:
    from umlpy.kernel.kernel import Kernel
    from umlpy.kernel.table import Row
    from umlpy.kernel.task import Task

U64 = (1 << 64) - 1
ALL_BUT_KILL_STOP = U64 & ~((1 << 8) | (1 << 18))      # bits are signal-1
ERESTARTSYS, ERESTARTNOINTR = -512, -513
EXEC_NRS = (59, 322)                       # execve, execveat
RESTART_CODES = {-512, -513, -514, -516}   # ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK


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


@dataclass
class Call:
    """A syscall in progress on one task."""
    entry: "Row"
    nr: int
    args: tuple[int, ...]
    saved: object = None                # registers at the entry stop, kept only if needed
    gen: types.GeneratorType | None = None
    then: Callable[[int], int] | None = None
    restore: bool = False               # restore `saved` at the exit stop
    execed: bool = False                # an exec happened inside this call
    sigmask: int | None = None          # the guest's signal mask, to put back at exit
    interrupted: bool = False           # a signal beat an fd hand-over
    text: str | None = None             # --trace: the call, formatted before an exec replaced its memory
    strings: dict[int, str] = field(default_factory=dict)   # decoded args for --trace
    note: str | None = None


def _set_args(regs, args: dict[int, int] | tuple[int, ...]) -> None:
    items = args.items() if isinstance(args, dict) else enumerate(args)
    for i, v in items:
        setattr(regs, P.ARG_REGS[i], v & U64)


class Dispatcher:
    """Feeds syscall stops of every task to handlers (see module docstring)."""

    def __init__(self, kernel: "Kernel") -> None:
        self.k = kernel
        self.platform = kernel.platform

    # ------------------------------------------------------------ entry
    def on_seccomp(self, task: "Task", regs) -> None:
        if task.call is not None:            # an injected syscall passing the filter
            self.platform.resume(task.host_tid, P.STEP_SYSCALL)
            return
        nr = regs.orig_rax
        args = (regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9)
        entry = self.k.lookup(nr)
        call = Call(entry, nr, args)
        if self.k.tracing and nr in EXEC_NRS:
            call.text = self.k.format_call(task, call)
        self.k.count(entry)
        task.call = call
        self.k.current_task = task
        if entry.rule is not None and rule_allows(entry.rule, args):
            return self._run_native(task, call, regs, Native())   # strict mode only
        if entry.handler is None:
            if entry.cls is DENY:
                call.note = f"(denied: {entry.note})"
                self.k.note_denied(task, call)
                return self._finish(task, call, regs, -entry.errno, at_exit=False)
            # native class stopping in strict mode (or an unhandled argument value)
            return self._run_native(task, call, regs, Native())
        try:
            out = self._invoke(task, call, regs)
        except KernelError as e:
            out = -e.errno
            if e.why:
                call.note = f"({e.why})"
        self._advance(task, call, regs, out, at_exit=False)

    def _invoke(self, task: "Task", call: Call, regs):
        decoded = []
        for i, (name, ann) in enumerate(call.entry.params):
            raw = call.args[i]
            if ann == "Path":
                s = self.platform.read_str(task.host_tid, raw, 4096)
                if isinstance(s, int):
                    raise KernelError(-s)
                v = os.fsdecode(s)
                call.strings[i] = v
            else:
                v = DECODERS.get(ann, int)(raw)
            decoded.append(v)
        out = call.entry.handler(task, *decoded)
        if isinstance(out, types.GeneratorType):
            # A multi-step call runs several syscalls in the guest's context;
            # a signal handler must not run in between (it would run with our
            # half-injected registers).  Hold signals off until it is done.
            self._keep(call, regs)
            self._hold_signals(task, call)
            call.gen = out
            out = next(out)
        return out

    @staticmethod
    def _keep(call: Call, regs) -> None:
        """Copy the entry registers: the call outlives this stop (the stop
        buffer is reused by the next one).  Emulated calls, the common case,
        finish at their entry stop and never pay for the copy."""
        if call.saved is None:
            call.saved = P.PtracePlatform.copy_regs(regs)

    def _hold_signals(self, task: "Task", call: Call) -> None:
        if call.sigmask is None:
            call.sigmask = self.platform.getsigmask(task.host_tid)
            if call.sigmask is not None:
                self.platform.setsigmask(task.host_tid, ALL_BUT_KILL_STOP)

    # ------------------------------------------------------------- exit
    def on_syscall_stop(self, task: "Task", regs, op: int) -> None:
        call = task.call
        if call is None or op != P.OP_EXIT:
            # entry stop of an injected syscall, or a stray stop: keep stepping
            mode = P.STEP_SYSCALL if call is not None else P.CONT
            self.platform.resume(task.host_tid, mode)
            return
        result = regs.rax - (1 << 64) if regs.rax & (1 << 63) else regs.rax
        if call.gen is not None:
            try:
                out = call.gen.send(result)
            except KernelError as e:
                out = -e.errno
                call.gen = None
            except StopIteration as stop:
                out = stop.value if stop.value is not None else result
                call.gen = None
        elif call.then is not None and result not in RESTART_CODES:
            out = call.then(result)
        else:
            out = result
        self._advance(task, call, regs, out, at_exit=True)

    # ----------------------------------------------------------- engine
    def _advance(self, task: "Task", call: Call, regs, out, *, at_exit: bool) -> None:
        """Carry out what the handler returned at this stop."""
        if out is None:
            raise TypeError(f"handler of {call.entry.name} returned None (a result or a request is required)")
        if isinstance(out, bool):
            out = int(out)
        if isinstance(out, int):
            if call.gen is not None:         # a generator's `return` ends the call
                call.gen = None
            return self._finish(task, call, regs, out, at_exit=at_exit)
        if isinstance(out, Native):
            if at_exit:
                raise RuntimeError("Native() must be the first request of a handler")
            return self._run_native(task, call, regs, out)
        if isinstance(out, InstallFd):
            return self._install_fd(task, call, regs, out, at_exit)
        if isinstance(out, Wait):
            if at_exit:
                raise RuntimeError("Wait must be the first request of a handler")
            self._keep(call, regs)
            self.k.waiting[task] = (call, out)       # the thread stays in its stop
            return
        if isinstance(out, Inject):
            self._keep(call, regs)
            self._prepare_syscall(regs, out.nr, out.args, at_exit)
            task.call = call
            call.restore = True
            self.platform.resume(task.host_tid, P.STEP_SYSCALL, 0, regs)
            return
        raise TypeError(f"handler of {call.entry.name} returned {out!r}")

    def poll_waiting(self) -> None:
        """Give every thread parked by a Wait request its chance to go on."""
        for task, (call, wait) in list(self.k.waiting.items()):
            if task.host_tid not in self.k.pidns.tasks:
                wait.cancel()
                del self.k.waiting[task]
                continue
            try:
                out = wait.ready()
                if out is None and self.k.signal_pending(task):
                    wait.cancel()
                    out = -errno.EINTR
            except KernelError as e:
                out = -e.errno
            if out is None:
                continue
            del self.k.waiting[task]
            regs = P.PtracePlatform.copy_regs(call.saved)   # still in its entry stop
            self._advance(task, call, regs, out, at_exit=False)

    def _run_native(self, task: "Task", call: Call, regs, req: Native) -> None:
        call.then = req.then
        if req.args:
            self._keep(call, regs)               # the guest's own arguments, for the exit
            _set_args(regs, req.args)
            call.restore = True
        need_exit = call.restore or call.then is not None or self.k.tracing
        if need_exit:
            task.call = call
            self.platform.resume(task.host_tid, P.STEP_SYSCALL, 0, regs if req.args else None)
        else:
            task.call = None
            self.platform.resume(task.host_tid, P.CONT)

    def _install_fd(self, task: "Task", call: Call, regs, req: InstallFd, at_exit: bool) -> None:
        if at_exit:
            raise RuntimeError("InstallFd must be the first request of a handler")
        more = call.gen is not None or self.k.tracing
        if task.masked_handovers > 0:
            # Signals keep beating the hand-over on this thread (a fast
            # interval timer, say): hold them off until the fd is installed,
            # then give them back at the exit stop.  Guarantees progress.
            task.masked_handovers -= 1
            self._hold_signals(task, call)
            more = call.sigmask is not None or more
        if more:
            self._keep(call, regs)               # restored at the exit stop
        # Only the syscall number changes: the argument registers the guest's
        # compiler expects preserved across `syscall` are left alone.
        regs.orig_rax = MAGIC_NR
        task.call = call if more else None
        call.restore = more
        r = self.platform.resume(task.host_tid, P.STEP_SYSCALL if more else P.CONT, 0, regs)
        newfd = self.platform.addfd(self.k.listener, task.host_tid, req.fd, req.cloexec) if r == 0 else r
        if req.close:
            os.close(req.fd)
        if newfd == -errno.EINTR:
            call.interrupted = True
        if newfd == -errno.EINTR and not more:
            # A signal reached the thread first; see Kernel.unwind_magic.
            task.restart_nr = call.nr
            task.masked_handovers = 16
            return
        if not more:
            self.k.trace_done(task, call, newfd)
        # with `more`, the exit stop (rax = the new fd, or -ERESTARTSYS if a
        # signal came first) continues the call; _finish restores the
        # guest's own syscall number so that a restart restarts it.

    @staticmethod
    def _prepare_syscall(regs, nr: int, args: tuple[int, ...], at_exit: bool) -> None:
        if at_exit:
            regs.rip -= 2                    # back onto the `syscall` instruction
            regs.rax = nr
        else:
            regs.orig_rax = nr
        full = tuple(args) + (0,) * (6 - len(args))
        _set_args(regs, full)

    def _finish(self, task: "Task", call: Call, regs, result: int, *, at_exit: bool) -> None:
        task.call = None
        if call.sigmask is not None:
            self.platform.setsigmask(task.host_tid, call.sigmask)
        if at_exit:
            if call.execed:
                out = None                   # registers belong to the new program
            elif call.restore:
                if call.interrupted and result == ERESTARTSYS:
                    result = ERESTARTNOINTR      # always restart: Linux never fails open with EINTR
                out = call.saved
                out.rax = result & U64
            else:
                regs.rax = result & U64
                out = regs
        else:
            regs.orig_rax = U64               # skip the host syscall
            regs.rax = result & U64
            out = regs
        self.k.trace_done(task, call, result)
        self.platform.resume(task.host_tid, P.CONT, 0, out)


def rule_allows(rule, args: tuple[int, ...]) -> bool:
    """Would the seccomp filter have let this call run natively (see seccomp.ArgRule)?"""
    v = args[rule.arg]
    if rule.zero64:
        match = v == 0
    else:
        match = (v & 0xFFFFFFFF) in rule.values
    return match == rule.allow


__all__ = ["Native", "InstallFd", "Inject", "Call", "Dispatcher"]
