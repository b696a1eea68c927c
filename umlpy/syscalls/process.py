"""Process syscalls: creation, exec, exit, wait, ids, process groups and sessions.

The host kernel does the mechanics (fork, scheduling, reaping, job control);
the guest kernel owns the numbers.  Every pid that goes in is translated
from the guest's namespace to the host's, every pid that comes out goes
back, and a pid that names no guest process is ESRCH.
"""
from __future__ import annotations

import errno
import os
import struct

from umlpy.kernel.dispatch import Inject, InstallFd, Native
from umlpy.kernel.execve import prepare_exec
from umlpy.kernel.fdtable import (AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, dir_of, fd_path,
                                  guest_fd, resolve_at)
from umlpy.syscalls.numbers import NUMBERS
from umlpy.syscalls.table import (EMULATE, REWRITE, KernelError, Path, Ptr, UInt,
                                  deny, native, syscall)

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC = 0x20000, 0x02000000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWTIME = 0x10000000, 0x20000000, 0x40000000, 0x80
CLONE_NAMESPACES = (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
                    | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME)
CLONE_UNTRACED, CLONE_SETTLS, CLONE_PIDFD, CLONE_INTO_CGROUP = 0x00800000, 0x80000, 0x1000, 0x200000000

native("exit", "exit_group", "sched_yield", "getcpu", "personality", "seccomp", "prctl",
       "restart_syscall",
       why="affects only the calling process")


def _translate_tid(task, r: int) -> int:
    return task.kernel.pidns.to_guest(r) if r > 0 else r


# ------------------------------------------------------------- creation
def _start_clone(task, flags: int, ptid: int, ctid: int):
    if flags & CLONE_NAMESPACES:
        raise KernelError(errno.EPERM, "namespaces cannot be created inside the sandbox")
    if flags & CLONE_UNTRACED:
        flags &= ~CLONE_UNTRACED
    task.clone_args = (flags, ptid, ctid)

    def done(r: int) -> int:
        task.clone_args = None
        return task.kernel.pidns.to_guest(r) if r > 0 else r
    return done


@syscall("clone", REWRITE)
def clone(task, flags: Ptr, stack: Ptr, ptid: Ptr, ctid: Ptr, tls: Ptr):
    """clone(2): the host creates the thread or process; the guest gets a guest id."""
    return Native(then=_start_clone(task, flags, ptid, ctid))


@syscall("clone3", REWRITE)
def clone3(task, args: Ptr, size: Ptr):
    """clone3(2): like clone; set_tid and cgroup placement are refused."""
    if size < 64:
        raise KernelError(errno.EINVAL)
    raw = task.read(args, min(size, 88))
    flags, pidfd, ctid, ptid, exit_signal, stack, stack_size, tls = struct.unpack("<8Q", raw[:64])
    if len(raw) >= 80:
        set_tid, set_tid_size = struct.unpack("<QQ", raw[64:80])
        if set_tid_size:
            raise KernelError(errno.EPERM, "clone3 set_tid is not allowed")
    if flags & CLONE_INTO_CGROUP:
        raise KernelError(errno.EPERM, "CLONE_INTO_CGROUP is not allowed")
    return Native(then=_start_clone(task, flags, ptid, ctid))


@syscall("fork", REWRITE)
def fork(task):
    """fork(2): a new process; the parent sees the child's guest pid."""
    return Native(then=_start_clone(task, 17, 0, 0))


@syscall("vfork", REWRITE)
def vfork(task):
    """vfork(2): fork that shares memory until the child execs or exits."""
    return Native(then=_start_clone(task, 0x4000 | 0x100 | 17, 0, 0))


# ----------------------------------------------------------------- exec
ARG_MAX = 2 << 20          # argv + envp bytes, as the host allows (stack limit / 4)


def _read_vector(task, addr: int, budget: list[int]) -> list[bytes]:
    """A NULL-terminated array of guest strings; E2BIG past the shared `budget`."""
    out: list[bytes] = []
    if addr == 0:
        return out
    while True:
        p = int.from_bytes(task.read(addr + 8 * len(out), 8), "little")
        if p == 0:
            return out
        s = task.read_str(p, 1 << 17)
        budget[0] -= len(s) + 1 + 8
        if budget[0] < 0:
            raise KernelError(errno.E2BIG)
        out.append(s)


def _layout(base: int, path: bytes, argv: list[bytes], envp: list[bytes]) -> tuple[bytes, int, int, int]:
    """Strings and pointer arrays for execveat, to be written at `base`."""
    strings = bytearray(b"\0")          # offset 0: the empty path
    def put(s: bytes) -> int:
        off = len(strings)
        strings.extend(s + b"\0")
        return off
    a_offs = [put(a) for a in argv]
    e_offs = [put(e) for e in envp]
    while len(strings) % 8:
        strings.append(0)
    arr_base = base + len(strings)
    vec = b"".join((base + o).to_bytes(8, "little") for o in a_offs) + b"\0" * 8
    env_base = arr_base + len(vec)
    vec += b"".join((base + o).to_bytes(8, "little") for o in e_offs) + b"\0" * 8
    return bytes(strings) + vec, base, arr_base, env_base


def do_execve(task, path: str, argv_p: int, envp_p: int):
    budget = [ARG_MAX]
    argv = _read_vector(task, argv_p, budget)
    envp = _read_vector(task, envp_p, budget)
    kernel = task.kernel
    plan = prepare_exec(kernel, task.fs, path, argv, envp)
    task.call.plan = plan
    size = sum(len(a) + 1 for a in plan.host_argv) + sum(len(e) + 1 for e in envp) \
        + 8 * (len(plan.host_argv) + len(envp) + 2) + 16
    if size > ARG_MAX + 4096:
        os.close(plan.fd)
        raise KernelError(errno.E2BIG)
    fd = yield InstallFd(plan.fd, cloexec=True)
    if fd < 0:
        return fd
    # Scratch memory for the new argv: a fresh anonymous mapping, so nothing
    # of the guest's is overwritten if the exec fails.
    length = (size + 4095) & ~4095
    addr = yield Inject(NUMBERS["mmap"], (0, length, 3, 0x22, (1 << 64) - 1, 0))
    if addr < 0 or addr >= (1 << 63):
        yield Inject(NUMBERS["close"], (fd,))
        return -errno.ENOMEM
    blob, p_empty, p_argv, p_envp = _layout(addr, b"", plan.host_argv, envp)
    kernel.platform.write(task.host_tid, addr, blob)
    r = yield Inject(NUMBERS["execveat"], (fd, p_empty, p_argv, p_envp, AT_EMPTY_PATH))
    if r < 0:
        yield Inject(NUMBERS["munmap"], (addr, length))
        yield Inject(NUMBERS["close"], (fd,))
        return r
    return 0


@syscall("execve", REWRITE)
def execve(task, path: Path, argv: Ptr, envp: Ptr):
    """execve(2): resolve and check the program in the guest, then exec it by fd."""
    return (yield from do_execve(task, path, argv, envp))


@syscall("execveat", REWRITE)
def execveat(task, dirfd: int, path: Path, argv: Ptr, envp: Ptr, flags: int):
    """execveat(2): execve relative to a directory fd (or of the fd itself)."""
    if flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW):
        raise KernelError(errno.EINVAL)
    if path == "" and not flags & AT_EMPTY_PATH:
        raise KernelError(errno.ENOENT)
    if path and flags & AT_SYMLINK_NOFOLLOW:
        lk = resolve_at(task, dirfd, path, follow=False)
        if lk.st is not None and lk.st.is_link:
            raise KernelError(errno.ELOOP)
    if path == "" and flags & AT_EMPTY_PATH:
        p = fd_path(task, dirfd)
        if p is None:
            raise KernelError(errno.ENOEXEC, "fd was not opened through the guest VFS")
        path = p
    elif not path.startswith("/") and dirfd != AT_FDCWD:
        path = dir_of(task, dirfd).rstrip("/") + "/" + path
    return (yield from do_execve(task, path, argv, envp))


# ------------------------------------------------------------------ ids
@syscall("getpid", EMULATE)
def getpid(task):
    """getpid(2): the guest pid of the calling process."""
    return task.process.pid


@syscall("gettid", EMULATE)
def gettid(task):
    """gettid(2): the guest id of the calling thread."""
    return task.tid


@syscall("getppid", EMULATE)
def getppid(task):
    """getppid(2): the guest pid of the parent; 0 for guest init."""
    parent = task.process.parent
    return parent.pid if parent is not None else 0


@syscall("set_tid_address", REWRITE)
def set_tid_address(task, tidptr: Ptr):
    """set_tid_address(2): the host records the address; the result is the guest tid."""
    return Native(then=lambda r: task.tid if r > 0 else r)


def host_pid(task, pid: int) -> int:
    """The host id of live guest process or thread `pid`; ESRCH if it names none."""
    ns = task.kernel.pidns
    h = ns.to_host(pid)
    proc = ns.processes.get(pid)
    if h is None or (ns.task(pid) is None and (proc is None or proc.reaped)):
        raise KernelError(errno.ESRCH, f"pid {pid} is not in the sandbox")
    return h


def host_group(task, pgid: int) -> int | None:
    """The host id of guest process group (or session) `pgid`, if a guest process is in it.

    A group outlives its leader, so the id is looked up even after the
    leader was reaped, but only a group that still has a guest member counts.
    """
    h = task.kernel.pidns.to_host(pgid)
    if h is None:
        return None
    for proc in task.kernel.pidns.processes.values():
        if proc.alive:
            try:
                if os.getpgid(proc.host_pid) == h:
                    return h
            except OSError:
                continue
    return None


def _alive(task, pid: int) -> int:
    return host_pid(task, pid)


# ---------------------------------------------------------------- wait
P_ALL, P_PID, P_PGID, P_PIDFD = 0, 1, 2, 3


def _reaped(task, guest: int) -> None:
    proc = task.kernel.pidns.processes.get(guest)
    if proc is not None and not proc.alive:
        proc.reaped = True
        task.kernel.pidns.forget(guest)
        if proc.parent is not None:
            proc.parent.children.discard(proc)


@syscall("wait4", REWRITE)
def wait4(task, pid: int, status: Ptr, options: int, rusage: Ptr):
    """wait4(2): the host waits; pids are translated both ways."""
    args = {}
    ns = task.kernel.pidns
    if pid > 0:
        proc = ns.processes.get(pid)
        if proc is None or proc.reaped:
            raise KernelError(errno.ECHILD)
        args[0] = proc.host_pid
    elif pid < -1:
        h = ns.to_host(-pid)
        if h is None:
            raise KernelError(errno.ECHILD)
        args[0] = -h

    def back(r: int) -> int:
        if r > 0:
            g = task.kernel.pidns.to_guest(r)
            _reaped(task, g)
            return g
        return r
    return Native(args=args or None, then=back)


@syscall("waitid", REWRITE)
def waitid(task, idtype: int, id: UInt, infop: Ptr, options: int, rusage: Ptr):
    """waitid(2): the host waits; the id and siginfo's si_pid are translated."""
    args = {}
    ns = task.kernel.pidns
    if idtype == P_PID:
        proc = ns.processes.get(id)
        if proc is None or proc.reaped:
            raise KernelError(errno.ECHILD)
        args[1] = proc.host_pid
    elif idtype == P_PGID and id != 0:
        h = ns.to_host(id)
        if h is None:
            raise KernelError(errno.ECHILD)
        args[1] = h

    def back(r: int) -> int:
        if r == 0 and infop:
            try:
                raw = task.read(infop, 24)
                hpid = int.from_bytes(raw[16:20], "little", signed=True)
                if hpid > 0:
                    g = task.kernel.pidns.to_guest(hpid)
                    task.write(infop + 16, g.to_bytes(4, "little", signed=True))
                    if not options & 0x01000000:        # not WNOWAIT
                        _reaped(task, g)
            except KernelError:
                pass
        return r
    return Native(args=args or None, then=back)


# ------------------------------------------------------------- signals
def init_ignores(task, sig: int) -> bool:
    """Guest init only gets the signals it has a handler for, as in a PID namespace."""
    init = task.kernel.init
    if init is None or sig == 0 or task.process is init:
        return False
    try:
        with open(f"/proc/{init.host_pid}/status") as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return not (int(line.split()[1], 16) >> (sig - 1)) & 1
    except OSError:
        pass
    return False


def _kill_target(task, pid: int) -> int:
    if pid > 0:
        return _alive(task, pid)
    if pid == 0:
        return 0
    if pid == -1:
        raise KernelError(errno.EPERM)     # handled by kill() itself
    h = host_group(task, -pid)
    if h is None:
        raise KernelError(errno.ESRCH)
    return -h


@syscall("kill", REWRITE)
def kill(task, pid: int, sig: int):
    """kill(2): signal a guest process or process group; -1 means every guest process."""
    if sig < 0 or sig > 64:
        raise KernelError(errno.EINVAL)
    if pid == -1:
        # "every process we may signal" is every guest process but init and us.
        count = 0
        for proc in list(task.kernel.pidns.processes.values()):
            if proc.alive and proc.pid != 1 and proc is not task.process:
                if sig:
                    try:
                        os.kill(proc.host_pid, sig)
                    except OSError:
                        continue
                count += 1
        return 0 if count else -errno.ESRCH
    target = _kill_target(task, pid)
    if pid == 1 and init_ignores(task, sig):
        return 0
    if target <= 0 and init_ignores(task, sig) and _init_in_group(task, -target or os.getpgid(task.process.host_pid)):
        return _signal_group_but_init(task, -target or os.getpgid(task.process.host_pid), sig)
    return Native(args={0: target})


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
    t = task.kernel.pidns.task(tid)
    if t is None or t.process.pid != tgid:
        raise KernelError(errno.ESRCH)
    if _spares_init(task, t.process, sig):
        return 0
    return Native(args={0: t.process.host_pid, 1: t.host_tid})


def _spares_init(task, target, sig: int) -> bool:
    """A signal for guest init that init has no handler for is dropped (see init_ignores)."""
    return target is task.kernel.init and 0 < sig <= 64 and init_ignores(task, sig)


@syscall("tkill", REWRITE)
def tkill(task, tid: int, sig: int):
    """tkill(2): signal one guest thread."""
    if tid <= 0:
        raise KernelError(errno.EINVAL)
    t = task.kernel.pidns.task(tid)
    if t is None:
        raise KernelError(errno.ESRCH)
    if _spares_init(task, t.process, sig):
        return 0
    return Native(args={0: t.host_tid})


@syscall("rt_sigqueueinfo", REWRITE)
def rt_sigqueueinfo(task, pid: int, sig: int, info: Ptr):
    """rt_sigqueueinfo(2): queue a signal with data to a guest process."""
    host = _alive(task, pid)
    if _spares_init(task, task.kernel.pidns.processes.get(pid), sig):
        return 0
    return Native(args={0: host})


@syscall("rt_tgsigqueueinfo", REWRITE)
def rt_tgsigqueueinfo(task, tgid: int, tid: int, sig: int, info: Ptr):
    """rt_tgsigqueueinfo(2): queue a signal with data to a guest thread."""
    t = task.kernel.pidns.task(tid)
    if t is None or t.process.pid != tgid:
        raise KernelError(errno.ESRCH)
    if _spares_init(task, t.process, sig):
        return 0
    return Native(args={0: t.process.host_pid, 1: t.host_tid})


@syscall("pidfd_send_signal", REWRITE)
def pidfd_send_signal(task, pidfd: int, sig: int, info: Ptr, flags: UInt):
    """pidfd_send_signal(2): natively (a guest can only hold pidfds of guest processes),
    but a signal guest init does not handle is dropped, as for kill()."""
    init = task.kernel.init
    if init is not None and 0 < sig <= 64 and init_ignores(task, sig):
        with guest_fd(task, pidfd) as hfd:
            try:
                with open(f"/proc/self/fdinfo/{hfd}") as f:
                    target = next((int(l.split()[1]) for l in f if l.startswith("Pid:")), None)
            except (OSError, ValueError):
                target = None
        if target == init.host_pid:
            return 0
    return Native()


@syscall("pidfd_open", REWRITE)
def pidfd_open(task, pid: int, flags: UInt):
    """pidfd_open(2): a pidfd for a guest process."""
    if pid <= 0:
        raise KernelError(errno.EINVAL)
    return Native(args={0: _alive(task, pid)})


# ------------------------------------------- process groups and sessions
def _pid_arg(task, pid: int) -> int:
    return 0 if pid == 0 else host_pid(task, pid)


@syscall("setpgid", REWRITE)
def setpgid(task, pid: int, pgid: int):
    """setpgid(2): move a guest process into a guest process group."""
    if pid < 0 or pgid < 0:
        raise KernelError(errno.EINVAL)
    hpid = _pid_arg(task, pid)
    target = pid or task.process.pid
    if pgid == 0 or pgid == target:
        hpgid = 0 if pgid == 0 else hpid
    else:
        hpgid = host_group(task, pgid)
        if hpgid is None:
            raise KernelError(errno.EPERM, f"no process group {pgid} in this session")
    return Native(args={0: hpid, 1: hpgid})


@syscall("getpgid", REWRITE)
def getpgid(task, pid: int):
    """getpgid(2): the guest id of a process group."""
    return Native(args={0: _pid_arg(task, pid)}, then=lambda r: _translate_tid(task, r))


@syscall("getpgrp", REWRITE)
def getpgrp(task):
    """getpgrp(2): the caller's process group, as a guest id."""
    return Native(then=lambda r: _translate_tid(task, r))


@syscall("getsid", REWRITE)
def getsid(task, pid: int):
    """getsid(2): the guest id of a session."""
    return Native(args={0: _pid_arg(task, pid)}, then=lambda r: _translate_tid(task, r))



@syscall("setsid", REWRITE)
def setsid(task):
    """setsid(2): a new session and process group led by the caller."""
    return Native(then=lambda r: _translate_tid(task, r))


# --------------------------------------------- limits and scheduling
@syscall("prlimit64", REWRITE)
def prlimit64(task, pid: int, resource: int, new: Ptr, old: Ptr):
    """prlimit64(2): resource limits of a guest process."""
    return Native(args={0: _pid_arg(task, pid)}) if pid else Native()


native("getrlimit", "setrlimit", "getrusage", "times", why="limits and usage of the caller")


def _sched(name: str, doc: str):
    @syscall(name, REWRITE)
    def handler(task, pid: int, a1: Ptr, a2: Ptr):
        return Native(args={0: _pid_arg(task, pid)}) if pid else Native()
    handler.__doc__ = doc
    return handler


for _name in ("sched_setparam", "sched_getparam", "sched_setscheduler", "sched_getscheduler",
              "sched_setaffinity", "sched_getaffinity", "sched_rr_get_interval",
              "sched_setattr", "sched_getattr"):
    _sched(_name, f"{_name}(2): scheduling of a guest process (pid translated).")


def _priority(task, which: int, who: int) -> Native:
    if which == 0 and who:                      # PRIO_PROCESS with a pid
        return Native(args={1: host_pid(task, who)})
    if which != 0 and who:
        raise KernelError(errno.EINVAL, "only PRIO_PROCESS with a pid is supported")
    return Native()


@syscall("getpriority", REWRITE)
def getpriority(task, which: int, who: int):
    """getpriority(2): nice value of a guest process (PRIO_PROCESS ids translated)."""
    return _priority(task, which, who)


@syscall("setpriority", REWRITE)
def setpriority(task, which: int, who: int, prio: int):
    """setpriority(2): nice value of a guest process (PRIO_PROCESS ids translated)."""
    return _priority(task, which, who)


@syscall("kcmp", REWRITE)
def kcmp(task, pid1: int, pid2: int, type_: int, idx1: Ptr, idx2: Ptr):
    """kcmp(2): compare kernel objects of two guest processes."""
    return Native(args={0: host_pid(task, pid1), 1: host_pid(task, pid2)})


@syscall("process_vm_readv", REWRITE, names=("process_vm_writev",))
def process_vm_readv(task, pid: int, a1: Ptr, a2: Ptr, a3: Ptr, a4: Ptr, a5: Ptr):
    """process_vm_readv(2)/writev: memory of another guest process (pid translated)."""
    return Native(args={0: _alive(task, pid)})


deny("ptrace", err=errno.EPERM, why="ptrace inside the sandbox is not supported")
deny("unshare", "setns", err=errno.EPERM, why="namespaces cannot be changed inside the sandbox")
deny("pidfd_getfd", err=errno.EPERM, why="taking another process's descriptors is not supported")
deny("migrate_pages", "move_pages", err=errno.EPERM, why="NUMA page moves are not supported")
deny("process_madvise", "process_mrelease", err=errno.EPERM, why="not supported")
