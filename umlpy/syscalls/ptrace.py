"""ptrace(2) for guest tracers, and the wait4/waitid that report their tracees' stops.

The relations and the ptrace-stops are kept by kernel/ptrace.py; this is
the syscall side: Linux's ptrace requests checked and served the way
kernel/ptrace.c and arch/x86/kernel/ptrace.c serve them, on guest threads
only (a pid is looked up in the guest's PID namespace: a host process or
the supervisor cannot be named, ESRCH).  Register, FPU and debug-register
requests go to the host's ptrace on the stopped thread (the supervisor is
its host tracer), so the host kernel validates what a tracer writes, as it
would for a tracer of its own; the seccomp filter still judges every
syscall the tracee then makes.

A caller with tracees (or exits of former tracees to hear about) waits here,
emulated; every other wait4/waitid is the host's (syscalls/thread.py).
"""
from __future__ import annotations

import errno
import signal

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import P_ALL, P_PGID, P_PID, PTRACE_MODE_ATTACH_REALCREDS, WNOWAIT
from umlpy.kernel import ptrace as gp
from umlpy.kernel.creds import may_ptrace
from umlpy.kernel.requests import Native, Wait
from umlpy.kernel.table import EMULATE, REWRITE, Ptr, UInt, syscall
from umlpy.syscalls import thread

# requests (include/uapi/linux/ptrace.h, arch/x86/include/uapi/asm/ptrace-abi.h)
TRACEME, PEEKTEXT, PEEKDATA, PEEKUSER, POKETEXT, POKEDATA, POKEUSER, CONT, KILL, SINGLESTEP = range(10)
GETREGS, SETREGS, GETFPREGS, SETFPREGS, ATTACH, DETACH, GETFPXREGS, SETFPXREGS = range(12, 20)
SYSCALL, ARCH_PRCTL, SYSEMU, SYSEMU_SINGLESTEP = 24, 30, 31, 32
SETOPTIONS, GETEVENTMSG, GETSIGINFO, SETSIGINFO, GETREGSET, SETREGSET = range(0x4200, 0x4206)
SEIZE, INTERRUPT, LISTEN, PEEKSIGINFO, GETSIGMASK, SETSIGMASK = range(0x4206, 0x420C)
GET_SYSCALL_INFO = 0x420E
NT_PRSTATUS, NT_PRFPREG, NT_X86_XSTATE = 1, 2, 0x202
REGS_SIZE, FPREGS_SIZE = 27 * 8, 512
AUDIT_ARCH_X86_64 = 0xC000003E
WNOHANG, WUNTRACED, WEXITED, WCONTINUED = 1, 2, 4, 8
WNOTHREAD, WCLONE, WALL = 0x20000000, 0x80000000, 0x40000000
_SIG_MAX = 64


def _tracer_of_request(task, pid: int, request: int, *, need_stop: bool = True):
    """The tracee `pid` of the calling tracer (Linux's ptrace_check_attach): ESRCH
    unless it is the caller's tracee and (for most requests) in a ptrace-stop."""
    target = task.kernel.pidns.task(pid) if pid > 0 else None
    t = target.ptrace if target is not None else None
    if t is None or t.tracer.process is not task.process:
        raise KernelError(errno.ESRCH, f"pid {pid} is not a tracee of the caller")
    if need_stop and (t.stop is None or t.listening):
        raise KernelError(errno.ESRCH, f"tracee {pid} is not in a ptrace-stop")
    return target, t


def _sig(data: int) -> int:
    if not 0 <= data <= _SIG_MAX:
        raise KernelError(errno.EIO, f"{data} is not a signal")
    return data


def _word(task, addr: int, value: int) -> int:
    task.write(addr, (value & (1 << 64) - 1).to_bytes(8, "little"))
    return 0


@syscall("ptrace", EMULATE)
def ptrace(task, request: int, pid: int, addr: Ptr, data: Ptr):
    """ptrace(2): a guest tracer on guest tracees, emulated by the guest kernel
    (kernel/ptrace.py); registers and memory are the host's view of the stopped thread."""
    k = task.kernel
    platform = k.platform
    if request == TRACEME:
        return _traceme(task)
    if request in (ATTACH, SEIZE):
        return _attach(task, pid, request == SEIZE, addr, data)
    if request == KILL:
        target, t = _tracer_of_request(task, pid, request, need_stop=False)
        _kill(target, signal.SIGKILL)
        return 0
    if request == INTERRUPT:
        target, t = _tracer_of_request(task, pid, request, need_stop=False)
        if not t.seized:
            raise KernelError(errno.EIO, "PTRACE_INTERRUPT needs PTRACE_SEIZE")
        if t.stop is None:
            t.interrupt = True
            platform.interrupt(target.host_tid)
        return 0
    if request == LISTEN:
        target, t = _tracer_of_request(task, pid, request)
        return _listen(task, target, t)
    target, t = _tracer_of_request(task, pid, request)
    tid = target.host_tid
    if request in (CONT, SYSCALL, SINGLESTEP):
        mode = {CONT: gp.RUN, SYSCALL: gp.RUN_SYSCALL, SINGLESTEP: gp.RUN_STEP}[request]
        _resume(k, target, t, mode, _sig(data))
        return 0
    if request == DETACH:
        sig = _sig(data)
        k.gptrace.detach(target, sig)
        return 0
    if request in (PEEKTEXT, PEEKDATA, PEEKUSER):
        r, word = platform.raw_ptrace(request, tid, addr, 0)
        if r < 0:
            raise KernelError(-r)
        return _word(task, data, word)
    if request in (POKETEXT, POKEDATA, POKEUSER):
        r, _ = platform.raw_ptrace(request, tid, addr, data)
        if r < 0:
            raise KernelError(-r)
        return 0
    if request == GETREGS:
        regs = platform.regs(tid)
        if regs is None:
            raise KernelError(errno.ESRCH)
        task.write(data, bytes(regs))
        return 0
    if request == SETREGS:
        return _check(platform.set_regs(tid, task.read(data, REGS_SIZE)))
    if request in (GETFPREGS, SETFPREGS):
        buf = bytearray(FPREGS_SIZE if request == GETFPREGS else task.read(data, FPREGS_SIZE))
        _check(platform.ptrace_mem(request, tid, 0, buf)[0])
        if request == GETFPREGS:
            task.write(data, bytes(buf))
        return 0
    if request in (GETREGSET, SETREGSET):
        return _regset(task, tid, request, addr, data)
    if request == SETOPTIONS:
        if data & ~gp.O_MASK:
            raise KernelError(errno.EINVAL, f"unknown ptrace options {data:#x}")
        t.options = data
        return 0
    if request == GETEVENTMSG:
        return _word(task, data, t.event_msg)
    if request == GETSIGINFO:
        task.write(data, _siginfo(task, target, t))
        return 0
    if request == SETSIGINFO:
        info = task.read(data, 128)
        if t.stop.kind == gp.SIGNAL_STOP and t.siginfo is None:
            _check(platform.ptrace_mem(SETSIGINFO, tid, 0, bytearray(info))[0])
        else:
            t.siginfo = info
        return 0
    if request in (GETSIGMASK, SETSIGMASK):
        if addr != 8:
            raise KernelError(errno.EINVAL, "the sigset size must be 8")
        buf = bytearray(8) if request == GETSIGMASK else bytearray(task.read(data, 8))
        _check(platform.ptrace_mem(request, tid, 8, buf)[0])
        if request == GETSIGMASK:
            task.write(data, bytes(buf))
        return 0
    if request == ARCH_PRCTL:
        if data in (0x1003, 0x1004):                 # ARCH_GET_FS, ARCH_GET_GS: *addr = base
            buf = bytearray(8)
            _check(platform.ptrace_mem(ARCH_PRCTL, tid, data, buf, buf_in_addr=True)[0])
            task.write(addr, bytes(buf))
            return 0
        r, _ = platform.raw_ptrace(ARCH_PRCTL, tid, addr, data)
        return _check(r)
    if request == GET_SYSCALL_INFO:
        info = _syscall_info(k, target, t)
        task.write(data, info[:max(0, min(addr, len(info)))])
        return len(info)
    raise KernelError(errno.EIO, f"ptrace request {request:#x} is not served")


def _may_attach(task, target) -> bool:
    """Linux's ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS) (kernel/creds.py)."""
    return may_ptrace(task, target.process, PTRACE_MODE_ATTACH_REALCREDS)


def _check(r: int) -> int:
    if r < 0:
        raise KernelError(-r)
    return 0


def _kill(target, sig: int) -> None:
    from umlpy.platform import host
    host.tgkill(target.process.host_pid, target.host_tid, sig)


def _traceme(task):
    """PTRACE_TRACEME: the parent becomes the tracer (EPERM if traced already)."""
    if task.ptrace is not None:
        raise KernelError(errno.EPERM, "already traced")
    parent = task.process.parent
    if parent is None or not parent.alive or not parent.threads:
        raise KernelError(errno.EPERM, "no parent to trace us")
    tracer = parent.threads.get(parent.pid) or next(iter(parent.threads.values()))
    task.kernel.gptrace.attach(tracer, task, False, 0)
    # A thread of the parent blocked in the host's wait4/waitid would never
    # hear of our ptrace-stops: it waits here from now on.
    task.kernel.gptrace.wait_here(parent)
    return 0


def _attach(task, pid: int, seize: bool, addr: int, data: int):
    """PTRACE_ATTACH (a SIGSTOP follows) and PTRACE_SEIZE (no stop; options)."""
    k = task.kernel
    if seize:
        if addr != 0:
            raise KernelError(errno.EIO, "PTRACE_SEIZE needs addr 0")
        if data & ~gp.O_MASK:
            raise KernelError(errno.EIO, f"unknown ptrace options {data:#x}")
    target = k.pidns.task(pid) if pid > 0 else None
    if target is None or not target.process.alive:
        raise KernelError(errno.ESRCH, f"no guest thread {pid}")
    if target.process is task.process:
        raise KernelError(errno.EPERM, "a thread of the caller's own process")
    if target.ptrace is not None:
        raise KernelError(errno.EPERM, f"pid {pid} is traced already")
    if not _may_attach(task, target):
        raise KernelError(errno.EPERM, f"no permission to trace pid {pid}")
    k.gptrace.attach(task, target, seize, data if seize else 0)
    stopped = getattr(target, "group_stop_sig", 0)
    if stopped:
        # It is in a group-stop already (the supervisor keeps it LISTENing):
        # the tracer sees that stop, as Linux re-traps a stopped tracee.
        status = stopped << 8 | 0x7F | ((gp.EVENT_STOP << 16) if seize else 0)
        k.gptrace.hold(target, gp.Stop(gp.GROUP_STOP, status, stopped), None, gp.LISTENING)
    elif not seize:
        _kill(target, signal.SIGSTOP)
    return 0


def _listen(task, target, t):
    """PTRACE_LISTEN: a seized tracee in a group-stop stays stopped, but not in a
    ptrace-stop; the end of the group-stop makes it trap (PTRACE_EVENT_STOP)."""
    if not t.seized or t.stop.kind not in (gp.GROUP_STOP, gp.INTERRUPT):
        raise KernelError(errno.EIO, "PTRACE_LISTEN needs a seized tracee in an event-stop")
    k = task.kernel
    if t.cont_seen or t.stop.kind == gp.INTERRUPT and t.host == gp.TRAP and not target.group_stop_sig:
        # The group-stop has ended already (SIGCONT): it traps at once.
        k.gptrace.hold(target, gp.Stop(gp.INTERRUPT, signal.SIGTRAP << 8 | 0x7F | gp.EVENT_STOP << 16,
                                       signal.SIGTRAP), t.resume)
        return 0
    if t.host == gp.TRAP:
        k.platform.listen(target.host_tid)
        t.host = gp.LISTENING
    t.stop = None
    t.listening = True
    return 0


def _resume(k, target, t, mode: int, sig: int) -> None:
    stop = t.stop
    if stop.kind == gp.SYSCALL_ENTRY:
        regs = k.platform.regs(target.host_tid)      # the tracer may have changed the number
        if regs is not None:
            t.entry_nr = int.from_bytes(regs[120:128], "little", signed=True)
    elif stop.kind == gp.SYSCALL_EXIT:
        t.entry_nr = -1
    t.mode = mode
    k.platform.step_mode(target.host_tid, mode)
    t.stop = None
    deliver = sig if stop.kind == gp.SIGNAL_STOP else 0
    if t.host == gp.LISTENING or t.resume is None:
        t.deferred = (mode, deliver)           # resumed at its next host trap
        t.host = gp.TRAP
        k.platform.interrupt(target.host_tid)
    else:
        t.resume(deliver)


def _siginfo(task, target, t) -> bytes:
    if t.siginfo is not None:
        return t.siginfo
    stop = t.stop
    if stop.kind == gp.SIGNAL_STOP:
        buf = bytearray(128)
        if task.kernel.platform.ptrace_mem(GETSIGINFO, target.host_tid, 0, buf)[0] == 0:
            return bytes(buf)
        return gp._siginfo(stop.sig, 0, 0, 0)
    if stop.kind == gp.GROUP_STOP:
        if not t.seized:
            raise KernelError(errno.EINVAL, "a group-stop of a tracee not seized has no siginfo")
        return gp._siginfo(stop.sig, stop.status >> 8, target.tid, target.creds.ruid)
    return gp._siginfo(signal.SIGTRAP, stop.status >> 8, target.tid, target.creds.ruid)


def _regset(task, tid: int, request: int, nt: int, iov_addr: int):
    """PTRACE_GETREGSET/SETREGSET: the iovec names the buffer; its length is updated."""
    raw = task.read(iov_addr, 16)
    base, length = int.from_bytes(raw[:8], "little"), int.from_bytes(raw[8:], "little")
    if nt not in (NT_PRSTATUS, NT_PRFPREG, NT_X86_XSTATE):
        raise KernelError(errno.EINVAL, f"register set {nt:#x} is not served")
    length = min(length, 1 << 16)
    platform = task.kernel.platform
    if request == GETREGSET:
        buf = bytearray(length)
        r, n = platform.ptrace_mem(request, tid, nt, buf, iovec=True)
        _check(r)
        task.write(base, bytes(buf[:n]))
    else:
        buf = bytearray(task.read(base, length))
        r, n = platform.ptrace_mem(request, tid, nt, buf, iovec=True)
        _check(r)
    task.write(iov_addr + 8, n.to_bytes(8, "little"))
    return 0


def _syscall_info(k, target, t) -> bytes:
    """struct ptrace_syscall_info of the stop (entry, exit, or none)."""
    regs = k.platform.regs(target.host_tid) or bytearray(REGS_SIZE)
    reg = lambda off: int.from_bytes(regs[off:off + 8], "little")    # noqa: E731
    kind = t.stop.kind
    op = 1 if kind == gp.SYSCALL_ENTRY else 2 if kind == gp.SYSCALL_EXIT else 0
    head = bytes([op, 0, 0, 0]) + AUDIT_ARCH_X86_64.to_bytes(4, "little") + \
        reg(128).to_bytes(8, "little") + reg(152).to_bytes(8, "little")     # rip, rsp
    if op == 1:
        args = b"".join(reg(o).to_bytes(8, "little") for o in (112, 104, 96, 56, 72, 64))
        return head + reg(120).to_bytes(8, "little") + args
    if op == 2:
        rval = reg(80)
        rval = rval - (1 << 64) if rval >> 63 else rval
        return head + (rval & (1 << 64) - 1).to_bytes(8, "little") + bytes([int(-4095 <= rval < 0)])
    return head


# ---------------------------------------------------------------------- wait
def _children(task, pid: int, pgid_any: bool = True) -> list:
    """The caller's own children a wait for `pid` could report (not reaped yet)."""
    out = []
    for c in task.process.children:
        if c.reaped:
            continue
        if pid > 0 and c.pid != pid:
            continue
        out.append(c)
    return out


@syscall("wait4", REWRITE)
def wait4(task, pid: int, status: Ptr, options: int, rusage: Ptr):
    """wait4(2): a tracer's wait reports its tracees' ptrace-stops and exits
    (emulated); every other wait is the host's, pids translated (thread.wait4)."""
    gpt = task.kernel.gptrace
    if not gpt.traces(task.process):
        return thread.wait4(task, pid, status, options, rusage)
    if options & ~(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WCLONE | WALL) & 0xFFFFFFFF:
        raise KernelError(errno.EINVAL, f"unknown wait4 options {options:#x}")

    def answer(found):
        tid, st, _ = found
        if status:
            task.write(status, st.to_bytes(4, "little"))
        if rusage:
            task.write(rusage, bytes(144))
        return tid
    return _wait(task, pid, options, answer, lambda p: thread.wait4(task, p, status, options, rusage))


@syscall("waitid", REWRITE)
def waitid(task, idtype: int, id: UInt, infop: Ptr, options: int, rusage: Ptr):
    """waitid(2): as wait4, with the tracee's stop in the siginfo (CLD_TRAPPED)."""
    gpt = task.kernel.gptrace
    if not gpt.traces(task.process) or idtype not in (P_ALL, P_PID, P_PGID):
        return thread.waitid(task, idtype, id, infop, options, rusage)
    if not options & (WEXITED | WUNTRACED | WCONTINUED):
        raise KernelError(errno.EINVAL, "waitid needs WEXITED, WSTOPPED or WCONTINUED")
    pid = id if idtype == P_PID else (-1 if idtype == P_ALL else -id if id else 0)

    def answer(found):
        tid, st, code = found
        if infop:
            info = bytearray(128)
            info[0:4] = signal.SIGCHLD.to_bytes(4, "little")
            info[8:12] = code.to_bytes(4, "little")
            info[16:20] = tid.to_bytes(4, "little")
            target = task.kernel.pidns.task(tid)
            info[20:24] = (target.creds.ruid if target is not None else 0).to_bytes(4, "little")
            value = st >> 8 & 0xFFFF if code == 4 else (st >> 8 & 0xFF if code == 1 else st & 0x7F)
            info[24:28] = value.to_bytes(4, "little")
            task.write(infop, bytes(info))
        if rusage:
            task.write(rusage, bytes(144))
        return 0
    def none() -> int:
        if infop:
            task.write(infop, bytes(128))        # WNOHANG and nothing to report: si_pid 0
        return 0
    return _wait(task, pid, options, answer,
                 lambda p: thread.waitid(task, idtype if p == pid else P_PID, id if p == pid else p, infop,
                                         options, rusage),
                 nowait=bool(options & WNOWAIT), none=none)


def _wait(task, pid: int, options: int, answer, native, nowait: bool = False, none=lambda: 0):
    """The emulated wait: a tracee's stop or exit first; then the host's wait, for a
    child of the caller's own that has died (`native(pid)`), never for one whose
    exit its tracer has not seen yet (Linux tells the tracer first)."""
    gpt = task.kernel.gptrace
    proc = task.process
    found = gpt.wait_for(proc, pid, nowait)
    if found is not None:
        return answer(found)
    guarded = gpt.guarded_children(proc)
    kids = _children(task, pid)
    if options & WNOHANG:
        if kids and not guarded:
            return native(pid)
        dead = next((c for c in kids if not c.alive and c not in guarded), None)
        if dead is not None:
            return native(dead.pid)
        if kids or gpt.has_tracee(proc, pid):
            return none()
        raise KernelError(errno.ECHILD)
    if not kids and not gpt.has_tracee(proc, pid):
        raise KernelError(errno.ECHILD)

    def ready():
        found = gpt.wait_for(proc, pid, nowait)
        if found is not None:
            return answer(found)
        kids = _children(task, pid)
        guarded = gpt.guarded_children(proc)
        dead = next((c for c in kids if not c.alive and c not in guarded), None)
        if dead is not None:           # a child of its own exited: the host's wait reaps it
            return native(dead.pid if guarded else pid)
        if not kids and not gpt.has_tracee(proc, pid):
            return -errno.ECHILD
        return None

    def early_sigchld() -> int:
        """The host sent SIGCHLD for a child whose exit its tracer has not seen; Linux
        sends it only then: it does not interrupt the wait (it is delivered after)."""
        guarded = gpt.guarded_children(proc)
        if any(not c.alive for c in guarded):
            return 1 << (signal.SIGCHLD - 1)
        return 0
    return Wait(ready, ignore=early_sigchld)


__all__ = ["ptrace", "wait4", "waitid", "Native"]
