"""Signal syscalls: dispositions, masks and waiting run natively.

Signal delivery is the host kernel's: handlers, masks, alternate stacks and
sigreturn need no translation.  Sending a signal names a process, so kill,
tgkill, tkill, rt_*sigqueueinfo and pidfd_send_signal translate guest ids
and, as in a PID namespace, drop the signals guest init has no handler for.
The host sees every guest process as one uid, so the guest kernel checks
Linux's rule itself before a signal goes out (check_kill_permission:
kernel/creds.py may_signal, and SIGCONT within a session).
The one waiting call that reports a sender, rt_sigtimedwait, has that
sender's pid and guest uid in its result; kill, tgkill, tkill and
pidfd_send_signal record the sender's uid for it, for delivery to a handler
and for signalfd reads (kernel/sigsenders.py, syscalls/signalfd.py).
"""
from __future__ import annotations

import errno
import os
import signal

from umlpy.abi.errno import ERESTARTNOHAND, KernelError
from umlpy.abi.linux import CAP_KILL, NSIG, SI_TKILL
from umlpy.abi.numbers import NUMBERS
from umlpy.kernel.creds import may_signal
from umlpy.kernel.fdpath import guest_fd
from umlpy.kernel.requests import Inject, Native
from umlpy.kernel.sigsenders import stamped
from umlpy.kernel.table import REWRITE, Ptr, UInt, syscall
from umlpy.syscalls.thread import native_group, native_pid, peer_process, pidfd_target


@syscall("rt_sigtimedwait", REWRITE)
def rt_sigtimedwait(task, set_: Ptr, info: Ptr, timeout: Ptr, size: Ptr):
    """rt_sigtimedwait(2): wait natively; the sender's pid and uid in the siginfo
    become the guest's.

    A traced thread's signals are queued even when ignored (the host kernel
    leaves the ignoring to the tracer's resume), and they wake the wait with
    EINTR where Linux would have discarded them and gone on to EAGAIN at the
    timeout.  So EINTR becomes ERESTARTNOHAND: the host kernel restarts the
    call when no handler runs, and turns it back into EINTR when one does,
    which is Linux's rule for a signal that interrupts this call.  (A restart
    waits the whole timeout again.)"""
    def back(r: int) -> int:
        if r == -errno.EINTR:
            return ERESTARTNOHAND
        if r > 0 and info:
            try:
                raw = bytearray(task.read(info, 24))
                code = int.from_bytes(raw[8:12], "little", signed=True)
                if stamped(r, code):        # kill's, tkill's, SIGCHLD's: not sigqueue's own words
                    native = int.from_bytes(raw[16:20], "little", signed=True)
                    ns = task.kernel.pidns
                    raw[16:20] = ns.from_native(native).to_bytes(4, "little", signed=True)
                    # si_uid is the sender's real uid: the guest's, not the host's.
                    raw[20:24] = task.kernel.senders.uid(ns, r, code, native).to_bytes(4, "little")
                    task.write(info + 16, bytes(raw[16:24]))
            except KernelError:
                pass
        return r
    return Native(then=back)


# ------------------------------------------------------------- signals
def may_send(task, proc, sig: int) -> bool:
    """check_kill_permission: may the caller signal guest process `proc`?  SIGCONT
    needs only the same session."""
    if may_signal(task, proc):
        return True
    if sig == signal.SIGCONT:
        try:
            return os.getsid(proc.host_pid) == os.getsid(task.process.host_pid)
        except OSError:
            return False
    return False


def _stamp(task, sig: int) -> None:
    """Linux writes the sender's real uid into the siginfo of kill, tgkill and tkill; the
    host writes its own: remember the guest's, for whoever reads it (kernel/sigsenders.py)."""
    native = task.kernel.pidns.to_native(task.process.pid)
    if native is not None and 0 < sig <= NSIG:
        task.kernel.senders.sent(native, sig, task.creds.ruid)


def _check_send(task, proc, sig: int) -> None:
    if not may_send(task, proc, sig):
        raise KernelError(errno.EPERM, f"process {proc.pid} belongs to another user (no CAP_KILL)")


def _group_members(task, host_pgid: int) -> list:
    out = []
    for proc in list(task.kernel.pidns.processes.values()):
        try:
            if proc.alive and os.getpgid(proc.host_pid) == host_pgid:
                out.append(proc)
        except OSError:
            continue
    return out


def _kill_each(task, procs: list, sig: int):
    """A group kill some of whose members the caller may not signal: each of the
    others gets it by a kill the guest itself makes (so the sender is the caller)."""
    ns = task.kernel.pidns
    for proc in procs:
        yield Inject(NUMBERS["kill"], (ns.to_native(proc.pid), sig))
    return 0


def init_ignores(task, sig: int) -> bool:
    """Guest init only gets the signals it has a handler for, as in a PID namespace."""
    init = task.kernel.init
    if init is None or sig == 0 or task.process is init:
        return False
    try:
        with open(f"/proc/{init.host_pid}/status") as f:
            masks = dict(line.split(":", 1) for line in f if line.startswith(("SigBlk:", "SigCgt:")))
    except (OSError, ValueError):
        return False
    bit = 1 << (sig - 1)
    # A blocked signal is never ignored at generation: init may wait for it
    # (sigwaitinfo, signalfd) without a handler (sig_ignored() in Linux).
    # While a thread waits in sigtimedwait its set is unblocked (Linux keeps
    # the mask in real_blocked, which /proc does not show): read the set.
    if "SigBlk" in masks and int(masks["SigBlk"], 16) & bit:
        return False
    for t in list(init.threads.values()):
        call = t.call
        if call is not None and call.entry.name == "rt_sigtimedwait":
            try:
                if int.from_bytes(t.read(call.args[0], 8), "little") & bit:
                    return False
            except KernelError:
                pass
    return "SigCgt" in masks and not int(masks["SigCgt"], 16) & bit


def _kill_target(task, pid: int) -> int:
    """kill()'s pid argument as the guest's own host call carries it."""
    if pid > 0:
        return native_pid(task, pid)
    if pid == 0:
        return 0
    if pid == -1:
        raise KernelError(errno.EPERM)     # handled by kill() itself
    n = native_group(task, -pid)
    if n is None:
        raise KernelError(errno.ESRCH)
    return -n


@syscall("kill", REWRITE)
def kill(task, pid: int, sig: int):
    """kill(2): signal a guest process or process group; -1 means every guest process.

    As in Linux, the target is found first (ESRCH), then the signal number
    checked (EINVAL)."""
    bad_sig = sig < 0 or sig > NSIG
    _stamp(task, sig)
    if pid == -1:
        # "every process we may signal" is every guest process but init and us.
        count = refused = 0
        for proc in list(task.kernel.pidns.processes.values()):
            if proc.alive and proc.pid != 1 and proc is not task.process:
                if not bad_sig and not may_send(task, proc, sig):
                    refused += 1
                    continue
                if sig and not bad_sig:
                    try:
                        os.kill(proc.host_pid, sig)
                    except OSError:
                        continue
                count += 1
        if count and bad_sig:
            raise KernelError(errno.EINVAL, f"no signal {sig}")
        # Linux counts the processes it was refused but does not report the refusal
        # (kill_something_info: only an error other than EPERM is returned).
        return 0 if count or refused else -errno.ESRCH
    target = _kill_target(task, pid)
    if bad_sig:
        raise KernelError(errno.EINVAL, f"no signal {sig}")
    if pid > 0:
        _check_send(task, peer_process(task, pid), sig)
    if pid == 1 and init_ignores(task, sig):
        return 0
    group = None
    if target <= 0:
        group = task.kernel.pidns.to_host(-pid) if pid < 0 else os.getpgid(task.process.host_pid)
        if not task.creds.has(CAP_KILL):
            members = _group_members(task, group)
            allowed = [p for p in members if may_send(task, p, sig)]
            if not allowed:
                raise KernelError(errno.EPERM, "every process of the group belongs to another user")
            if len(allowed) < len(members):
                return _kill_each(task, [p for p in allowed if not _spares_init(task, p, sig)], sig)
    if group is not None and init_ignores(task, sig) and _init_in_group(task, group):
        return _signal_group_but_init(task, group, sig)
    if init_kills_itself(task, sig) and (pid == 1 or (group is not None and _init_in_group(task, group))):
        os.kill(task.process.host_pid, signal.SIGKILL)
        if pid == 1:
            return 0
    return Native(args={0: target})


def init_kills_itself(task, sig: int) -> bool:
    """Guest init sends itself SIGKILL.  On the host it is its PID namespace's init,
    which the host kernel lets nothing inside the namespace kill; so the supervisor,
    outside it, sends it (every other signal reaches init: kernel.init_default_action)."""
    return sig == signal.SIGKILL and task.process is task.kernel.init


def _init_in_group(task, host_pgid: int) -> bool:
    init = task.kernel.init
    try:
        return init is not None and init.alive and os.getpgid(init.host_pid) == host_pgid
    except OSError:
        return False


def _signal_group_but_init(task, host_pgid: int, sig: int) -> int:
    """kill() of a group holding guest init, which ignores `sig`: everyone else gets it."""
    sent = 0
    for proc in list(task.kernel.pidns.processes.values()):
        if not proc.alive or proc is task.kernel.init:
            continue
        try:
            if os.getpgid(proc.host_pid) == host_pgid:
                if sig:
                    os.kill(proc.host_pid, sig)
                sent += 1
        except OSError:
            continue
    return 0


@syscall("tgkill", REWRITE)
def tgkill(task, tgid: int, tid: int, sig: int):
    """tgkill(2): signal one guest thread of one guest process."""
    if tgid <= 0 or tid <= 0:
        raise KernelError(errno.EINVAL)
    _stamp(task, sig)
    return _to_thread(task, tgid, tid, sig)


def _to_thread(task, tgid: int, tid: int, sig: int):
    """A signal for guest thread `tid` of process `tgid`: both ids translated."""
    t = task.kernel.pidns.task(tid)
    if t is None or t.process.pid != tgid:
        raise KernelError(errno.ESRCH)
    if 0 <= sig <= NSIG:
        _check_send(task, t.process, sig)
    if _spares_init(task, t.process, sig):
        return 0
    if t.process is task.process and init_kills_itself(task, sig):
        os.kill(task.process.host_pid, signal.SIGKILL)
        return 0
    ns = task.kernel.pidns
    return Native(args={0: ns.to_native(t.process.pid), 1: ns.to_native(t.tid)})


def _spares_init(task, target, sig: int) -> bool:
    """A signal for guest init that init has no handler for is dropped (see init_ignores)."""
    return target is task.kernel.init and 0 < sig <= NSIG and init_ignores(task, sig)


@syscall("tkill", REWRITE)
def tkill(task, tid: int, sig: int):
    """tkill(2): signal one guest thread."""
    if tid <= 0:
        raise KernelError(errno.EINVAL)
    _stamp(task, sig)
    t = task.kernel.pidns.task(tid)
    if t is None:
        raise KernelError(errno.ESRCH)
    if 0 <= sig <= NSIG:
        _check_send(task, t.process, sig)
    if _spares_init(task, t.process, sig):
        return 0
    if t.process is task.process and init_kills_itself(task, sig):
        os.kill(task.process.host_pid, signal.SIGKILL)
        return 0
    return Native(args={0: task.kernel.pidns.to_native(t.tid)})


@syscall("rt_sigqueueinfo", REWRITE)
def rt_sigqueueinfo(task, pid: int, sig: int, info: Ptr):
    """rt_sigqueueinfo(2): queue a signal with data to a guest process.

    "If si_code is SI_USER or SI_KERNEL (or any code >= 0), or SI_TKILL, for a
    process other than the caller: EPERM", checked before the target is looked up."""
    code = int.from_bytes(task.read(info, 12)[8:12], "little", signed=True)   # (info + 8 may wrap)
    if (code >= 0 or code == SI_TKILL) and pid != task.process.pid:
        raise KernelError(errno.EPERM, "a queued signal may not pose as sent by kill or the kernel")
    native = native_pid(task, pid)
    if 0 <= sig <= NSIG:
        _check_send(task, peer_process(task, pid), sig)
    if _spares_init(task, task.kernel.pidns.processes.get(pid), sig):
        return 0
    if pid == task.process.pid and init_kills_itself(task, sig):
        os.kill(task.process.host_pid, signal.SIGKILL)
        return 0
    return Native(args={0: native})


@syscall("rt_tgsigqueueinfo", REWRITE)
def rt_tgsigqueueinfo(task, tgid: int, tid: int, sig: int, info: Ptr):
    """rt_tgsigqueueinfo(2): queue a signal with data to a guest thread."""
    return _to_thread(task, tgid, tid, sig)


PIDFD_SIGNAL_FLAGS = 0x7         # PIDFD_SIGNAL_THREAD, _THREAD_GROUP, _PROCESS_GROUP
PIDFD_SIGNAL_PROCESS_GROUP = 0x4


def _proc_dir_target(task, fd: int):
    """The guest process a /proc/PID directory fd names (Linux accepts one as a pidfd),
    or None if `fd` is something else."""
    with guest_fd(task, fd) as hfd:
        path, st = task.kernel.vfs.path_of_host_fd(hfd)
    if path is None or not os.path.basename(path).isdigit():
        return None
    try:
        lk = task.kernel.vfs.resolve(path, follow=False)
    except KernelError:
        return None
    if lk.mount.fstype != "proc" or lk.rel.strip("/") != os.path.basename(path):
        return None
    proc = task.kernel.pidns.processes.get(int(os.path.basename(path)))
    if proc is None or not proc.alive:
        raise KernelError(errno.ESRCH, "the process has exited")
    return proc


@syscall("pidfd_send_signal", REWRITE)
def pidfd_send_signal(task, pidfd: int, sig: int, info: Ptr, flags: UInt):
    """pidfd_send_signal(2): to the process of a pidfd, or of a /proc/PID directory fd,
    if the caller may signal it (EPERM), and dropped if guest init does not handle it,
    as for kill().  A pidfd's signal goes natively; a /proc/PID fd's is a kill (or
    rt_sigqueueinfo with `info`) the guest makes to that pid."""
    if flags & ~PIDFD_SIGNAL_FLAGS or bin(flags).count("1") > 1:
        raise KernelError(errno.EINVAL, f"flags {flags:#x}")
    if not info:
        _stamp(task, sig)              # with no siginfo, the host makes kill's
    proc = _proc_dir_target(task, pidfd)
    target = proc if proc is not None else pidfd_target(task, pidfd)
    if flags & PIDFD_SIGNAL_PROCESS_GROUP and not task.creds.has(CAP_KILL) and 0 <= sig <= NSIG:
        # the group the target leads (its pid as a pgid), each member by Linux's rule,
        # as kill(-pid, sig)
        members = _group_members(task, target.host_pid)
        if not members:
            raise KernelError(errno.ESRCH, f"process {target.pid} leads no process group")
        allowed = [p for p in members if may_send(task, p, sig)]
        if not allowed:
            raise KernelError(errno.EPERM, "every process of the group belongs to another user")
        if len(allowed) < len(members):
            return _kill_each(task, [p for p in allowed if not _spares_init(task, p, sig)], sig)
    elif 0 <= sig <= NSIG:
        _check_send(task, target, sig)
    if _spares_init(task, target, sig):
        return 0
    if proc is None:
        return Native()
    if flags:
        raise KernelError(errno.EINVAL, "PIDFD_SIGNAL_* flags with a /proc/PID fd")
    native = task.kernel.pidns.to_native(proc.pid)
    if info:
        return _inject(NUMBERS["rt_sigqueueinfo"], (native, sig, info))
    return _inject(NUMBERS["kill"], (native, sig))


def _inject(nr: int, args: tuple):
    return (yield Inject(nr, args))
