"""Running one guest syscall through its handler, across as many stops as it needs.

A handler returns (or, if it is a generator, yields) an int result or a
request (kernel/requests.py): Native, InstallFd, Inject, Wait.  The
dispatcher turns each into an answer to the interception platform
(platform/interface.py) and never touches registers itself.

Generators make a multi-stop syscall (execve: install fd, write argv, exec)
read as straight-line code.  The `Call` object carries that state between
stops; the stop loop feeds it the entry stop and every later syscall stop.
"""
from __future__ import annotations

import errno
import os
import sys
import types
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from umlpy.abi.errno import ERESTARTNOINTR, ERESTARTSYS, RESTART_CODES, KernelError
from umlpy.abi.numbers import NUMBERS
from umlpy.kernel.requests import Inject, InstallFd, Native, Wait
from umlpy.kernel.table import DECODERS, DENY
from umlpy.platform.interface import INJECT, REWRITE_ARGS

_MASK64 = (1 << 64) - 1
PATH = object()                            # _plan: the parameter is a guest path string
_FSENC, _FSERR = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()

if TYPE_CHECKING:
    from umlpy.kernel.kernel import Kernel
    from umlpy.kernel.table import Row
    from umlpy.kernel.task import Task
    from umlpy.platform.interface import Event

EXEC_NRS = (59, 322)                       # execve, execveat


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


X32_SYSCALL_BIT = 0x40000000


def _number_note(nr: int) -> str | None:
    """Why a number outside the x86-64 table is refused (ENOSYS, as Linux without x32)."""
    low = nr & 0xFFFFFFFF
    if low >= 0x80000000:
        return f"syscall number {low - (1 << 32)} is negative"
    if low & X32_SYSCALL_BIT:
        return f"x32 ABI syscall {low & ~X32_SYSCALL_BIT} (bit 30 set) is refused"
    return None


class Dispatcher:
    """Feeds syscall stops of every task to handlers (see module docstring)."""

    def __init__(self, kernel: "Kernel") -> None:
        self.k = kernel
        self.platform = kernel.platform
        self._plans: dict[int, tuple] = {}     # nr -> (row, its parameters' decoding: _plan)

    # ------------------------------------------------------------ entry
    def on_entry(self, task: "Task", ev: "Event") -> None:
        """A syscall that stops (not native, or strict mode): run its row of the table."""
        if task.call is not None:            # an injected syscall passing the filter
            self.platform.pass_through(task.host_tid, None, want_exit=True)
            return
        nr, args, regs = ev.nr, ev.args, ev.state
        entry = self.k.lookup(nr)
        call = Call(entry, nr, args)
        if self.k.tracing and nr in EXEC_NRS:
            call.text = self.k.format_call(task, call)
        self.k.count(entry)
        task.call = call
        self.k.current_task = task
        if entry.rule is not None and rule_allows(entry.rule, args) and self.k.config.strict:
            # Strict mode stops every call: a rule's native values run as the filter would
            # have let them.  Otherwise such a call stops only for a filter the guest
            # kernel stacked on this task (kernel/stopfilter.py): its handler decides.
            return self._run_native(task, call, regs, Native())
        if entry.handler is None:
            if entry.cls is DENY:
                call.note = f"(denied: {_number_note(nr) or entry.note})"
                self.k.note_denied(task, call)
                return self._finish(task, call, regs, -entry.errno, at_exit=False)
            # native class stopping in strict mode (or an unhandled argument value)
            return self._run_native(task, call, regs, Native())
        answers = self.k.answers                 # calls whose answers the platform keeps
        if nr in answers.nrs:
            answers.before(nr, call.args)
        try:
            out = self._invoke(task, call, regs)
        except KernelError as e:
            out = -e.errno
            if e.why:
                call.note = f"({e.why})"
        else:
            if nr in answers.nrs:
                answers.after(task, nr, out)
        if type(out) is int and call.gen is None:    # the common case: a result, at once
            return self._finish(task, call, regs, out, at_exit=False)
        self._advance(task, call, regs, out, at_exit=False)

    def _plan(self, entry: "Row") -> tuple:
        """How each parameter of `entry`'s handler is decoded: (index, None) for a raw
        register, (index, PATH) for a guest string, (index, decoder) otherwise."""
        plan = self._plans.get(entry.nr)
        if plan is None or plan[0] is not entry:
            steps = []
            for i, (_, ann) in enumerate(entry.params):
                dec = PATH if ann == "Path" else DECODERS.get(ann, int)
                steps.append((i, None if dec is int else dec))
            plan = self._plans[entry.nr] = (entry, tuple(steps))
        return plan[1]

    def _invoke(self, task: "Task", call: Call, regs):
        decoded = []
        add = decoded.append
        args = call.args
        for i, dec in self._plan(call.entry):
            if dec is None:
                add(args[i])
            elif dec is PATH:
                s = self.platform.read_str(task.host_tid, args[i], 4096)
                if type(s) is int:
                    raise KernelError(-s)
                v = s.decode(_FSENC, _FSERR)          # os.fsdecode's
                call.strings[i] = v
                add(v)
            else:
                add(dec(args[i]))
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

    def _keep(self, call: Call, regs) -> None:
        """Copy the entry registers: the call outlives this stop (the stop
        buffer is reused by the next one).  Emulated calls, the common case,
        finish at their entry stop and never pay for the copy."""
        if call.saved is None:
            call.saved = self.platform.save(regs)

    def _hold_signals(self, task: "Task", call: Call) -> None:
        if call.sigmask is None:
            call.sigmask = self.platform.hold_signals(task.host_tid)

    def run_at_start(self, task: "Task", gen: types.GeneratorType) -> None:
        """Run `gen` (Inject requests, then a result) in a new thread stopped before its
        first instruction, where it is returning from the clone that made it: the
        injected calls go at the `syscall` instruction just run, and the thread then
        returns the generator's result (clone's 0) with its own registers."""
        regs = self.platform.state_of(task.host_tid)
        if regs is None or INJECT not in self.platform.capabilities:
            gen.close()
            self.platform.resume(task.host_tid)
            return
        nr = NUMBERS["clone"]
        call = Call(self.k.lookup(nr), nr, ())
        call.text = f"[pid {task.tid}] <new thread: setting up its namespaces>"
        self._keep(call, regs)
        call.restore = True
        self._hold_signals(task, call)
        call.gen = gen
        task.call = call
        try:
            out = next(gen)
        except KernelError as e:
            out = -e.errno
            call.gen = None
        self._advance(task, call, regs, out, at_exit=True)

    # ------------------------------------------------------------- exit
    def on_exit(self, task: "Task", ev: "Event") -> None:
        """A syscall let through (or injected) has returned: the handler goes on."""
        call = task.call
        if call is None:                     # a stray exit: nothing waits for it
            self.platform.resume(task.host_tid)
            return
        regs, result = ev.state, ev.result
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
            if INJECT not in self.platform.capabilities:
                return self._refuse(task, call, regs, "inject", at_exit)
            self._keep(call, regs)
            task.call = call
            call.restore = True
            self.platform.inject(task.host_tid, regs, out.nr, out.args, at_exit=at_exit)
            return
        raise TypeError(f"handler of {call.entry.name} returned {out!r}")

    def poll_waiting(self) -> None:
        """Give every thread parked by a Wait request its chance to go on."""
        for task, (call, wait) in list(self.k.waiting.items()):
            if task.host_tid not in self.k.pidns.tasks:
                wait.cancel()
                del self.k.waiting[task]
                continue
            self.k.vfs.mounts = task.ns.mnt.table   # as Kernel.on_stop: its mount namespace
            try:
                out = wait.ready()
                if out is None and self.k.signal_pending(task, wait.ignore()):
                    wait.cancel()
                    out = -errno.EINTR
            except KernelError as e:
                out = -e.errno
            if out is None:
                continue
            del self.k.waiting[task]
            regs = self.platform.save(call.saved)   # still in its entry stop
            self._advance(task, call, regs, out, at_exit=False)

    def _run_native(self, task: "Task", call: Call, regs, req: Native) -> None:
        call.then = req.then
        args = req.args
        if args and all(v & _MASK64 == call.args[i] & _MASK64 for i, v in args.items()):
            # The translation changed nothing (guest ids are the host namespace's,
            # most often): no registers to write, none to restore at an exit stop.
            args = None
        if args:
            if REWRITE_ARGS not in self.platform.capabilities:
                return self._refuse(task, call, regs, "rewrite arguments", False)
            self._keep(call, regs)               # the guest's own arguments, for the exit
            call.restore = True
        need_exit = call.restore or call.then is not None or self.k.tracing
        task.call = call if need_exit else None
        self.platform.pass_through(task.host_tid, regs, args, want_exit=need_exit)

    def _refuse(self, task: "Task", call: Call, regs, what: str, at_exit: bool) -> None:
        """The handler asked for what this platform cannot do: fail the call, say why."""
        call.note = f"(the interception platform cannot {what})"
        call.gen = None
        self._finish(task, call, call.saved if at_exit and call.restore else regs, -errno.ENOSYS,
                     at_exit=at_exit)

    def _install_fd(self, task: "Task", call: Call, regs, req: InstallFd, at_exit: bool) -> None:
        if at_exit:
            raise RuntimeError("InstallFd must be the first request of a handler")
        # fs_watched (a guest inotify watch exists, syscalls/inotify.py): the thread waits at
        # the exit stop while we close our copy, or its own close() would not be the file's last.
        more = call.gen is not None or self.k.tracing or getattr(self.k, "fs_watched", False)
        if req.hold_signals or task.masked_handovers > 0:
            # The fd cannot be made again, or signals keep beating the
            # hand-over on this thread (a fast interval timer, say): hold
            # them off until the fd is installed, then give them back at the
            # exit stop.  Guarantees progress.
            task.masked_handovers = max(task.masked_handovers - 1, 0)
            self._hold_signals(task, call)
            more = call.sigmask is not None or more
        if more:
            self._keep(call, regs)               # restored at the exit stop
        task.call = call if more else None
        call.restore = more
        newfd = self.platform.install_fd(task.host_tid, regs, req.fd, req.cloexec, want_exit=more)
        if req.close:
            os.close(req.fd)
        if newfd == -errno.EINTR:
            call.interrupted = True
        if newfd == -errno.EINTR and not more:
            # A signal reached the thread first: the platform restarts the guest's call
            # after the handler (Platform.restart_syscall, at the signal event).
            task.restart_nr = call.nr
            task.masked_handovers = 16
            return
        if not more:
            self.k.trace_done(task, call, newfd)
        # with `more`, the exit stop (rax = the new fd, or -ERESTARTSYS if a
        # signal came first) continues the call; _finish restores the
        # guest's own syscall number so that a restart restarts it.

    def _finish(self, task: "Task", call: Call, regs, result: int, *, at_exit: bool) -> None:
        task.call = None
        if call.sigmask is not None:
            self.platform.set_sigmask(task.host_tid, call.sigmask)
        state = regs
        if at_exit and call.execed:
            state = None                         # registers belong to the new program
        elif at_exit and call.restore:
            if call.interrupted and result == ERESTARTSYS:
                result = ERESTARTNOINTR          # always restart: Linux never fails open with EINTR
            state = call.saved
        if self.k.tracing:
            self.k.trace_done(task, call, result)
        if task.ptrace is not None and self.k.gptrace.stops_after(task, at_exit):
            # A guest tracer's stop comes now: the syscall-exit-stop it asked for, or
            # an INTERRUPT that came during the call (kernel/ptrace.py).
            self.platform.complete(task.host_tid, state, result, at_exit=at_exit, hold=True)
            return self.k.gptrace.after_call(task, call.nr, at_exit)
        self.platform.complete(task.host_tid, state, result, at_exit=at_exit)


def rule_allows(rule, args: tuple[int, ...]) -> bool:
    """Would the seccomp filter have let this call run natively (see platform.interface.ArgRule)?"""
    v = args[rule.arg]
    if rule.zero64:
        match = v == 0
    else:
        match = (v & 0xFFFFFFFF) in rule.values
    return match == rule.allow


__all__ = ["Native", "InstallFd", "Inject", "Wait", "Call", "Dispatcher"]
