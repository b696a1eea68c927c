"""Namespace syscalls: the CLONE_NEW* flags of unshare(2) and clone(2), and setns(2).

UTS, mount and IPC namespaces are the guest kernel's own (kernel/namespaces.py):
guest root (CAP_SYS_ADMIN) may make new ones and join them.  The host never
sees these flags: they are taken out of the call the host runs.

An IPC namespace is a name for a set of SysV keys and ids inside the
sandbox's one host IPC namespace (kernel/ipc.py).  A task entering a
non-initial one gets a seccomp filter stacked on its own (injected before
the call completes, or at a clone child's first stop) so that its otherwise
native msgsnd, msgrcv, semop, semtimedop, mq_open and mq_unlink stop and
are checked (or, for a queue's name, made the namespace's).  As on
Linux, unshare(CLONE_NEWIPC) and setns into an IPC namespace leave the
caller's semaphore undo list (the host runs unshare(CLONE_SYSVSEM), which
applies and drops it).  POSIX message queues are per namespace too
(syscalls/mqueue.py).

The other kinds are refused the way Linux refuses an unprivileged caller,
after the checks Linux makes first (bad combinations are EINVAL before any
permission decision):

  * CLONE_NEWUSER: EPERM, as Linux gives a caller in a chroot (the guest is
    one, in the host's view) -- user namespaces are not modelled;
  * CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWTIME: EPERM.

setns(2) takes an fd of /proc/PID/ns/{uts,mnt,ipc} (procfs/ns.py) and joins
that namespace; the other kinds' fds name the sandbox's only namespace of
their kind, which the caller is in already: joining it changes nothing.
"""
from __future__ import annotations

import errno
import os
import re

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import (
    CAP_SYS_ADMIN,
    CAP_SYS_CHROOT,
    CLONE_FS,
    CLONE_NEWCGROUP,
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWPID,
    CLONE_NEWTIME,
    CLONE_NEWUSER,
    CLONE_NEWUTS,
    CLONE_SIGHAND,
    CLONE_SYSVSEM,
    CLONE_THREAD,
    CLONE_VM,
)
from umlpy.abi.numbers import NUMBERS
from umlpy.kernel.creds import capable
from umlpy.kernel.fdpath import guest_fd
from umlpy.kernel.ipc import install_stop_filter
from umlpy.kernel.namespaces import IpcNamespace, MountNamespace, UtsNamespace
from umlpy.kernel.requests import Inject
from umlpy.kernel.table import EMULATE, syscall

MODELLED = CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWIPC
REFUSED = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME
# setns's nstype: 0 (any) or the CLONE_NEW* flag of the fd's kind
NSTYPE = {"mnt": CLONE_NEWNS, "uts": CLONE_NEWUTS, "ipc": CLONE_NEWIPC, "net": CLONE_NEWNET,
          "pid": CLONE_NEWPID, "pid_for_children": CLONE_NEWPID, "user": CLONE_NEWUSER,
          "cgroup": CLONE_NEWCGROUP, "time": CLONE_NEWTIME, "time_for_children": CLONE_NEWTIME}
NS_PATH = re.compile(r"/ns/([a-z_]+):\[(\d+)\]$")


def sys_admin(task) -> bool:
    """CAP_SYS_ADMIN in the caller's user namespace (the sandbox's only one)."""
    return capable(task, CAP_SYS_ADMIN)


def _permitted(task, flags: int) -> None:
    """The permission checks shared by unshare and clone, in Linux's order."""
    if flags & CLONE_NEWUSER:
        raise KernelError(errno.EPERM, "user namespaces cannot be made inside the sandbox")
    if flags & (MODELLED | REFUSED) and not sys_admin(task):
        raise KernelError(errno.EPERM, "a new namespace needs CAP_SYS_ADMIN")


def _refuse_unmodelled(flags: int) -> None:
    if flags & REFUSED:
        raise KernelError(errno.EPERM, "only UTS, mount and IPC namespaces can be made inside the sandbox")


def check_unshare(task, flags: int) -> int:
    """unshare(2)'s namespace flags, checked as Linux's ksys_unshare does; the flags the
    host is to run (the namespace flags taken out; CLONE_FS added for CLONE_NEWNS,
    CLONE_SYSVSEM for CLONE_NEWIPC: the semaphore undo list is left, as Linux does)."""
    if flags & CLONE_NEWUSER:
        flags |= CLONE_THREAD | CLONE_FS
    if flags & CLONE_NEWNS:
        flags |= CLONE_FS
    if flags & CLONE_THREAD and len(task.process.threads) > 1:
        raise KernelError(errno.EINVAL, "unshare of the thread group by a multi-threaded process")
    _permitted(task, flags)
    _refuse_unmodelled(flags)
    if flags & CLONE_NEWIPC:
        flags |= CLONE_SYSVSEM
    return flags & ~(MODELLED | REFUSED | CLONE_NEWUSER)


def apply_unshare(task, flags: int) -> None:
    """The host's part of unshare succeeded: the caller gets its new namespaces."""
    if flags & MODELLED:
        old = task.ns.ipc
        task.ns = task.ns.replaced(uts=bool(flags & CLONE_NEWUTS), mnt=bool(flags & CLONE_NEWNS),
                                   ipc=bool(flags & CLONE_NEWIPC))
        if task.ns.ipc is not old:
            left_ipc_namespace(task, old)


def left_ipc_namespace(task, old: IpcNamespace) -> None:
    """`task` is no longer in `old`: if it was that namespace's last task, the namespace
    and its objects go (kernel/ipc.py `collect`)."""
    if not old.initial:
        task.kernel.sysvipc.collect(task.kernel, task.ns.registry)


def unshare_with_filter(task, host_flags: int, done):
    """unshare(CLONE_NEWIPC) by a task without the SysV stop filter: a generator that
    installs the filter first (nothing has changed if that fails), then runs the host's
    part of unshare (`host_flags`) and `done` on its result, as the plain call would."""
    yield from install_stop_filter(task)
    r = yield Inject(NUMBERS["unshare"], (host_flags,))
    r = done(r)
    if r == 0:
        task.ns.sysv_stops = True       # the proxy is the caller's alone: unshare made it
    return r


def needs_filter(task, flags: int) -> bool:
    """Does unshare(`flags`) put the caller in an IPC namespace whose SysV calls must stop?"""
    return bool(flags & CLONE_NEWIPC) and not task.ns.sysv_stops


def check_clone(task, flags: int) -> int:
    """clone(2)'s namespace flags, checked as Linux's copy_process does; the flags the
    host is to run.  (In clone's flags 0x80 is part of the exit signal, not CLONE_NEWTIME.)"""
    ns = flags & (MODELLED | REFUSED | CLONE_NEWUSER) & ~CLONE_NEWTIME
    if not ns:
        return flags
    if flags & CLONE_NEWNS and flags & CLONE_FS or flags & CLONE_NEWUSER and flags & CLONE_FS:
        raise KernelError(errno.EINVAL, "a new mount or user namespace with a shared fs context")
    if flags & CLONE_THREAD and not flags & CLONE_SIGHAND or flags & CLONE_SIGHAND and not flags & CLONE_VM:
        raise KernelError(errno.EINVAL)
    if flags & CLONE_THREAD and flags & (CLONE_NEWUSER | CLONE_NEWPID):
        raise KernelError(errno.EINVAL, "a thread cannot be in another user or PID namespace")
    _permitted(task, ns)
    if flags & CLONE_NEWIPC and flags & CLONE_SYSVSEM:
        raise KernelError(errno.EINVAL, "a new IPC namespace with a shared semaphore undo list")
    _refuse_unmodelled(ns)
    return flags & ~ns


@syscall("setns", EMULATE)
def setns(task, fd: int, nstype: int):
    """setns(2): join the namespace that an fd of /proc/PID/ns/* names."""
    with guest_fd(task, fd) as hfd:
        path, _ = task.kernel.vfs.path_of_host_fd(hfd)
        # and it is the memfd procfs made for that open (procfs/ns.py), not a
        # file the guest named "uts:[N]" in a directory called ns
        made_by_procfs = os.readlink(f"/proc/self/fd/{hfd}").startswith("/memfd:proc:ns:")
    m = NS_PATH.search(path or "") if made_by_procfs else None
    if m is None or m.group(1) not in NSTYPE:
        raise KernelError(errno.EINVAL, "not a namespace file descriptor (a pidfd is not accepted)")
    kind, ident = m.group(1), int(m.group(2))
    if nstype not in (0, NSTYPE[kind]):
        raise KernelError(errno.EINVAL, f"the fd is a {kind} namespace")
    if kind not in ("uts", "mnt", "ipc"):
        if kind == "user":
            raise KernelError(errno.EINVAL, "joining the user namespace one is in")
        if not sys_admin(task):
            raise KernelError(errno.EPERM)
        return 0                                # the sandbox's only one, the caller's already
    target = task.ns.registry.by_id.get(ident)
    if not isinstance(target, (UtsNamespace, MountNamespace, IpcNamespace)) or target.kind != kind \
            or not getattr(target, "alive", True):
        raise KernelError(errno.EINVAL, "that namespace is gone")
    if not sys_admin(task):
        raise KernelError(errno.EPERM, "joining a namespace needs CAP_SYS_ADMIN")
    if isinstance(target, IpcNamespace):
        return _join_ipc(task, target)
    if isinstance(target, MountNamespace):
        if not capable(task, CAP_SYS_CHROOT):
            raise KernelError(errno.EPERM, "joining a mount namespace needs CAP_SYS_CHROOT too")
        fs = task.fs
        if any(t.fs is fs for t in task.kernel.pidns.tasks.values() if t is not task):
            raise KernelError(errno.EINVAL, "the fs context is shared with another thread")
        # Linux puts the caller at the new namespace's root, cwd and root both.
        fs.cwd = fs.root = "/"
        task.kernel.vfs.mounts = target.table
    task.ns = task.ns.joined(target)
    return 0


def _join_ipc(task, target: IpcNamespace):
    """ipcns_install: the caller leaves its semaphore undo list (exit_sem; the host's
    unshare(CLONE_SYSVSEM) does it) and is in `target`; a non-initial one needs the
    SysV stop filter first."""
    stops = task.ns.sysv_stops or target.initial
    if not stops:
        yield from install_stop_filter(task)
    r = yield Inject(NUMBERS["unshare"], (CLONE_SYSVSEM,))
    if r < 0:
        return r
    old = task.ns.ipc
    task.ns = task.ns.joined(target)
    task.ns.sysv_stops = task.ns.sysv_stops or not stops
    if old is not target:
        left_ipc_namespace(task, old)
    return 0
