"""Guest ptrace: guest tracers tracing guest tracees, as gVisor and proot do it.

The supervisor is already the host tracer of every guest thread, so a guest
tracer cannot be a host tracer too.  Instead, the guest kernel keeps the
state Linux's ptrace keeps (kernel/ptrace.c, the ptrace parts of signal.c
and exit.c): who traces whom, with which options, and the ptrace-stop each
tracee is in.  A tracee's ptrace-stop is a host ptrace stop the supervisor
simply does not resume: it keeps the thread stopped on behalf of the guest
tracer, tells the tracer (its emulated wait4/waitid report the stop, with
Linux's status encodings, and SIGCHLD), and serves the tracer's requests
(syscalls/ptrace.py) from its own view of the thread: the host registers,
memory and siginfo of the stopped thread.  The tracer's PTRACE_CONT,
PTRACE_SYSCALL or PTRACE_SINGLESTEP decides how the host resumes it.

Where the stops come from:
  signal-delivery-stop  a host signal-delivery-stop of a traced thread is
                        held instead of delivered; the tracer's restart
                        request chooses the signal that is delivered
  group-stop            the host's group-stop (under SEIZE with
                        PTRACE_EVENT_STOP, as Linux reports it)
  syscall-stops         after PTRACE_SYSCALL the platform resumes the thread
                        with host PTRACE_SYSCALL (platform.step_mode), so
                        that even native-class calls, which the seccomp
                        filter lets run with no stop, stop at entry and exit
  event stops           the host's fork/vfork/clone/exec events, when the
                        tracer asked for them (PTRACE_O_TRACE*); children
                        are auto-attached and start in a ptrace-stop
  PTRACE_EVENT_STOP     PTRACE_INTERRUPT, LISTEN's wake-up, a seized child's
                        first stop

Limits (see docs/design.md, "Guest ptrace"): a tracer is a process, not one
of its threads; PTRACE_O_TRACEVFORKDONE and TRACESECCOMP are accepted but
never produce their event; the real parent may see a traced
child's exit before the tracer does.
"""
from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from umlpy.abi.linux import CLONE_THREAD, CLONE_UNTRACED, CLONE_VFORK, SIGCHLD
from umlpy.kernel import coredump
from umlpy.platform import host
from umlpy.platform.interface import Kind

if TYPE_CHECKING:
    from umlpy.kernel.kernel import Kernel
    from umlpy.kernel.task import Process, Task
    from umlpy.platform.interface import Event

CLONE_PTRACE = 0x00002000      # clone(2): the child is traced too, if the caller is
# PTRACE_O_* (include/uapi/linux/ptrace.h)
O_TRACESYSGOOD, O_TRACEFORK, O_TRACEVFORK, O_TRACECLONE, O_TRACEEXEC = 0x1, 0x2, 0x4, 0x8, 0x10
O_TRACEVFORKDONE, O_TRACEEXIT, O_TRACESECCOMP, O_EXITKILL, O_SUSPEND_SECCOMP = (
    0x20, 0x40, 0x80, 0x100000, 0x200000)
O_MASK = 0x7F | O_EXITKILL | O_SUSPEND_SECCOMP
# PTRACE_EVENT_*
EVENT_FORK, EVENT_VFORK, EVENT_CLONE, EVENT_EXEC, EVENT_VFORK_DONE, EVENT_EXIT = 1, 2, 3, 4, 5, 6
EVENT_STOP = 128
# What a held stop is (how the tracer's requests and wait see it).
SIGNAL_STOP, GROUP_STOP, SYSCALL_ENTRY, SYSCALL_EXIT, EVENT, INTERRUPT = range(6)
# How the tracer last resumed it (the platform's step modes).
RUN, RUN_SYSCALL, RUN_STEP = 0, 1, 2
# The host thread's state while held: a ptrace trap the platform resumes, or
# a group-stop the platform answered with PTRACE_LISTEN (it must be
# interrupted into a trap before it can be resumed another way).
TRAP, LISTENING = 0, 1
MAX_EXITS = 4096        # exits of a tracer's tracees kept until it waits


@dataclass
class Stop:
    """A ptrace-stop as the tracer sees it."""
    kind: int
    status: int                 # the wait status (WIFSTOPPED)
    sig: int = 0
    msg: int = 0                # PTRACE_GETEVENTMSG


class Tracee:
    """What the guest kernel knows about one traced thread."""

    def __init__(self, task: "Task", tracer: "Task", seized: bool, options: int) -> None:
        self.task = task
        self.tracer = tracer                     # the tracing thread (its process waits)
        self.seized = seized
        self.options = options
        self.stop: Stop | None = None            # the ptrace-stop it is held in, if any
        self.reported = False                    # the tracer's wait has seen `stop`
        self.resume: Callable[[int], object] | None = None   # resumes the held host stop with a signal
        self.host = TRAP
        self.mode = RUN
        self.entry_nr = -1                       # the syscall between its entry and exit stops
        self.listening = False                   # PTRACE_LISTEN: waits for the group-stop to end
        self.cont_seen = False                   # the host group-stop ended while held
        self.deferred: tuple[int, int] | None = None   # (mode, sig) waiting for the host trap
        self.interrupt = False                   # PTRACE_INTERRUPT not yet served
        self.first = False                       # auto-attached: its first stop is a ptrace-stop
        self.siginfo: bytes | None = None        # PTRACE_SETSIGINFO at a stop without a host siginfo
        self.event_msg = 0
        self.exits_traced = False                # the host reports its exit first (EXITING)
        self.exec_wait = 0                       # syscalls left to wait for ld.so to map the program
        self.exec_mapped = False                 # ld.so has mapped (some of) the program's file
        self.exec_stops: list[Stop] = []         # an exec's stops still to come

    @property
    def stopped(self) -> bool:
        return self.stop is not None


class GuestPtrace:
    """Every guest tracer/tracee relation of one sandbox, and the stops between them."""

    def __init__(self, kernel: "Kernel") -> None:
        self.k = kernel
        self.platform = kernel.platform
        self.tracees: dict["Process", set["Task"]] = {}      # tracer process -> its tracees
        # Exits of tracees the tracer waits for itself (the real parent reaps
        # the host's zombie natively): tracer -> [(tid, status, process or None)].
        self.exits: dict["Process", list[tuple[int, int, "Process | None"]]] = {}
        # Children whose exit goes to their tracer first (Linux's order): real
        # parent -> those traced by another process, alive or exited and not yet
        # waited for by the tracer.  Such a parent waits in Python too.
        self.guarded: dict["Process", set["Process"]] = {}

    @property
    def active(self) -> bool:
        return bool(self.tracees) or bool(self.exits) or bool(self.guarded)

    def traces(self, proc: "Process") -> bool:
        """Must `proc`'s wait be served here: it has tracees, exits of former tracees
        to report, or children whose exit their tracer must see first?"""
        return proc in self.tracees or proc in self.exits or proc in self.guarded

    def _guard(self, task: "Task", on: bool) -> None:
        """Track a traced process whose real parent is not its tracer."""
        proc = task.process
        parent = proc.parent
        if parent is None or task.tid != proc.pid:
            return
        if on:
            if task.ptrace is not None and task.ptrace.tracer.process is not parent:
                self.guarded.setdefault(parent, set()).add(proc)
                self.wait_here(parent)
        else:
            kids = self.guarded.get(parent)
            if kids is not None:
                kids.discard(proc)
                if not kids:
                    del self.guarded[parent]

    def _release(self, proc: "Process | None") -> None:
        """The tracer has seen `proc`'s exit: its real parent may reap it now."""
        if proc is None or proc.parent is None:
            return
        kids = self.guarded.get(proc.parent)
        if kids is not None:
            kids.discard(proc)
            if not kids:
                del self.guarded[proc.parent]

    def wait_here(self, proc: "Process") -> None:
        """`proc` must wait in Python from now on: a thread of it blocked in the
        host's wait4/waitid is interrupted (PTRACE_INTERRUPT); the host restarts
        the call (-ERESTARTSYS, no handler runs), and the stop loop serves it."""
        for t in list(proc.threads.values()):
            if t.call is not None and t.call.nr in (61, 247) and t not in self.k.waiting:
                self.platform.interrupt(t.host_tid)

    def guarded_children(self, parent: "Process") -> set:
        return self.guarded.get(parent, set())

    # ------------------------------------------------------------ relations
    def attach(self, tracer: "Task", task: "Task", seized: bool, options: int) -> Tracee:
        t = Tracee(task, tracer, seized, options)
        task.ptrace = t
        self.k.answers.forget(task.host_tid)         # its calls must stop for the tracer now
        self.tracees.setdefault(tracer.process, set()).add(task)
        self._guard(task, True)
        return t

    def _forget(self, task: "Task", dead: bool = False) -> None:
        t = task.ptrace
        if t is None:
            return
        if not dead:
            self._guard(task, False)             # detached: its parent waits as usual
        task.ptrace = None
        self.platform.step_mode(task.host_tid, RUN)
        s = self.tracees.get(t.tracer.process)
        if s is not None:
            s.discard(task)
            if not s:
                del self.tracees[t.tracer.process]

    def detach(self, task: "Task", sig: int) -> None:
        """PTRACE_DETACH, or the tracer's exit: the thread goes on untraced."""
        t = task.ptrace
        held, host_state = t.stop is not None, t.host
        resume = t.resume
        kind = t.stop.kind if t.stop else None
        self._forget(task)
        if not held:
            return
        if kind == GROUP_STOP:
            if host_state == TRAP:
                self.platform.listen(task.host_tid)   # stays in its group-stop, as on Linux
            return
        if host_state == TRAP and resume is not None:
            resume(sig if kind == SIGNAL_STOP else 0)

    # ----------------------------------------------------------------- stops
    def hold(self, task: "Task", stop: Stop, resume: Callable[[int], object] | None,
             host_state: int = TRAP) -> None:
        """Keep `task` in a ptrace-stop for its tracer, and tell the tracer."""
        t = task.ptrace
        t.stop, t.reported, t.resume, t.host = stop, False, resume, host_state
        t.listening = t.cont_seen = False
        t.siginfo = None
        if stop.kind == EVENT:
            t.event_msg = stop.msg
        if not t.exits_traced and host_state == TRAP:
            # PTRACE_O_TRACEEXIT needs the host's exit event; asked for only now that
            # the thread is stopped (the host accepts options from a stopped tracee).
            t.exits_traced = self.platform.trace_exits(task.host_tid) == 0
        self.notify(t.tracer.process)

    def notify(self, tracer: "Process") -> None:
        """SIGCHLD to the tracer, as do_notify_parent_cldstop sends it; only if the
        tracer handles SIGCHLD (it is ignored otherwise and costs a stop)."""
        handled = host.handled_signals(tracer.host_pid) if tracer.alive else None
        if handled and handled >> (SIGCHLD - 1) & 1:
            try:
                os.kill(tracer.host_pid, SIGCHLD)
            except OSError:
                pass

    def _resumer(self, task: "Task") -> Callable[[int], object]:
        tid = task.host_tid

        def resume(sig: int) -> object:
            if sig:                          # the tracer delivers it: its default action may dump core
                coredump.on_signal(self.k, task, sig)
            return self.platform.resume(tid, want_exit=task.call is not None, sig=sig)
        return resume

    def _syscall_status(self, t: Tracee) -> int:
        sig = signal.SIGTRAP | (0x80 if t.options & O_TRACESYSGOOD else 0)
        return sig << 8 | 0x7F

    def on_stop(self, task: "Task", ev: "Event") -> bool:
        """A host stop of a traced thread: True if it became (or stays) a ptrace-stop
        here, False if the stop loop serves it as for any thread."""
        t = task.ptrace
        k = ev.kind
        if t.exec_wait and k in (Kind.SYSCALL_ENTRY, Kind.EXIT) and task.call is None:
            return self._exec_progress(task, ev)
        call = task.call
        if call is not None and (call.gen is not None or call.restore) and k in _ASYNC_STOPS:
            # The thread is in the middle of a call the supervisor runs in steps
            # (injected syscalls, rewritten arguments): its registers are the
            # supervisor's, and the next syscall it makes passes unchecked as
            # part of that call.  A tracer must neither see nor change them, so
            # such a stop is not a ptrace-stop (SIGSTOP is delivered as usual;
            # an INTERRUPT is asked for again, to trap once the call is done).
            if k == Kind.START and t.interrupt:
                self.platform.resume(task.host_tid, want_exit=True)   # served by after_call
                return True
            return False
        if k == Kind.SYSCALL_ENTRY:
            if task.call is not None:            # a syscall the supervisor injects
                self.platform.resume(task.host_tid, want_exit=True)
                return True
            t.entry_nr = ev.nr
            self.hold(task, Stop(SYSCALL_ENTRY, self._syscall_status(t), signal.SIGTRAP),
                      self._resumer(task))
            return True
        if k == Kind.EXIT:
            if task.call is not None:
                return False
            self._exit_stop(task)
            return True
        if k == Kind.SIGNAL:
            if task.restart_nr is not None:
                self.platform.restart_syscall(task.host_tid, task.restart_nr)
                task.restart_nr = None
            self.k.translate_siginfo(task, ev.sig)
            if self.k.tracing:
                self.k.trace_line(f"[pid {task.tid}] --- signal {ev.sig} held for the guest tracer ---")
            self.hold(task, Stop(SIGNAL_STOP, ev.sig << 8 | 0x7F, ev.sig), self._resumer(task))
            return True
        if k == Kind.GROUP_STOP:
            task.group_stop_sig = ev.sig
            status = ev.sig << 8 | 0x7F | ((EVENT_STOP << 16) if t.seized else 0)
            self.hold(task, Stop(GROUP_STOP, status, ev.sig), self._resumer(task))
            return True
        if k == Kind.START:
            if not task.started:
                return False                     # its first stop: kernel.first_stop
            task.group_stop_sig = 0
            if t.deferred is not None:
                mode, sig = t.deferred
                t.deferred = None
                self.platform.resume(task.host_tid, want_exit=task.call is not None, sig=sig)
                return True
            if t.listening or t.interrupt:
                t.interrupt = False
                self.hold(task, Stop(INTERRUPT, signal.SIGTRAP << 8 | 0x7F | EVENT_STOP << 16,
                                     signal.SIGTRAP), self._resumer(task))
                return True
            if t.stop is not None and t.host == LISTENING:
                # SIGCONT ended the group-stop it is held in: now a plain trap
                t.host, t.cont_seen, t.resume = TRAP, True, self._resumer(task)
                return True
            return False
        if k == Kind.EXEC:
            former = task.tid                    # before a non-leader's exec renames it
            self.k.on_exec(task, ev)
            plan = getattr(task.call, "plan", None)
            if plan is not None and b"--argv0" in plan.host_argv:
                # The host runs the program through ld.so, which maps it only
                # now; Linux's exec has mapped it before any stop.  So the
                # stops of this exec (the event, the legacy SIGTRAP, execve's
                # exit stop) come once ld.so has mapped the program: a debugger
                # then finds its entry point in /proc/PID/auxv (gdb relocates a
                # PIE by it) and puts breakpoints where no segment will be
                # mapped over them, and a syscall tracer is not shown ld.so's
                # open/mmap/close of the program, which Linux's exec never makes.
                t.exec_wait = 64
                t.exec_stops = self._exec_stops(task, former, call_nr=task.call.nr)
                self.platform.step_mode(task.host_tid, RUN_SYSCALL)
                self.platform.resume(task.host_tid, want_exit=task.call is not None)
            elif t.options & O_TRACEEXEC:
                self.hold(task, Stop(EVENT, signal.SIGTRAP << 8 | 0x7F | EVENT_EXEC << 16,
                                     signal.SIGTRAP, former), self._resumer(task))
            else:
                if not t.seized:                 # the legacy SIGTRAP after a successful execve
                    host.tgkill(task.process.host_pid, task.host_tid, signal.SIGTRAP)
                self.platform.resume(task.host_tid, want_exit=task.call is not None)
            return True
        if k == Kind.EXITING:
            if t.options & O_TRACEEXIT:
                self.hold(task, Stop(EVENT, signal.SIGTRAP << 8 | 0x7F | EVENT_EXIT << 16, signal.SIGTRAP,
                                     ev.msg), self._resumer(task))
            else:
                self.platform.resume(task.host_tid)
            return True
        if k == Kind.NEW_THREAD:
            flags = task.clone_args[0] if task.clone_args else SIGCHLD
            self.k.new_child(task, ev.msg)
            child = self.k.pidns.tasks.get(ev.msg)
            event = _clone_event(flags)
            if child is not None and child.ptrace is not None and t.options & _EVENT_OPTION[event] \
                    and not flags & CLONE_UNTRACED:
                self.hold(task, Stop(EVENT, signal.SIGTRAP << 8 | 0x7F | event << 16, signal.SIGTRAP,
                                     child.tid), self._resumer(task))
            else:
                self.platform.resume(task.host_tid, want_exit=task.call is not None)
            return True
        return False

    def _exec_progress(self, task: "Task", ev: "Event") -> bool:
        """A syscall stop while ld.so maps the program it was exec'd for (see EXEC).
        ld.so maps the program with one mmap of the file, then its segments over
        it (mmap, mprotect); the first other syscall after that (the close of
        the file) ends the mapping: at its exit, the SIGTRAP stop.  (A debugger
        inserting a breakpoint earlier would see it replaced by a segment.)"""
        t = task.ptrace
        t.exec_wait -= 1
        if ev.kind == Kind.SYSCALL_ENTRY:
            if t.exec_wait > 0:
                self.platform.resume(task.host_tid, want_exit=True)
                return True
        else:
            nr = ev.nr
            if nr == 9 and ev.args[4] & 0xFFFFFFFF != 0xFFFFFFFF:
                t.exec_mapped = True             # the program's file, mapped
            if t.exec_wait > 0 and (not t.exec_mapped or nr in (9, 10)):
                self.platform.resume(task.host_tid)
                return True
        t.exec_wait = 0
        t.exec_mapped = False
        self.platform.step_mode(task.host_tid, t.mode)
        self._next_exec_stop(task)
        return True

    def _exec_stops(self, task: "Task", former: int, call_nr: int) -> list:
        """The ptrace-stops an execve makes, in Linux's order: PTRACE_EVENT_EXEC (with
        PTRACE_O_TRACEEXEC), the syscall-exit-stop (after PTRACE_SYSCALL), the legacy
        SIGTRAP (neither seized nor PTRACE_O_TRACEEXEC)."""
        t = task.ptrace
        stops = []
        if t.options & O_TRACEEXEC:
            stops.append(Stop(EVENT, signal.SIGTRAP << 8 | 0x7F | EVENT_EXEC << 16, signal.SIGTRAP, former))
        if t.mode == RUN_SYSCALL:
            stops.append(Stop(SYSCALL_EXIT, self._syscall_status(t), signal.SIGTRAP, call_nr))
        elif not t.seized and not t.options & O_TRACEEXEC:
            stops.append(Stop(SIGNAL_STOP, signal.SIGTRAP << 8 | 0x7F, signal.SIGTRAP))
        return stops

    def _next_exec_stop(self, task: "Task") -> None:
        """Present the next of an exec's delayed stops, or resume the thread."""
        t = task.ptrace
        if not t.exec_stops:
            self.platform.resume(task.host_tid)
            return
        stop = t.exec_stops.pop(0)
        if stop.kind == SYSCALL_EXIT:
            t.entry_nr = stop.msg
            stop.msg = 0
            self._exit_stop(task, resume=self._after_exec_stop(task))
            return
        self.hold(task, stop, self._after_exec_stop(task) if stop.kind != SIGNAL_STOP or t.exec_stops
                  else self._resumer(task))
        if stop.kind == SIGNAL_STOP:
            t.siginfo = _siginfo(signal.SIGTRAP, 0, 0, 0)

    def _after_exec_stop(self, task: "Task") -> Callable[[int], object]:
        def go(sig: int) -> None:
            t = task.ptrace
            if t is None:
                return
            if t.exec_stops and t.exec_stops[0].kind == SYSCALL_EXIT and t.mode != RUN_SYSCALL:
                t.exec_stops.pop(0)              # resumed with PTRACE_CONT: no exit stop
            if t.exec_stops:
                self._next_exec_stop(task)
            else:
                self.platform.resume(task.host_tid, sig=sig)
        return go

    def _exit_stop(self, task: "Task", resume: Callable[[int], object] | None = None) -> None:
        """A syscall-exit-stop: the registers show the syscall's number again (the
        supervisor skipped an emulated call with orig_rax = -1)."""
        t = task.ptrace
        regs = self.platform.regs(task.host_tid)
        if regs is not None and t.entry_nr >= 0:
            if int.from_bytes(regs[120:128], "little") != t.entry_nr:
                regs[120:128] = t.entry_nr.to_bytes(8, "little")
                self.platform.set_regs(task.host_tid, regs)
        self.hold(task, Stop(SYSCALL_EXIT, self._syscall_status(t), signal.SIGTRAP),
                  resume or self._resumer(task))

    def stops_after(self, task: "Task", at_exit: bool) -> bool:
        """Does the tracer get a ptrace-stop where the dispatcher finishes a call?"""
        t = task.ptrace
        if t.exec_wait:
            return False                         # an exec's stops come later (see EXEC)
        return t.interrupt or (at_exit and t.mode == RUN_SYSCALL)

    def after_call(self, task: "Task", nr: int, at_exit: bool) -> None:
        """The dispatcher finished a syscall and left the thread stopped (its result
        written): a PTRACE_INTERRUPT that came during the call, or the syscall-exit-stop."""
        t = task.ptrace
        if t.interrupt:
            t.interrupt = False
            self.hold(task, Stop(INTERRUPT, signal.SIGTRAP << 8 | 0x7F | EVENT_STOP << 16, signal.SIGTRAP),
                      self._resumer(task))
            return
        t.entry_nr = nr if t.entry_nr < 0 else t.entry_nr
        self._exit_stop(task)

    def first_stop(self, task: "Task") -> bool:
        """A new thread's first stop: an auto-attached child starts in a ptrace-stop
        (SIGSTOP, or PTRACE_EVENT_STOP if seized)."""
        t = task.ptrace
        if t is None or not t.first:
            return False
        t.first = False
        task.started = True
        if t.seized:
            stop = Stop(INTERRUPT, signal.SIGTRAP << 8 | 0x7F | EVENT_STOP << 16, signal.SIGTRAP)
        else:
            stop = Stop(SIGNAL_STOP, signal.SIGSTOP << 8 | 0x7F, signal.SIGSTOP)
        self.hold(task, stop, self._resumer(task))
        if not t.seized:
            t.siginfo = _siginfo(signal.SIGSTOP, 0, 0, 0)
        return True

    def new_child(self, parent: "Task", child: "Task", flags: int) -> None:
        """Auto-attach: a child made while its parent's tracer asked for the event."""
        t = parent.ptrace
        if t is None:
            return
        reported = not flags & CLONE_UNTRACED and t.options & _EVENT_OPTION[_clone_event(flags)]
        if not reported and not flags & CLONE_PTRACE:   # CLONE_PTRACE: traced, no event
            return
        c = self.attach(t.tracer, child, t.seized, t.options)
        c.first = True

    def on_death(self, task: "Task", ev: "Event") -> None:
        """A thread is gone: its tracer learns it; a tracer's tracees are let go."""
        proc = task.process
        t = task.ptrace
        if t is not None:
            status = ev.sig << 8 if ev.kind == Kind.EXITED else ev.sig
            last = len(proc.threads) <= 1
            tracer = t.tracer.process
            # The real parent's own wait reaps a process's host zombie: the
            # tracer that is also the parent sees that exit natively.
            if not (last and task.tid == proc.pid and proc.parent is tracer):
                exits = self.exits.setdefault(tracer, [])
                held = proc if last and task.tid == proc.pid else None
                exits.append((task.tid, status, held))
                if len(exits) > MAX_EXITS:           # a tracer that never waits: bounded, as
                    self._release(exits.pop(0)[2])   # Linux's zombies are by the pid space
                self.notify(tracer)
            self._forget(task, dead=last)
        if len(proc.threads) <= 1 and proc in self.tracees:
            for tracee in list(self.tracees.get(proc, ())):
                if tracee.ptrace.options & O_EXITKILL:
                    self._forget(tracee)
                    host.tgkill(tracee.process.host_pid, tracee.host_tid, signal.SIGKILL)
                else:
                    self.detach(tracee, 0)
            self.tracees.pop(proc, None)
        if len(proc.threads) <= 1:
            for _, _, held in self.exits.pop(proc, ()):
                self._release(held)              # a dead tracer waits for nothing
            self.guarded.pop(proc, None)

    # ------------------------------------------------------------------ wait
    def wait_for(self, tracer: "Process", pid: int, nowait: bool) -> tuple[int, int, int] | None:
        """A ptrace-stop or exit to report to `tracer`'s wait: (tid, status, si_code)."""
        for task in self.tracees.get(tracer, ()):
            t = task.ptrace
            if t.stop is not None and not t.reported and _matches(task, pid):
                if not nowait:
                    t.reported = True
                return task.tid, t.stop.status, 4        # CLD_TRAPPED
        exits = self.exits.get(tracer)
        if exits:
            for i, (tid, status, held) in enumerate(exits):
                if pid <= 0 or tid == pid:
                    if not nowait:
                        del exits[i]
                        if not exits:
                            del self.exits[tracer]
                        self._release(held)
                    return tid, status, 1 if status & 0x7F == 0 else 2   # CLD_EXITED / KILLED
        return None

    def has_tracee(self, tracer: "Process", pid: int) -> bool:
        """Could `tracer`'s wait for `pid` be answered by a tracee (now or later)?"""
        return any(_matches(t, pid) for t in self.tracees.get(tracer, ())) or \
            any(pid <= 0 or tid == pid for tid, _, _ in self.exits.get(tracer, ()))


_EVENT_OPTION = {EVENT_FORK: O_TRACEFORK, EVENT_VFORK: O_TRACEVFORK, EVENT_CLONE: O_TRACECLONE}

_ASYNC_STOPS = frozenset({Kind.SIGNAL, Kind.GROUP_STOP, Kind.START})


def _clone_event(flags: int) -> int:
    """Which event a clone with `flags` is (Linux's kernel_clone)."""
    if flags & CLONE_VFORK:
        return EVENT_VFORK
    if flags & CLONE_THREAD or flags & 0xFF != SIGCHLD:
        return EVENT_CLONE
    return EVENT_FORK


def _matches(task: "Task", pid: int) -> bool:
    return pid <= 0 or task.tid == pid


def _siginfo(signo: int, code: int, pid: int, uid: int) -> bytes:
    """A siginfo_t (128 bytes) with the fields a ptrace-stop's siginfo has."""
    b = bytearray(128)
    b[0:4] = signo.to_bytes(4, "little")
    b[8:12] = (code & 0xFFFFFFFF).to_bytes(4, "little")
    b[16:20] = pid.to_bytes(4, "little")
    b[20:24] = uid.to_bytes(4, "little")
    return bytes(b)
