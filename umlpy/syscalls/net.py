"""Socket syscalls: names are the guest's, bytes flow natively.

Guest processes live in a network namespace of their own (made at spawn):
only a loopback interface, so TCP/UDP between guest processes works
natively and nothing of the host's network, abstract unix sockets included,
is reachable.  Socket families are limited to unix, inet, inet6 and route
netlink (other netlink families, like uevents, are not namespaced).
Unix sockets bound to a *path* are the guest VFS's business: bind, connect
and sendto with a pathname are carried out by the supervisor on its own
duplicate of the guest's socket, at the host location the guest VFS chose.
"""
from __future__ import annotations

import errno
import os
import socket
import stat as S

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import (
    AF_INET,
    AF_INET6,
    AF_NETLINK,
    AF_UNIX,
    AT_FDCWD,
    NETLINK_ROUTE,
    SO_PEERCRED,
    SOL_SOCKET,
    UNIX_PATH_MAX,
)
from umlpy.abi.structs import SA_FAMILY, UCRED
from umlpy.kernel.fdpath import guest_fd, resolve_at
from umlpy.kernel.requests import Native, Wait
from umlpy.kernel.table import REWRITE, Ptr, UInt, syscall
from umlpy.platform.interface import ArgRule

NATIVE_FAMILIES = frozenset({AF_UNIX, AF_INET, AF_INET6})
SOCKADDR_UN_SIZE = SA_FAMILY.size + UNIX_PATH_MAX       # sizeof(struct sockaddr_un)


@syscall("socket", REWRITE, rule=ArgRule(0, NATIVE_FAMILIES, allow=True))
def socket_(task, domain: int, type_: int, protocol: int):
    """socket(2): unix, inet, inet6 and route netlink sockets only (in the sandbox's network)."""
    if domain == AF_NETLINK and protocol == NETLINK_ROUTE:
        return Native()          # `ip addr` and getifaddrs(): the sandbox's own interfaces
    raise KernelError(errno.EAFNOSUPPORT, f"address family {domain} (protocol {protocol}) "
                                          "is not available")


@syscall("socketpair", REWRITE, rule=ArgRule(0, frozenset({AF_UNIX}), allow=True))
def socketpair(task, domain: int, type_: int, protocol: int, sv: Ptr):
    """socketpair(2): unix socket pairs only."""
    raise KernelError(errno.EAFNOSUPPORT if domain != AF_UNIX else errno.EOPNOTSUPP)


@syscall("getsockopt", REWRITE, rule=ArgRule(2, frozenset({SO_PEERCRED}), allow=False))
def getsockopt(task, fd: int, level: int, name: int, val: Ptr, lenp: Ptr):
    """getsockopt(2): natively; SO_PEERCRED's pid is translated to a guest pid."""
    def back(r: int) -> int:
        if r != 0 or level != SOL_SOCKET:
            return r
        try:                                  # the host wrote min(optlen, 12) bytes: as many back
            got = min(int.from_bytes(task.read(lenp, 4), "little"), UCRED.size)
            if got <= 0:
                return r
            raw = task.read(val, got).ljust(UCRED.size, b"\0")
            pid, _uid, _gid = UCRED.unpack(raw)
            c = task.creds
            task.write(val, UCRED.pack(task.kernel.pidns.from_native(pid), c.euid, c.egid)[:got])
        except KernelError as e:
            return -e.errno
        return r
    return Native(then=back)


def _unix_path(task, addr: int, addrlen: int) -> str | None:
    """The pathname of a sockaddr_un, or None if it is not a pathname unix address."""
    if addr == 0 or addrlen < SA_FAMILY.size:
        return None
    raw = task.read(addr, min(addrlen, SOCKADDR_UN_SIZE))
    family = SA_FAMILY.unpack_from(raw)[0]
    if family != AF_UNIX or len(raw) <= 2 or raw[2] == 0:
        return None
    return os.fsdecode(raw[2:].split(b"\0", 1)[0])


def _is_unix_socket(task, fd: int) -> bool:
    """Is guest `fd` a unix socket?  If not, a unix address is the host kernel's to refuse
    (ENOTSOCK, EAFNOSUPPORT, EINVAL), which it does before looking at the path --
    and any path it did look at would be resolved in the guest's empty root."""
    with guest_fd(task, fd) as hfd:
        if not S.S_ISSOCK(os.fstat(hfd).st_mode):
            return False
        with socket.socket(fileno=os.dup(hfd)) as s:
            return s.family == socket.AF_UNIX


def _bind_target(task, path: str):
    """Where a new socket file for guest `path` goes: (lookup, host dir fd, name)."""
    lk = resolve_at(task, AT_FDCWD, path, follow=False)
    if lk.st is not None:
        raise KernelError(errno.EADDRINUSE)
    return (lk, *lk.mount.fs.mknod_socket_dir(lk.rel))


def _peer(task, path: str) -> int:
    """An O_PATH descriptor of the socket file guest `path` names.

    connect() and sendto() follow symlinks, so they are given the socket's
    inode itself (through /proc/self/fd/N), never a name a guest thread
    could swap for a symlink to a host socket between our check and use.
    """
    lk = resolve_at(task, AT_FDCWD, path)
    if lk.st is None:
        raise KernelError(errno.ENOENT)
    fd = lk.mount.fs.open(lk.rel, os.O_PATH | os.O_NOFOLLOW, 0)
    if not S.S_ISSOCK(os.fstat(fd).st_mode):
        os.close(fd)
        raise KernelError(errno.ECONNREFUSED)
    return fd


def _via_dir(task, fd: int, dirfd: int, name: str, op, *, keep_as: str | None = None) -> int:
    """Run `op(socket, alias)` on our duplicate of the guest's socket.

    The alias "/proc/self/fd/DIRFD/NAME" (bind) or "/proc/self/fd/FD" (the
    socket file itself, for connect and sendto) names it through the
    supervisor's own descriptors, so the host kernel never resolves a
    guest-controlled path.  A bound socket keeps that name (the
    kernel stores it), so for bind the directory fd stays open, keeping the
    alias unique, and the alias is remembered as the guest path `keep_as`.
    """
    path = f"/proc/self/fd/{dirfd}/{name}" if name else f"/proc/self/fd/{dirfd}"
    try:
        if len(os.fsencode(path)) > UNIX_PATH_MAX - 1:     # guest names are bytes, maybe not UTF-8
            raise KernelError(errno.ENAMETOOLONG)
        with guest_fd(task, fd) as hfd:
            s = socket.socket(fileno=os.dup(hfd))
            try:
                op(s, path)
            except OSError as e:
                raise KernelError(e.errno or errno.EIO)
            finally:
                os.close(s.detach())
    except BaseException:
        os.close(dirfd)
        raise
    if keep_as is not None:
        task.kernel.unix_names[path] = (keep_as, dirfd)
    else:
        os.close(dirfd)
    return 0


@syscall("bind", REWRITE)
def bind(task, fd: int, addr: Ptr, addrlen: UInt):
    """bind(2): unix pathnames are created in the guest VFS; other addresses natively."""
    path = _unix_path(task, addr, addrlen)
    if path is None or not _is_unix_socket(task, fd):
        return Native()
    lk, dirfd, name = _bind_target(task, path)
    task.kernel.report.wrote(path)
    r = _via_dir(task, fd, dirfd, name, lambda s, p: s.bind(p), keep_as=path)
    lk.mount.fs.adopt(lk.rel)            # the socket file: the supervisor made it
    return r


def _sockname(task, addr: int, lenp: int):
    """getsockname/getpeername: a unix socket bound by the guest shows its guest path."""
    if addr == 0 or lenp == 0:
        return Native()
    size = int.from_bytes(task.read(lenp, 4), "little")

    def back(r: int) -> int:
        if r != 0:
            return r
        try:
            got = int.from_bytes(task.read(lenp, 4), "little")
            raw = task.read(addr, min(got, size, SOCKADDR_UN_SIZE))
            if len(raw) > 2 and SA_FAMILY.unpack_from(raw)[0] == AF_UNIX and raw[2] != 0:
                alias = os.fsdecode(raw[2:].split(b"\0", 1)[0])
                known = task.kernel.unix_names.get(alias)
                if known is not None:
                    full = SA_FAMILY.pack(AF_UNIX) + os.fsencode(known[0]) + b"\0"
                    task.write(addr, full[:size])
                    task.write(lenp, len(full).to_bytes(4, "little"))
        except KernelError:
            pass
        return r
    return Native(then=back)


@syscall("getsockname", REWRITE)
def getsockname(task, fd: int, addr: Ptr, lenp: Ptr):
    """getsockname(2): natively; a unix pathname is shown as the guest path."""
    return _sockname(task, addr, lenp)


@syscall("getpeername", REWRITE)
def getpeername(task, fd: int, addr: Ptr, lenp: Ptr):
    """getpeername(2): natively; a unix pathname is shown as the guest path."""
    return _sockname(task, addr, lenp)


def _connect_once(s: socket.socket, alias: str) -> None:
    """connect() that fails with EAGAIN instead of waiting (the flag is put back)."""
    was = os.get_blocking(s.fileno())      # shared with the guest's own descriptor
    os.set_blocking(s.fileno(), False)
    try:
        s.connect(alias)
    finally:
        os.set_blocking(s.fileno(), was)


def _without_blocking(task, fd: int, attempt):
    """Run `attempt()` so that the supervisor never blocks for the guest.

    connect() to a listener whose backlog is full, or sendto() a full
    datagram queue, would block.  The attempt is made non-blocking; if the
    guest's socket is itself blocking and the attempt would block, the
    thread is parked (a Wait request) and the attempt retried until it goes
    through, as the guest's own blocking call would.
    """
    with guest_fd(task, fd) as hfd:
        guest_blocks = os.get_blocking(hfd)

    def once():
        try:
            return attempt()
        except KernelError as e:
            if e.errno == errno.EAGAIN and guest_blocks:
                return None                      # would block: keep waiting
            raise
    first = once()
    return first if first is not None else Wait(once)


@syscall("connect", REWRITE)
def connect(task, fd: int, addr: Ptr, addrlen: UInt):
    """connect(2): unix pathnames resolve in the guest VFS; other addresses natively."""
    path = _unix_path(task, addr, addrlen)
    if path is None or not _is_unix_socket(task, fd):
        return Native()

    def attempt():
        return _via_dir(task, fd, _peer(task, path), "", _connect_once)
    return _without_blocking(task, fd, attempt)


@syscall("sendto", REWRITE, rule=ArgRule(4, zero64=True, allow=True))
def sendto(task, fd: int, buf: Ptr, length: Ptr, flags: int, addr: Ptr, addrlen: UInt):
    """sendto(2): to a unix pathname, resolved in the guest VFS; otherwise natively."""
    path = _unix_path(task, addr, addrlen)
    if path is None or not _is_unix_socket(task, fd):
        return Native()
    data = task.read(buf, min(length, 1 << 20))

    def attempt():
        sent = []
        _via_dir(task, fd, _peer(task, path), "",
                 lambda s, p: sent.append(s.sendto(data, flags | socket.MSG_DONTWAIT, p)))
        return sent[0]
    return _without_blocking(task, fd, attempt)
