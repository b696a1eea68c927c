"""Process syscalls: creation, exit, wait, ids, process groups, sessions, scheduling.

The host kernel does the mechanics (fork, scheduling, reaping, job control);
the guest kernel owns the numbers.  Every pid that goes in is translated
from the guest's namespace to the host's, every pid that comes out goes
back, and a pid that names no guest process is ESRCH.  (execve is in
exec.py; sending signals in signal.py.)
"""
from __future__ import annotations

import errno
import os
import resource
import struct

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import (
    CLONE_FILES,
    CLONE_FS,
    CLONE_NAMESPACES,
    CLONE_SIGHAND,
    CLONE_SYSVSEM,
    CLONE_THREAD,
    CLONE_UNTRACED,
    CLONE_VFORK,
    CLONE_VM,
    P_PGID,
    P_PID,
    PRIO_PGRP,
    PRIO_PROCESS,
    PRIO_USER,
    SIGCHLD,
    WNOWAIT,
)
from umlpy.abi.linux import (
    CAP_SYS_NICE,
    CAP_SYS_RESOURCE,
    PTRACE_MODE_ATTACH_REALCREDS,
    PTRACE_MODE_READ_REALCREDS,
)
from umlpy.kernel.coredump import RLIMIT_CORE, fix_wait_status, fix_waitid_info
from umlpy.kernel.creds import require_ptrace
from umlpy.kernel.fdpath import dup_fd, guest_fd
from umlpy.kernel.pathfd import install_path_fd
from umlpy.kernel.requests import InstallFd, Native
from umlpy.kernel.table import EMULATE, REWRITE, Ptr, UInt, syscall
from umlpy.syscalls import namespace
from umlpy.syscalls.rlimit import prlimit_core


def _translate_tid(task, r: int) -> int:
    return task.kernel.pidns.from_native(r) if r > 0 else r


# ------------------------------------------------------------- creation
def _start_clone(task, flags: int, ptid: int, ctid: int):
    limit = task.kernel.config.limits.get("processes")
    if limit is not None and len(task.kernel.pidns.tasks) >= limit:   # tasks: threads count too
        raise KernelError(errno.EAGAIN, f"the sandbox's limit of {limit} tasks is reached")
    task.clone_args = (flags, ptid, ctid)

    def done(r: int) -> int:
        task.clone_args = None
        if r <= 0:
            return r
        return task.kernel.pidns.from_native(r)
    return done


@syscall("clone", REWRITE)
def clone(task, flags: Ptr, stack: Ptr, ptid: Ptr, ctid: Ptr, tls: Ptr):
    """clone(2): the host creates the thread or process; the guest gets a guest id.

    CLONE_UNTRACED is taken out of the flags the host sees: a child made
    with it would run untraced, beyond the guest kernel, and would outlive
    a killed supervisor.  (clone3 is refused for the same reason: its flags
    are in guest memory, which another thread may change after our check;
    see its row in linux64.py.)"""
    # CLONE_NEW*: EINVAL/EPERM here; kernel.new_child gives the child its namespaces
    host_flags = namespace.check_clone(task, flags) & ~CLONE_UNTRACED    # the host sees none
    then = _start_clone(task, flags, ptid, ctid)
    if host_flags != flags:
        return Native(args={0: host_flags}, then=then)
    return Native(then=then)


UNSHARE_FLAGS = (CLONE_THREAD | CLONE_FS | CLONE_SIGHAND | CLONE_VM | CLONE_FILES | CLONE_SYSVSEM
                 | CLONE_NAMESPACES)


@syscall("unshare", REWRITE)
def unshare(task, flags: int):
    """unshare(2): stop sharing the fd table, the fs context (root, cwd, umask) or the
    SysV semaphore undo list with other threads and processes, or make new namespaces.
    The host unshares its own copies; for CLONE_FS the guest kernel's record of root
    and cwd is copied too.  New UTS, mount and IPC namespaces are the guest kernel's, the
    other kinds are refused (syscalls/namespace.py)."""
    if flags & ~UNSHARE_FLAGS & 0xFFFFFFFF or flags < 0:
        raise KernelError(errno.EINVAL, f"unknown unshare flags {flags:#x}")
    host_flags = namespace.check_unshare(task, flags)

    def done(r: int) -> int:
        if r == 0 and host_flags & CLONE_FS:
            task.fs = task.fs.copy()
        if r == 0:
            namespace.apply_unshare(task, flags)
        return r
    if namespace.needs_filter(task, flags):      # a new IPC namespace: its SysV calls must stop
        return namespace.unshare_with_filter(task, host_flags, done)
    return Native(args={0: host_flags} if host_flags != flags else None, then=done)


@syscall("fork", REWRITE)
def fork(task):
    """fork(2): a new process; the parent sees the child's guest pid."""
    return Native(then=_start_clone(task, SIGCHLD, 0, 0))


@syscall("vfork", REWRITE)
def vfork(task):
    """vfork(2): fork that shares memory until the child execs or exits."""
    return Native(then=_start_clone(task, CLONE_VFORK | CLONE_VM | SIGCHLD, 0, 0))


# ------------------------------------------------------------------ ids
# getpid and gettid are native (syscalls/linux64.py, OWN_PIDS): the guest's
# PID namespace on the host gives the guest's ids.  getppid stays here, where
# the guest kernel's idea of the parent (its adopter) is the answer.
@syscall("getppid", EMULATE)
def getppid(task):
    """getppid(2): the guest pid of the parent; 0 for guest init."""
    proc = task.process
    parent = proc.parent
    if parent is not None and parent is task.kernel.init and proc is not parent:
        parent = _adopter(task, proc) or parent
    return parent.pid if parent is not None else 0


def _adopter(task, proc):
    """The process that really adopted an orphan.  The guest kernel hands orphans to
    init, but a child subreaper (PR_SET_CHILD_SUBREAPER, which the host kernel
    honours) takes them first: ask the host who the parent is, and follow it."""
    try:
        with open(f"/proc/{proc.host_pid}/status") as f:
            ppid = next(int(line.split()[1]) for line in f if line.startswith("PPid:"))
    except (OSError, StopIteration, ValueError):
        return None
    ns = task.kernel.pidns
    adopter = ns.processes.get(ns.to_guest(ppid))
    if adopter is None or not adopter.alive or adopter is proc.parent:
        return None
    proc.parent.children.discard(proc)       # the guest kernel's records follow
    adopter.children.add(proc)
    proc.parent = adopter
    return adopter


@syscall("set_tid_address", REWRITE)
def set_tid_address(task, tidptr: Ptr):
    """set_tid_address(2): the host records the address; the result is the guest tid."""
    return Native(then=lambda r: task.tid if r > 0 else r)


def host_pid(task, pid: int) -> int:
    """The host id of live guest process or thread `pid`, for the supervisor's own
    calls; ESRCH if it names none."""
    ns = task.kernel.pidns
    h = ns.to_host(pid)
    proc = ns.processes.get(pid)
    if h is None or (ns.task(pid) is None and (proc is None or proc.reaped)):
        raise KernelError(errno.ESRCH, f"pid {pid} is not in the sandbox")
    return h


def native_pid(task, pid: int) -> int:
    """The id a guest's own host call carries for live guest process or thread `pid`
    (kernel/pidns.py); ESRCH if it names none."""
    host_pid(task, pid)
    return task.kernel.pidns.to_native(pid)


def native_group(task, pgid: int) -> int | None:
    """host_group, as the id a guest's own host call carries."""
    if host_group(task, pgid) is None:
        return None
    return task.kernel.pidns.to_native(pgid)


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


# ---------------------------------------------------------------- wait
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
    _wait_args(options, _WAIT4_OPTIONS)
    if pid == -2**31:
        raise KernelError(errno.ESRCH, "-INT_MIN is not a pid")    # kernel_wait4
    args = {}
    ns = task.kernel.pidns
    if pid > 0:
        proc = ns.processes.get(pid)
        if proc is None or proc.reaped:
            raise KernelError(errno.ECHILD)
        args[0] = ns.to_native(pid)
    elif pid < -1:
        n = ns.to_native(-pid)
        if n is None:
            raise KernelError(errno.ECHILD)
        args[0] = -n

    def back(r: int) -> int:
        if r > 0:
            g = task.kernel.pidns.from_native(r)
            fix_wait_status(task, g, status)        # WCOREDUMP, which the host did not set
            _reaped(task, g)
            return g
        return r
    return Native(args=args or None, then=back)


# Linux's checks of a wait's arguments, before any lookup (kernel_wait4, kernel_waitid).
_WAIT_COMMON = 0x1 | 0x8 | 0x20000000 | 0x40000000 | 0x80000000   # WNOHANG WCONTINUED __WNOTHREAD __WALL __WCLONE
_WAIT4_OPTIONS = _WAIT_COMMON | 0x2                                   # WUNTRACED
_WAITID_OPTIONS = _WAIT_COMMON | 0x2 | 0x4 | 0x01000000               # WSTOPPED WEXITED WNOWAIT


def _wait_args(options: int, known: int) -> None:
    if options & ~known & 0xFFFFFFFF:
        raise KernelError(errno.EINVAL, f"unknown wait options {options:#x}")


@syscall("waitid", REWRITE)
def waitid(task, idtype: int, id: UInt, infop: Ptr, options: int, rusage: Ptr):
    """waitid(2): the host waits; the id and siginfo's si_pid are translated."""
    _wait_args(options, _WAITID_OPTIONS)
    if not options & 0xE:                                           # WEXITED, WSTOPPED, WCONTINUED
        raise KernelError(errno.EINVAL, "waitid needs WEXITED, WSTOPPED or WCONTINUED")
    if idtype not in (0, P_PID, P_PGID, 3) or id >= 2**31 or (idtype == P_PID and id == 0):
        raise KernelError(errno.EINVAL, f"waitid idtype {idtype}, id {id}")     # 0: P_ALL, 3: P_PIDFD
    args = {}
    ns = task.kernel.pidns
    if idtype == P_PID:
        proc = ns.processes.get(id)
        if proc is None or proc.reaped:
            raise KernelError(errno.ECHILD)
        args[1] = ns.to_native(id)
    elif idtype == P_PGID and id != 0:
        n = ns.to_native(id)
        if n is None:
            raise KernelError(errno.ECHILD)
        args[1] = n

    def back(r: int) -> int:
        if r == 0 and infop:
            try:
                raw = task.read(infop, 24)
                npid = int.from_bytes(raw[16:20], "little", signed=True)
                if npid > 0:
                    g = task.kernel.pidns.from_native(npid)
                    if g != npid:
                        task.write(infop + 16, g.to_bytes(4, "little", signed=True))
                    fix_waitid_info(task, g, infop)         # CLD_DUMPED, which the host did not say
                    if not options & WNOWAIT:
                        _reaped(task, g)
            except KernelError:
                pass
        return r
    return Native(args=args or None, then=back)


@syscall("pidfd_open", REWRITE)
def pidfd_open(task, pid: int, flags: UInt):
    """pidfd_open(2): a pidfd for a guest process."""
    if pid <= 0:
        raise KernelError(errno.EINVAL)
    return Native(args={0: native_pid(task, pid)})


def pidfd_target(task, pidfd: int):
    """The guest process a pidfd the guest holds refers to (EBADF: not a pidfd;
    ESRCH: the process is gone).  The host shows a pidfd's pid in its fdinfo."""
    with guest_fd(task, pidfd) as hfd:
        try:
            with open(f"/proc/self/fdinfo/{hfd}") as f:
                host = next((int(l.split()[1]) for l in f if l.startswith("Pid:")), None)
        except (OSError, ValueError):
            host = None
    if host is None:
        raise KernelError(errno.EBADF, f"fd {pidfd} is not a pidfd")
    proc = task.kernel.pidns.processes.get(task.kernel.pidns.to_guest(host)) if host > 0 else None
    if proc is None or proc.reaped:
        raise KernelError(errno.ESRCH, "the pidfd's process has exited")
    return proc


@syscall("pidfd_getfd", EMULATE)
def pidfd_getfd(task, pidfd: int, targetfd: int, flags: UInt):
    """pidfd_getfd(2): a duplicate of another guest process's fd `targetfd`, close-on-exec,
    if the caller may trace it (ptrace_may_access ATTACH with real ids: EPERM).  The
    supervisor takes it out of the target with its own pidfd and hands it over."""
    if flags:
        raise KernelError(errno.EINVAL, f"flags {flags:#x}")
    proc = pidfd_target(task, pidfd)
    require_ptrace(task, proc, PTRACE_MODE_ATTACH_REALCREDS, "pidfd_getfd")
    thread = next(iter(proc.threads.values()), None)
    if thread is None or not proc.alive:
        raise KernelError(errno.ESRCH, "the process has exited")
    hfd = dup_fd(thread, targetfd)
    if task.kernel.vfs.is_path_only(hfd):     # seccomp's ADDFD does not take O_PATH files
        return install_path_fd(task, hfd, True)
    return InstallFd(hfd, cloexec=True)


def peer_process(task, pid: int):
    """The guest process that thread `pid` belongs to (a zombie too; ESRCH if none)."""
    ns = task.kernel.pidns
    t = ns.task(pid)
    proc = t.process if t is not None else ns.processes.get(pid)
    if proc is None or proc.reaped:
        raise KernelError(errno.ESRCH, f"no thread {pid} in the sandbox")
    return proc


# ------------------------------------------- process groups and sessions
def _pid_arg(task, pid: int) -> int:
    return 0 if pid == 0 else native_pid(task, pid)


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
        hpgid = native_group(task, pgid)
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
    """prlimit64(2): resource limits of a guest process.  Another process's need the
    caller's real ids to be all of its uids and gids, or CAP_SYS_RESOURCE (EPERM),
    checked after the new limits (EFAULT) and the pid (ESRCH), before the resource
    (EINVAL, the host's): check_prlimit_permission.
    RLIMIT_CORE is the guest kernel's own (syscalls/rlimit.py)."""
    if resource == RLIMIT_CORE:
        return prlimit_core(task, pid, new, old)
    if not pid:
        return Native()
    if new:
        task.read(new, 16)
    native = _pid_arg(task, pid)
    check_prlimit_permission(task, pid)
    return Native(args={0: native})


def check_prlimit_permission(task, pid: int) -> None:
    """Another thread's limits need the caller's real uid and gid to be all of its
    uids and gids, or CAP_SYS_RESOURCE (EPERM); ESRCH if there is no such thread."""
    t = task.kernel.pidns.task(pid)
    me, it = task.creds, peer_process(task, pid).creds
    if t is not task and not (me.ruid == it.ruid == it.euid == it.suid and me.rgid == it.rgid == it.egid == it.sgid) \
            and not me.has(CAP_SYS_RESOURCE):
        raise KernelError(errno.EPERM, f"the limits of process {pid} belong to another user")




# ------------------------------------------------ real-time policies, virtual
# SCHED_FIFO and SCHED_RR are kept virtual (issue 8): guest root may choose them
# and reads them back, but the host never runs a guest thread at real-time
# priority.  The other policies are the host's own.
SCHED_RESET_ON_FORK = 0x40000000


def _sched_target(task, pid: int):
    if pid < 0:
        raise KernelError(errno.EINVAL, f"pid {pid} is negative")
    proc = task.kernel.pidns.processes.get(pid or task.process.pid)
    if proc is None or not proc.alive:
        raise KernelError(errno.ESRCH, f"no process {pid}")
    return proc


def _host_sched(task, pid: int) -> Native:
    """The host's own scheduling call for `pid` (0: the caller)."""
    return Native(args={0: _pid_arg(task, pid)}) if pid else Native()


def _param_target(task, pid: int, param: int):
    """The process a sched_*param call names; EINVAL first, as Linux checks."""
    if param == 0 or pid < 0:
        raise KernelError(errno.EINVAL, "no param, or a negative pid")
    return _sched_target(task, pid)


def _rt_priority(task, proc, prio: int) -> int:
    """`prio` as a real-time priority for `proc`: EINVAL outside 1..99, EPERM."""
    if not 1 <= prio <= 99:
        raise KernelError(errno.EINVAL, f"priority {prio} is outside 1..99")
    _may_realtime(task, proc, prio)
    return prio


@syscall("sched_setscheduler", REWRITE)
def sched_setscheduler(task, pid: int, policy: int, param: Ptr):
    """sched_setscheduler(2): set the policy and priority; SCHED_FIFO and SCHED_RR
    (priority 1..99, root only: EPERM) are virtual, the others the host's."""
    reset = bool(policy & SCHED_RESET_ON_FORK)
    pol = policy & ~SCHED_RESET_ON_FORK
    if pol not in (SCHED_FIFO, SCHED_RR):
        proc = _param_target(task, pid, param)
        _may_schedule(task, proc)
        proc.vsched = None
        return _host_sched(task, pid)
    if param == 0 or pid < 0:
        raise KernelError(errno.EINVAL, "no param, or a negative pid")
    prio = int.from_bytes(task.read(param, 4), "little", signed=True)     # EFAULT before ESRCH
    proc = _sched_target(task, pid)
    proc.vsched = (pol, _rt_priority(task, proc, prio), reset)
    return 0


def _may_schedule(task, proc) -> None:
    """check_same_owner: another user's process needs CAP_SYS_NICE (EPERM)."""
    me, them = task.creds, proc.creds
    if me.euid not in (them.ruid, them.euid) and not me.has(CAP_SYS_NICE):
        raise KernelError(errno.EPERM, f"process {proc.pid} belongs to another user")


def _may_realtime(task, proc, prio: int) -> None:
    _may_schedule(task, proc)
    if not task.creds.has(CAP_SYS_NICE):
        try:
            rlim = resource.prlimit(proc.host_pid, resource.RLIMIT_RTPRIO)[0]
        except OSError:
            rlim = 0
        if rlim != resource.RLIM_INFINITY and prio > rlim:
            raise KernelError(errno.EPERM, "a real-time policy needs privilege or RLIMIT_RTPRIO")


@syscall("sched_getscheduler", REWRITE)
def sched_getscheduler(task, pid: int):
    """sched_getscheduler(2): the policy, with SCHED_RESET_ON_FORK if set."""
    proc = _sched_target(task, pid)
    if proc.vsched is not None:
        pol, _, reset = proc.vsched
        return pol | (SCHED_RESET_ON_FORK if reset else 0)
    return _host_sched(task, pid)


@syscall("sched_setparam", REWRITE)
def sched_setparam(task, pid: int, param: Ptr):
    """sched_setparam(2): the priority within the current policy."""
    proc = _param_target(task, pid, param)
    _may_schedule(task, proc)
    if proc.vsched is None:
        return _host_sched(task, pid)
    pol, _, reset = proc.vsched
    prio = int.from_bytes(task.read(param, 4), "little", signed=True)
    proc.vsched = (pol, _rt_priority(task, proc, prio), reset)
    return 0


@syscall("sched_getparam", REWRITE)
def sched_getparam(task, pid: int, param: Ptr):
    """sched_getparam(2): the priority (0 for the policies that are not real-time)."""
    proc = _param_target(task, pid, param)
    if proc.vsched is None:
        return _host_sched(task, pid)
    task.write(param, proc.vsched[1].to_bytes(4, "little"))
    return 0


@syscall("sched_getaffinity", REWRITE, names=("sched_rr_get_interval", "sched_getattr"))
def sched_of_pid(task, pid: int, a1: Ptr, a2: Ptr):
    """sched_*(2): scheduling of a guest process (pid translated); a negative pid is
    EINVAL, before the lookup (ESRCH), as in Linux."""
    if pid < 0:
        raise KernelError(errno.EINVAL, f"pid {pid} is negative")
    return Native(args={0: _pid_arg(task, pid)}) if pid else Native()


@syscall("sched_setaffinity", REWRITE, names=("sched_setattr",))
def sched_set_of_pid(task, pid: int, a1: Ptr, a2: Ptr):
    """sched_setaffinity(2), sched_setattr(2): as the getters, and another user's
    process needs CAP_SYS_NICE (EPERM)."""
    if pid < 0:
        raise KernelError(errno.EINVAL, f"pid {pid} is negative")
    if not pid:
        return Native()
    native = _pid_arg(task, pid)
    _may_schedule(task, peer_process(task, pid))
    return Native(args={0: native})


SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE = 0, 1, 2, 3, 5, 6
_PRIORITY_RANGE = {SCHED_FIFO: (1, 99), SCHED_RR: (1, 99)}
_POLICIES = (SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE)


@syscall("sched_get_priority_max", EMULATE)
def sched_get_priority_max(task, policy: int):
    """sched_get_priority_max(2): 99 for SCHED_FIFO and SCHED_RR, 0 for the others;
    EINVAL for an unknown policy."""
    if policy not in _POLICIES:
        raise KernelError(errno.EINVAL, f"no scheduling policy {policy}")
    return _PRIORITY_RANGE.get(policy, (0, 0))[1]


@syscall("sched_get_priority_min", EMULATE)
def sched_get_priority_min(task, policy: int):
    """sched_get_priority_min(2): 1 for SCHED_FIFO and SCHED_RR, 0 for the others;
    EINVAL for an unknown policy."""
    if policy not in _POLICIES:
        raise KernelError(errno.EINVAL, f"no scheduling policy {policy}")
    return _PRIORITY_RANGE.get(policy, (0, 0))[0]


# ----------------------------------------------------------- nice values
# Nice values are virtual once a guest sets one (issue 8): guest root may lower
# its nice value, as root can, but the host never raises a guest's priority (a
# guest must not starve the host).  The host's nice value only ever follows
# upwards; the guest reads back the value it set.  A child inherits the value
# at fork.

def _nice_of(task, proc) -> int:
    if proc.vnice is None:
        try:
            return os.getpriority(os.PRIO_PROCESS, proc.host_pid)
        except OSError:
            raise KernelError(errno.ESRCH) from None
    return proc.vnice


def _nice_target(task, who: int):
    if who < 0:
        raise KernelError(errno.ESRCH, f"pid {who}")
    proc = task.kernel.pidns.processes.get(who or task.process.pid)
    if proc is None or not proc.alive:
        raise KernelError(errno.ESRCH, f"no process {who}")
    return proc


def _set_nice(task, proc, nice: int) -> None:
    """set_one_prio() of Linux: another user's process needs privilege (EPERM), and
    lowering the value needs privilege or RLIMIT_NICE (EACCES)."""
    me, them = task.creds, proc.creds
    nice = max(-20, min(19, nice))
    if me.euid not in (them.ruid, them.euid) and not me.has(CAP_SYS_NICE):
        raise KernelError(errno.EPERM, f"process {proc.pid} belongs to another user")
    if nice < _nice_of(task, proc) and not me.has(CAP_SYS_NICE):
        try:
            rlim = resource.prlimit(proc.host_pid, resource.RLIMIT_NICE)[0]
        except OSError:
            rlim = 0
        if rlim != resource.RLIM_INFINITY and 20 - nice > rlim:
            raise KernelError(errno.EACCES, "lowering the nice value needs privilege")
    try:
        if nice > os.getpriority(os.PRIO_PROCESS, proc.host_pid):
            os.setpriority(os.PRIO_PROCESS, proc.host_pid, nice)    # lower priority: allowed
    except OSError:
        pass
    proc.vnice = nice


def _prio_members(task, which: int, who: int) -> list:
    """PRIO_PGRP and PRIO_USER: the guest processes of process group `who` or of
    (virtual, real) user `who`, 0 meaning the caller's own; EINVAL for another `which`.
    On the host every guest process is one uid, shared by other sandboxes: the
    host's PRIO_USER would reach them all, and its PRIO_PGRP would skip Linux's
    per-process permission check."""
    procs = [p for p in task.kernel.pidns.processes.values() if p.alive]
    if which == PRIO_USER:
        uid = who or task.creds.ruid
        return [p for p in procs if p.creds.ruid == uid]
    if which != PRIO_PGRP:
        raise KernelError(errno.EINVAL, f"which {which}")
    try:
        group = os.getpgid(task.process.host_pid) if not who else host_group(task, who)
    except OSError:
        group = None
    out = []
    for p in procs if group is not None else []:
        try:
            if os.getpgid(p.host_pid) == group:
                out.append(p)
        except OSError:
            continue
    return out


@syscall("getpriority", REWRITE)
def getpriority(task, which: int, who: int):
    """getpriority(2): the nice value of a guest process (virtual once set, see above);
    for a group or a user, the highest priority among its guest processes (ESRCH if none)."""
    if which == PRIO_PROCESS:
        return 20 - _nice_of(task, _nice_target(task, who))   # the raw syscall's value: 40..1
    best = None
    for proc in _prio_members(task, which, who):
        try:
            nice = _nice_of(task, proc)
        except KernelError:
            continue
        best = nice if best is None else min(best, nice)
    if best is None:
        raise KernelError(errno.ESRCH)
    return 20 - best                         # the raw syscall's value: 40..1 for nice -20..19


@syscall("setpriority", REWRITE)
def setpriority(task, which: int, who: int, prio: int):
    """setpriority(2): the nice value of a guest process (virtual: guest root may lower
    it, the host's only follows upwards); for a group or a user each of its guest
    processes in turn, with set_one_prio's checks and Linux's result (the last
    refusal, else 0; ESRCH if there is none)."""
    if which == PRIO_PROCESS:
        _set_nice(task, _nice_target(task, who), prio)
        return 0
    err = errno.ESRCH
    for proc in _prio_members(task, which, who):
        try:
            _set_nice(task, proc, prio)
        except KernelError as e:
            err = e.errno
            continue
        if err == errno.ESRCH:
            err = 0
    if err:
        raise KernelError(err)
    return 0


@syscall("kcmp", REWRITE)
def kcmp(task, pid1: int, pid2: int, type_: int, idx1: Ptr, idx2: Ptr):
    """kcmp(2): compare kernel objects of two guest processes; both must be within the
    caller's ptrace reach (PTRACE_MODE_READ_REALCREDS: EPERM)."""
    args = {0: native_pid(task, pid1), 1: native_pid(task, pid2)}
    for pid in (pid1, pid2):
        require_ptrace(task, peer_process(task, pid), PTRACE_MODE_READ_REALCREDS, "kcmp")
    return Native(args=args)


UIO_MAXIOV = 1024                   # <linux/uio.h>: iovecs per call


@syscall("process_vm_readv", REWRITE, names=("process_vm_writev",))
def process_vm_readv(task, pid: int, a1: Ptr, a2: Ptr, a3: Ptr, a4: Ptr, a5: Ptr):
    """process_vm_readv(2)/writev: memory of another guest process (pid translated), if
    the caller may trace it (PTRACE_MODE_ATTACH_REALCREDS: EPERM, after EINVAL for flags)."""
    if a5:
        raise KernelError(errno.EINVAL, f"flags {a5:#x}")
    if a2 > UIO_MAXIOV or a4 > UIO_MAXIOV:
        raise KernelError(errno.EINVAL, "more than UIO_MAXIOV iovecs")
    # Nothing to copy is 0 before the target is looked up (process_vm_rw).
    local = task.read(a1, 16 * a2) if a2 else b""
    if not any(struct.unpack_from("<Q", local, i + 8)[0] for i in range(0, len(local), 16)):
        return 0
    if a4:
        task.read(a3, 16 * a4)
    native = native_pid(task, pid)
    require_ptrace(task, peer_process(task, pid), PTRACE_MODE_ATTACH_REALCREDS, "process_vm_*")
    return Native(args={0: native})


