"""Host calls the supervisor makes for itself (not on a guest's behalf).

openat2 confines host-backed mounts, pidfd_getfd reaches a guest's
descriptors, memfd_create backs virtual files, inotify_add_watch serves the
guest's watches, detached_tmpfs makes the sandbox's storage.  They go through the C helper where Python's os module has
no wrapper, and through os where it has one (memfd_create, pidfd_open).
"""
from __future__ import annotations

import os

from umlpy._helper import lib


def openat2(rootfd: int, path: str | bytes, flags: int, mode: int = 0, resolve: int = 0) -> int:
    """openat2(2) for the supervisor's own use; raises OSError like os.open."""
    if isinstance(path, str):
        path = os.fsencode(path)
    r = lib.uh_openat2(rootfd, path, flags, mode, resolve)
    if r < 0:
        raise OSError(-r, os.strerror(-r), path)
    return r


def pidfd_open(pid: int) -> int:
    """pidfd_open(2) with no flags; raises OSError."""
    return os.pidfd_open(pid, 0)


def pidfd_getfd(pidfd: int, fd: int) -> int:
    """Duplicate guest fd `fd` into the supervisor; -errno (EBADF) on failure."""
    return lib.uh_pidfd_getfd(pidfd, fd)


def inotify_add_watch(fd: int, path: str, mask: int) -> int:
    """inotify_add_watch(2) for the supervisor; the watch descriptor or -errno."""
    return lib.uh_inotify_add_watch(fd, os.fsencode(path), mask & 0xFFFFFFFF)


def memfd(name: str) -> int:
    """A close-on-exec memfd; raises OSError."""
    return os.memfd_create(name, os.MFD_CLOEXEC)


def tgkill(tgid: int, tid: int, sig: int) -> int:
    return lib.uh_kill_tid(tgid, tid, sig)


def privileged() -> bool:
    """Does the supervisor run as root?  Otherwise umlpy is in rootless mode: the
    guest gets a user namespace of its own for what takes privilege (see
    docs/security.md), and runs as the supervisor's own host uid."""
    return os.geteuid() == 0


def _status(host_tid: int) -> bytes:
    """The head of /proc/TID/status (its id and signal lines), b"" if it is gone.
    os.open/os.read: this is on paths as hot as a signal's delivery."""
    try:
        fd = os.open(f"/proc/{host_tid}/status", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return b""
    try:
        return os.read(fd, 4096)
    except OSError:
        return b""
    finally:
        os.close(fd)


def _status_field(head: bytes, name: bytes) -> bytes | None:
    at = head.find(b"\n" + name + b":")
    if at < 0:
        return None
    return head[at + len(name) + 2:head.find(b"\n", at + 1)]


def handled_signals(host_tid: int) -> int | None:
    """The signals thread `host_tid`'s process catches or ignores (SigCgt | SigIgn),
    as a mask with bit sig-1 for signal sig; None if it is gone."""
    head = _status(host_tid)
    cgt, ign = _status_field(head, b"SigCgt"), _status_field(head, b"SigIgn")
    if cgt is None or ign is None:
        return None
    return int(cgt, 16) | int(ign, 16)


def ns_tid(host_tid: int) -> int | None:
    """The id thread `host_tid` has in its own (innermost) PID namespace: the last
    NSpid number in /proc/TID/status; None if it is gone or has no namespace."""
    ids = (_status_field(_status(host_tid), b"NSpid") or b"").split()
    return int(ids[-1]) if len(ids) > 1 else None


def detached_tmpfs(size: int, mode: int = 0o700) -> int:
    """A tmpfs of `size` bytes (0: tmpfs's own default, half the RAM) mounted nowhere:
    the O_PATH fd of its root; raises OSError.

    Mounted nosuid and nodev; it is freed when its last descriptor closes,
    so it cannot outlive the supervisor.  Inodes are bounded too (one per
    2 KiB of size, at least 16384), since empty files cost memory that
    `size` does not count.  Rootless, a short-lived child makes it in a user
    namespace of its own (csrc/host.c).
    """
    opts = f"mode={mode:o}"
    if size:
        opts += f",size={size},nr_inodes={max(size // 2048, 16384)}"
    return _detached_mount("tmpfs", opts)


def detached_devpts() -> int:
    """A devpts instance of the sandbox's own, mounted nowhere: the O_PATH-like fd of
    its root, holding `ptmx` and the slaves `N` of the ptys opened through it; raises
    OSError.  Its pty numbers start at 0 and no other pty of the host is in it."""
    return _detached_mount("devpts", "mode=620,ptmxmode=666")


def _detached_mount(fstype: str, options: str) -> int:
    r = lib.uh_detached_mount(fstype.encode(), options.encode(), int(not privileged()))
    if r < 0:
        raise OSError(-r, f"{fstype}: {os.strerror(-r)}")
    return r


def netns_socket(host_pid: int, family: int, type_: int, protocol: int = 0) -> int:
    """A socket of the supervisor's in the network namespace of guest process `host_pid`
    (close-on-exec); raises OSError.  Rootless, the guest's network namespace
    belongs to its user namespace, which the supervisor's uid owns: the socket is
    made by a child that enters that first, so that the supervisor may configure
    the guest's interfaces through it, and nothing else."""
    fds = []
    try:
        fds.append(os.open(f"/proc/{host_pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC))
        if not privileged():
            fds.append(os.open(f"/proc/{host_pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC))
        r = lib.uh_netns_socket(fds[1] if len(fds) > 1 else -1, fds[0], family, type_, protocol)
    finally:
        for fd in fds:
            os.close(fd)
    if r < 0:
        raise OSError(-r, f"a socket in the guest's network namespace: {os.strerror(-r)}")
    return r


def fd_path(fd: int) -> str:
    """A path that names the directory `fd` for this process's calls, also from
    other threads and from a child before it execs (for a mount that is mounted nowhere)."""
    return f"/proc/{os.getpid()}/fd/{fd}"
