"""Namespace syscalls: the CLONE_NEW* flags of unshare(2) and clone(2), and setns(2).

UTS and mount namespaces are the guest kernel's own (kernel/namespaces.py):
guest root (CAP_SYS_ADMIN) may make new ones and join them.  The host never
sees these flags: they are taken out of the call the host runs.

The other kinds are refused the way Linux refuses an unprivileged caller,
after the checks Linux makes first (bad combinations are EINVAL before any
permission decision):

  * CLONE_NEWUSER: EPERM, as Linux gives a caller in a chroot (the guest is
    one, in the host's view) -- user namespaces are not modelled;
  * CLONE_NEWIPC: EPERM.  SysV IPC objects and message queues are the host
    kernel's, in the sandbox's own host IPC namespace; a new one would need
    CAP_SYS_ADMIN in the user namespace owning that IPC namespace, and the
    guest task has no capability at all in the host's view (checked: CapEff
    0 as host uid 65534, root mode and rootless alike, with no_new_privs).
    The supervisor could make one for it, but the guest kernel's SysV
    records (kernel/ipc.py) and /dev/mqueue are per sandbox, not per namespace;
  * CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWTIME: EPERM.

setns(2) takes an fd of /proc/PID/ns/{uts,mnt} (procfs/ns.py) and joins that
namespace; the other kinds' fds name the sandbox's only namespace of their
kind, which the caller is in already: joining it changes nothing.
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
from umlpy.kernel.creds import capable
from umlpy.kernel.fdpath import guest_fd
from umlpy.kernel.namespaces import MountNamespace, UtsNamespace
from umlpy.kernel.table import EMULATE, syscall

MODELLED = CLONE_NEWUTS | CLONE_NEWNS
REFUSED = CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME
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
        raise KernelError(errno.EPERM, "only UTS and mount namespaces can be made inside the sandbox")


def check_unshare(task, flags: int) -> int:
    """unshare(2)'s namespace flags, checked as Linux's ksys_unshare does; the flags the
    host is to run (the namespace flags taken out; CLONE_FS added for CLONE_NEWNS)."""
    if flags & CLONE_NEWUSER:
        flags |= CLONE_THREAD | CLONE_FS
    if flags & CLONE_NEWNS:
        flags |= CLONE_FS
    if flags & CLONE_THREAD and len(task.process.threads) > 1:
        raise KernelError(errno.EINVAL, "unshare of the thread group by a multi-threaded process")
    _permitted(task, flags)
    _refuse_unmodelled(flags)
    return flags & ~(MODELLED | REFUSED | CLONE_NEWUSER)


def apply_unshare(task, flags: int) -> None:
    """The host's part of unshare succeeded: the caller gets its new namespaces."""
    if flags & MODELLED:
        task.ns = task.ns.replaced(uts=bool(flags & CLONE_NEWUTS), mnt=bool(flags & CLONE_NEWNS))


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
    if kind not in ("uts", "mnt"):
        if kind == "user":
            raise KernelError(errno.EINVAL, "joining the user namespace one is in")
        if not sys_admin(task):
            raise KernelError(errno.EPERM)
        return 0                                # the sandbox's only one, the caller's already
    target = task.ns.registry.by_id.get(ident)
    if not isinstance(target, (UtsNamespace, MountNamespace)) or target.kind != kind:
        raise KernelError(errno.EINVAL, "that namespace is gone")
    if not sys_admin(task):
        raise KernelError(errno.EPERM, "joining a namespace needs CAP_SYS_ADMIN")
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
