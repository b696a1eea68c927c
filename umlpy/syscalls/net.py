"""Socket syscalls: names are the guest's, bytes flow natively.

Guest processes live in a network namespace of their own (made at spawn):
only a loopback interface, so TCP/UDP between guest processes works
natively and nothing of the host's network, abstract unix sockets included,
is reachable.  Socket families are limited to unix, inet, inet6 and route
netlink (other netlink families, like uevents, are not namespaced).
Unix sockets bound to a *path* are the guest VFS's business: bind, connect
and sendto with a pathname are carried out by the supervisor on its own
duplicate of the guest's socket, at the host location the guest VFS chose.

What the host kernel writes back about another unix socket is in its own
terms: a sender bound to a path has the supervisor's alias for it as its
address, and SCM_CREDENTIALS carry the one host uid every guest runs as.
recvmsg and recvmmsg run natively for everyone, so each process gets a stop
filter (kernel/stopfilter.py) on just the unix sockets that may receive such
a name or such credentials, installed when it binds a datagram socket,
connects or sends to a path, or sets SO_PASSCRED; those stop, and the guest
kernel rewrites the name and the ids at the exit stop.  A sender's own
SCM_CREDENTIALS are checked by Linux's rules against its guest credentials.
"""
from __future__ import annotations

import errno
import os
import socket
import stat as S
import struct
import weakref
from collections import deque

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import (
    AF_INET,
    AF_INET6,
    AF_NETLINK,
    AF_UNIX,
    AT_FDCWD,
    CAP_NET_ADMIN,
    CAP_SETGID,
    CAP_SETUID,
    CAP_SYS_ADMIN,
    NETLINK_ROUTE,
    SO_PASSCRED,
    SO_PEERCRED,
    SOL_SOCKET,
    UNIX_PATH_MAX,
)
from umlpy.abi.numbers import NUMBERS
from umlpy.abi.structs import SA_FAMILY, UCRED
from umlpy.kernel import stopfilter
from umlpy.kernel.creds import capable
from umlpy.kernel.fdpath import dup_fd, guest_fd, resolve_at
from umlpy.kernel.requests import Inject, Native, Wait
from umlpy.kernel.table import NATIVE, REWRITE, Ptr, UInt, syscall
from umlpy.platform.interface import INJECT, ArgRule
from umlpy.syscalls import rtnetlink

NATIVE_FAMILIES = frozenset({AF_UNIX, AF_INET, AF_INET6})
SOCKADDR_UN_SIZE = SA_FAMILY.size + UNIX_PATH_MAX       # sizeof(struct sockaddr_un)


@syscall("socket", REWRITE, rule=ArgRule(0, NATIVE_FAMILIES, allow=True))
def socket_(task, domain: int, type_: int, protocol: int):
    """socket(2): unix, inet, inet6 and route netlink sockets only (in the sandbox's network)."""
    if domain == AF_NETLINK and protocol == NETLINK_ROUTE:
        if capable(task, CAP_NET_ADMIN):
            return rtnetlink.opened(task)   # its changes are guest root's (syscalls/rtnetlink.py)
        return Native()          # `ip addr` and getifaddrs(): the sandbox's own interfaces
    raise KernelError(errno.EAFNOSUPPORT, f"address family {domain} (protocol {protocol}) "
                                          "is not available")


@syscall("socketpair", REWRITE, rule=ArgRule(0, frozenset({AF_UNIX}), allow=True))
def socketpair(task, domain: int, type_: int, protocol: int, sv: Ptr):
    """socketpair(2): unix socket pairs only.

    Linux creates the first socket before it asks the family for a pair, so
    inet and inet6 fail the way socket() would (EINVAL, EPROTONOSUPPORT,
    ESOCKTNOSUPPORT) and then with EOPNOTSUPP: the host kernel says which,
    and makes no pair.  Families the sandbox has no socket() for are
    EAFNOSUPPORT, as for socket()."""
    if domain in (AF_INET, AF_INET6):
        return Native()
    raise KernelError(errno.EAFNOSUPPORT, f"socketpair: address family {domain} is not available")


# ------------------------------------------------------------- SO_PEERCRED
# A pathname connect() is made by the supervisor (see connect below), so the
# host kernel records the supervisor as the connecting peer.  The guest
# process it was made for is remembered by the connecting socket's inode;
# the accepting side finds that inode through sock_diag (UNIX_DIAG_PEER).
SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, NLMSG_ERROR = 20, 1, 2        # <linux/sock_diag.h>, <linux/netlink.h>
NETLINK_SOCK_DIAG, UDIAG_SHOW_PEER, UNIX_DIAG_PEER = 4, 0x4, 2    # <linux/unix_diag.h>
NLMSGHDR = struct.Struct("=IHHII")
UNIX_DIAG_REQ = struct.Struct("=BBHIIIII")
UNIX_DIAG_MSG = struct.Struct("=BBBBIII")
NO_CRED = 0xFFFFFFFF                  # cred_to_ucred() of a socket with no peer: uid and gid -1
CONNECTS_KEPT = 4096                  # remembered connects per sandbox, the oldest dropped first

_connects: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()     # kernel -> {inode: (pid, uid, gid)}
_diag: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()         # kernel -> sock_diag socket


def _remember_connect(task, s: socket.socket) -> None:
    """The guest process a supervisor-made connect() was for, by its socket's inode."""
    made = _connects.setdefault(task.kernel, {})
    made[os.fstat(s.fileno()).st_ino] = (task.process.pid, task.creds.euid, task.creds.egid)
    if len(made) > CONNECTS_KEPT:
        del made[next(iter(made))]


def _diag_socket(task):
    """A NETLINK_SOCK_DIAG socket in the sandbox's network namespace (unix_diag
    answers only about its own namespace's sockets): made once, by the guest
    thread at hand, and kept."""
    if task.kernel in _diag:
        return _diag[task.kernel]
    gfd = yield Inject(NUMBERS["socket"], (socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC,
                                           NETLINK_SOCK_DIAG))
    if gfd < 0:
        return None
    try:
        hfd = dup_fd(task, gfd)
    except KernelError:
        hfd = -1
    yield Inject(NUMBERS["close"], (gfd,))
    if hfd < 0:
        return None
    s = socket.socket(fileno=hfd)
    _diag[task.kernel] = s
    return s


def _peer_inode(diag: socket.socket, ino: int) -> int | None:
    """The inode of the socket connected to unix socket `ino` (UNIX_DIAG_PEER)."""
    req = UNIX_DIAG_REQ.pack(socket.AF_UNIX, 0, 0, 0xFFFFFFFF, ino, UDIAG_SHOW_PEER, 0xFFFFFFFF, 0xFFFFFFFF)
    try:
        diag.send(NLMSGHDR.pack(NLMSGHDR.size + len(req), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, 1, 0) + req)
        data = diag.recv(8192)
    except OSError:
        return None
    if len(data) < NLMSGHDR.size + UNIX_DIAG_MSG.size:
        return None
    _len, kind, _flags, _seq, _pid = NLMSGHDR.unpack_from(data)
    if kind == NLMSG_ERROR:
        return None
    at = NLMSGHDR.size + UNIX_DIAG_MSG.size
    while at + 4 <= len(data):
        alen, atype = struct.unpack_from("=HH", data, at)
        if alen < 4:
            break
        if atype == UNIX_DIAG_PEER and alen >= 8:
            return struct.unpack_from("=I", data, at + 4)[0]
        at += (alen + 3) & ~3
    return None


def _guest_ucred(task, hfd: int, s: socket.socket, diag: socket.socket | None) -> tuple[int, int, int]:
    """The guest's view of a socket's SO_PEERCRED."""
    hpid, huid, hgid = UCRED.unpack(s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, UCRED.size))
    if hpid == 0:                                   # no peer credentials (unconnected, inet, ...)
        return (0, NO_CRED, NO_CRED) if huid == NO_CRED else (0, huid, hgid)
    if hpid == os.getpid():                         # a connect() the supervisor made for a guest
        made = _connects.get(task.kernel, {})
        peer = _peer_inode(diag, os.fstat(hfd).st_ino) if diag is not None else None
        if peer in made:
            return made[peer]
        return 0, task.creds.euid, task.creds.egid
    ns = task.kernel.pidns
    pid = ns.to_guest(hpid)
    peer_task = ns.task(pid) if pid else None
    c = peer_task.creds if peer_task is not None else task.creds    # a peer gone: the caller's, as before
    return pid, c.euid, c.egid


@syscall("getsockopt", REWRITE, rule=ArgRule(2, frozenset({SO_PEERCRED}), allow=False))
def getsockopt(task, fd: int, level: int, name: int, val: Ptr, lenp: Ptr):
    """getsockopt(2): natively; SO_PEERCRED shows the peer as the guest knows it (pid, uid, gid)."""
    if level != SOL_SOCKET:
        return Native()
    return _peercred(task, fd, val, lenp)


def _peercred(task, fd: int, val: int, lenp: int):
    """SO_PEERCRED: "the credentials of the peer process connected to this socket",
    written as min(optlen, sizeof(struct ucred)) bytes, optlen updated."""
    with guest_fd(task, fd) as hfd:
        if not S.S_ISSOCK(os.fstat(hfd).st_mode):
            raise KernelError(errno.ENOTSOCK)
        size = int.from_bytes(task.read(lenp, 4), "little", signed=True)
        if size < 0:
            raise KernelError(errno.EINVAL, "SO_PEERCRED: negative optlen")
        with socket.socket(fileno=os.dup(hfd)) as s:
            hpid = UCRED.unpack(s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, UCRED.size))[0]
            if hpid == os.getpid() and task.kernel not in _diag:
                return _peercred_after_diag(task, fd, val, lenp)     # a sock_diag socket first
            cred = _guest_ucred(task, hfd, s, _diag.get(task.kernel))
    got = min(size, UCRED.size)
    task.write(val, UCRED.pack(*cred)[:got])
    task.write(lenp, got.to_bytes(4, "little"))
    return 0


def _peercred_after_diag(task, fd: int, val: int, lenp: int):
    yield from _diag_socket(task)
    if task.kernel not in _diag:
        _diag[task.kernel] = None          # none to be had: do not try again
    return _peercred(task, fd, val, lenp)


def _unix_path(task, addr: int, addrlen: int) -> str | None:
    """The pathname of a sockaddr_un, or None if it is not a pathname unix address."""
    if addr == 0 or addrlen < SA_FAMILY.size:
        return None
    if addrlen > SOCKADDR_UN_SIZE:
        return None         # longer than a sockaddr_un: the host's EINVAL, before any path lookup
    raw = task.read(addr, addrlen)
    family = SA_FAMILY.unpack_from(raw)[0]
    if family != AF_UNIX or len(raw) <= 2 or raw[2] == 0:
        return None
    return os.fsdecode(raw[2:].split(b"\0", 1)[0])


def _is_unix_socket(task, fd: int) -> bool:
    """Is guest `fd` a unix socket?  If not, a unix address is the host kernel's to refuse
    (ENOTSOCK, EAFNOSUPPORT, EINVAL), which it does before looking at the path --
    and any path it did look at would be resolved in the guest's empty root."""
    return _unix_type(task, fd) is not None


def _unix_type(task, fd: int) -> int | None:
    """The type (SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET) of guest `fd` if it is a unix
    socket, else None."""
    with guest_fd(task, fd) as hfd:
        if not S.S_ISSOCK(os.fstat(hfd).st_mode):
            return None
        with socket.socket(fileno=os.dup(hfd)) as s:
            return s.type if s.family == socket.AF_UNIX else None


def _unix_family(task, addr: int, addrlen: int) -> bool:
    """Is the address at `addr` an AF_UNIX one (of any kind)?"""
    if addr == 0 or addrlen < SA_FAMILY.size:
        return False
    try:
        return SA_FAMILY.unpack(task.read(addr, SA_FAMILY.size))[0] == AF_UNIX
    except KernelError:
        return False


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
    """bind(2): unix pathnames are created in the guest VFS; other addresses natively.
    A unix datagram socket, once bound, may receive from senders bound to a path: its
    recvmsg stops from now on (see "recvmsg" below)."""
    path = _unix_path(task, addr, addrlen)
    if path is None:
        if _unix_family(task, addr, addrlen) and _unix_type(task, fd) == socket.SOCK_DGRAM \
                and _may_watch(task, fd):
            return _watch_then_run(task, fd)          # an abstract name, or autobind
        return Native()
    kind = _unix_type(task, fd)
    if kind is None:
        return Native()
    lk, dirfd, name = _bind_target(task, path)
    task.kernel.report.wrote(path)
    r = _via_dir(task, fd, dirfd, name, lambda s, p: s.bind(p), keep_as=path)
    lk.mount.fs.adopt(lk.rel)            # the socket file: the supervisor made it
    return _then_watch(task, fd, r) if kind == socket.SOCK_DGRAM else r


def _guest_name(task, addr: int, lenp: int, size: int, got: int | None = None) -> None:
    """Show the unix address the host wrote at `addr` as the guest named it.

    A socket bound through the supervisor is known to the host by its alias
    ("/proc/self/fd/N/NAME"); the guest bound, and must see, its own path.
    As Linux does, at most `size` bytes (the caller's buffer) are written and
    *lenp says how long the whole address is (`got`: what the host wrote there,
    if the caller has read it)."""
    try:
        if got is None:
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


def _sockname(task, addr: int, lenp: int):
    """getsockname/getpeername: a unix socket bound by the guest shows its guest path."""
    if addr == 0 or lenp == 0:
        return Native()
    size = int.from_bytes(task.read(lenp, 4), "little")

    def back(r: int) -> int:
        if r == 0:
            _guest_name(task, addr, lenp, size)
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

    def made(s: socket.socket, alias: str) -> None:
        _connect_once(s, alias)
        _remember_connect(task, s)          # for the accepting side's SO_PEERCRED

    def attempt():
        return _via_dir(task, fd, _peer(task, path), "", made)
    return _then_watch(task, fd, _without_blocking(task, fd, attempt))


@syscall("sendto", REWRITE, rule=ArgRule(4, zero64=True, allow=True))
def sendto(task, fd: int, buf: Ptr, length: Ptr, flags: int, addr: Ptr, addrlen: UInt):
    """sendto(2): to a unix pathname, resolved in the guest VFS; a change to the sandbox's
    network by guest root (syscalls/rtnetlink.py); otherwise natively."""
    if fd in task.process.rtnetlink_stops[0] or rtnetlink.is_kernel_address(task, addr, addrlen):
        r = rtnetlink.sendto(task, fd, buf, length, addr, addrlen)
        if r is not None:
            return r
    path = _unix_path(task, addr, addrlen)
    if path is None or not _is_unix_socket(task, fd):
        return Native()
    data = task.read(buf, min(length, 1 << 20))

    def attempt():
        sent = []
        _via_dir(task, fd, _peer(task, path), "",
                 lambda s, p: sent.append(_send_as(task, s, data, flags | socket.MSG_DONTWAIT, p)))
        return sent[0]
    return _then_watch(task, fd, _without_blocking(task, fd, attempt))    # replies may come back


_cannot_claim: weakref.WeakSet = weakref.WeakSet()      # kernels whose supervisor may not claim a guest's pid


def _send_as(task, s: socket.socket, data: bytes, flags: int, alias: str) -> int:
    """sendto() on the guest's behalf, carrying the guest's credentials.

    The datagram is the supervisor's send, so a receiver with SO_PASSCRED
    would see the supervisor (pid 0 in the guest's namespace).  Its
    credentials are given explicitly instead, as the sending process's own
    (its host pid and ids, which the receiver sees translated into its
    namespace).  Only a supervisor with CAP_SYS_ADMIN over the host's PID
    namespace may claim another pid: as an ordinary user the datagram goes
    out with the supervisor's."""
    if task.kernel not in _cannot_claim:
        try:
            st = os.stat(f"/proc/{task.process.host_pid}")
            cred = UCRED.pack(task.process.host_pid, st.st_uid, st.st_gid)
            return s.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, cred)], flags, alias)
        except PermissionError:
            _cannot_claim.add(task.kernel)
        except FileNotFoundError:
            pass
    return s.sendto(data, flags, alias)


@syscall("recvfrom", REWRITE, rule=ArgRule(4, zero64=True, allow=True))
def recvfrom(task, fd: int, buf: Ptr, length: Ptr, flags: int, addr: Ptr, lenp: Ptr):
    """recvfrom(2): natively; a unix sender bound to a pathname is shown by its guest path.

    Only calls that ask for the sender's address stop (the filter lets the
    others run), and only unix sockets wait for the result."""
    return _peer_by_guest_name(task, fd, addr, lenp)


def _peer_by_guest_name(task, fd: int, addr: int, lenp: int):
    """Run natively; then, for a unix socket, rewrite the peer address it returned
    (the supervisor's alias of a pathname) to the peer's guest path."""
    if addr == 0 or lenp == 0 or not _is_unix_socket(task, fd):
        return Native()
    size = int.from_bytes(task.read(lenp, 4), "little")

    def back(r: int) -> int:
        if r >= 0:
            _guest_name(task, addr, lenp, size)
        return r
    return Native(then=back)


@syscall("accept", REWRITE, rule=ArgRule(1, zero64=True, allow=True))
def accept(task, fd: int, addr: Ptr, lenp: Ptr):
    """accept(2): natively; a unix peer bound to a pathname is shown by its guest path."""
    return _peer_by_guest_name(task, fd, addr, lenp)


@syscall("accept4", REWRITE, rule=ArgRule(1, zero64=True, allow=True))
def accept4(task, fd: int, addr: Ptr, lenp: Ptr, flags: int):
    """accept4(2): natively; a unix peer bound to a pathname is shown by its guest path."""
    return _peer_by_guest_name(task, fd, addr, lenp)


# ------------------------------------------------------------- sendmsg
MSGHDR = struct.Struct("=QI4xQQQQi4x")        # struct msghdr on x86-64
IOVEC = struct.Struct("=QQ")
CMSGHDR = struct.Struct("=Qii")
SCM_RIGHTS, SCM_CREDENTIALS = 1, 2
SENDMSG_MAX = 1 << 20                          # bytes of one emulated datagram (SO_SNDBUF caps it anyway)
UIO_MAXIOV = 1024


def _note_refused(task, fd: int, raw: bytes) -> None:
    """One `denied:` line when the guest kernel sees a datagram to a destination the policy
    refuses (sendmsg stops anyway).  The call itself still runs natively: the nftables rules
    refuse the packet the way they refuse every other, so the guest sees the same result."""
    family = SA_FAMILY.unpack_from(raw)[0]
    try:
        if family == AF_INET and len(raw) >= 8:
            port, addr = struct.unpack_from("!H", raw, 2)[0], socket.inet_ntop(socket.AF_INET, raw[4:8])
        elif family == AF_INET6 and len(raw) >= 24:
            port, addr = struct.unpack_from("!H", raw, 2)[0], socket.inet_ntop(socket.AF_INET6, raw[8:24])
        else:
            return
        with guest_fd(task, fd) as hfd, socket.socket(fileno=os.dup(hfd)) as s:
            proto = "tcp" if s.type == socket.SOCK_STREAM else "udp"
    except (OSError, KernelError, ValueError):
        return
    why = task.kernel.network.refusal(addr, port, proto)
    if why is not None:
        line = f"sendmsg to {addr}:{port}/{proto} refused by {why}"
        task.kernel.report.add_denied(line)
        if task.kernel.config.log_denied is not None:
            task.kernel.config.log_denied.write(f"umlpy: denied: {line}\n")


def _gather(task, iov: int, iovlen: int) -> bytes:
    if iovlen > UIO_MAXIOV:
        raise KernelError(errno.EMSGSIZE)
    parts, total = [], 0
    for i in range(iovlen):
        base, n = IOVEC.unpack(task.read(iov + i * IOVEC.size, IOVEC.size))
        n = min(n, SENDMSG_MAX - total)
        if n:
            parts.append(task.read(base, n))
            total += n
    return b"".join(parts)


def _host_control(task, control: bytes, claim: tuple[int, int, int] | None) -> tuple[list, list[int]]:
    """The guest's control messages for a host sendmsg the supervisor makes: SCM_RIGHTS
    with our duplicates of the guest's fds, SCM_CREDENTIALS as the host must see the
    (checked) `claim`: the claimed process's host pid, the guest's host ids (the host
    kernel translates them for the receiver).  Returns (ancillary, fds to close)."""
    out, opened, at = [], [], 0
    while at + CMSGHDR.size <= len(control):
        length, level, kind = CMSGHDR.unpack_from(control, at)
        if length < CMSGHDR.size or at + length > len(control):
            raise KernelError(errno.EINVAL, "sendmsg: a bad cmsg_len")
        data = control[at + CMSGHDR.size: at + length]
        if level == socket.SOL_SOCKET and kind == SCM_RIGHTS:
            fds = []
            for (gfd,) in struct.iter_unpack("=i", data[: len(data) // 4 * 4]):
                fds.append(dup_fd(task, gfd))
                opened.append(fds[-1])
            out.append((level, kind, struct.pack(f"={len(fds)}i", *fds)))
        elif level == socket.SOL_SOCKET and kind == SCM_CREDENTIALS:
            if claim is not None and task.kernel not in _cannot_claim:
                host_pid = task.kernel.pidns.to_host(claim[0]) or task.process.host_pid
                out.append((level, kind, UCRED.pack(host_pid, *_host_ids(task))))
        else:
            out.append((level, kind, data))
        at += (length + 7) & ~7
    return out, opened


@syscall("sendmsg", REWRITE)
def sendmsg(task, fd: int, msg: Ptr, flags: int):
    """sendmsg(2): to a unix pathname in msg_name, resolved in the guest VFS and sent by the
    supervisor on the guest's socket (as sendto); SCM_CREDENTIALS checked against the
    sender's guest credentials; a change to the sandbox's network by guest root sent by
    the supervisor (syscalls/rtnetlink.py); everything else natively.

    sendmsg cannot be told apart by seccomp (msg_name is in guest memory), so every call
    stops: see docs/design.md, "Network", for what that costs."""
    if msg == 0:
        return Native()
    _put_back_claim(task)
    name, namelen, iov, iovlen, control, controllen, _ = MSGHDR.unpack(task.read(msg, MSGHDR.size))
    if fd in task.process.rtnetlink_stops[0] or rtnetlink.is_kernel_address(task, name, namelen):
        r = rtnetlink.sendmsg(task, fd, name, namelen, iov, iovlen)      # guest root's network changes
        if r is not None:
            return r
    if name and namelen >= SA_FAMILY.size and task.kernel.network is not None:
        _note_refused(task, fd, task.read(name, min(namelen, 28)))
    path = _unix_path(task, name, namelen) if name else None
    raw = task.read(control, min(controllen, 1 << 16)) if control and controllen else b""
    creds = _cred_cmsgs(raw)
    if (path is None and not creds) or not _is_unix_socket(task, fd):
        return Native()
    claim = _check_claims(task, creds)
    if path is None:
        return _send_claiming(task, control, raw, creds, claim)
    data = _gather(task, iov, iovlen)

    def attempt():
        sent = []

        def op(s: socket.socket, alias: str) -> None:
            anc, opened = _host_control(task, raw, claim)
            try:
                if not anc and claim is None:
                    sent.append(_send_as(task, s, data, flags | socket.MSG_DONTWAIT, alias))
                    return
                sent.append(s.sendmsg([data], anc, flags | socket.MSG_DONTWAIT, alias))
            except PermissionError:          # we may not claim the guest's pid (rootless): none
                _cannot_claim.add(task.kernel)
                anc = [a for a in anc if a[1] != SCM_CREDENTIALS]
                sent.append(s.sendmsg([data], anc, flags | socket.MSG_DONTWAIT, alias))
            finally:
                for h in opened:
                    os.close(h)
        _via_dir(task, fd, _peer(task, path), "", op)
        if claim is not None and task.kernel not in _cannot_claim:
            _note_claim(task, claim[0], claim)
        return sent[0]
    return _then_watch(task, fd, _without_blocking(task, fd, attempt))


# ------------------------------------------------------------- credentials
# SCM_CREDENTIALS is struct ucred {pid, uid, gid}.  A sender may attach its own, and Linux
# checks them (scm_check_creds, net/core/scm.c): the pid is the sender's (or CAP_SYS_ADMIN),
# the uid its real, effective or saved uid (or CAP_SETUID), the gid alike (or CAP_SETGID);
# with none attached, af_unix fills in the sender's pid and *real* uid and gid
# (current_uid_gid) when the sender or receiver has SO_PASSCRED.  The receiver sees them
# only if it has SO_PASSCRED itself.  The host knows each guest by one uid, so the guest
# kernel checks a claim by the guest's credentials, hands the host the claimer's own pid
# and host ids, and remembers the claim (by the pid the receiver will see) for the
# receiver's recvmsg to show; a message without a remembered claim shows its sender's
# real guest uid and gid, as the sender has them when the message is read.
OVERFLOW_ID = 65534                 # /proc/sys/kernel/overflowuid: an id with no name here
CLAIMS_PER_PID = 64
CLAIMING_PIDS = 1024
UCRED_CMSG_LEN = CMSGHDR.size + UCRED.size          # CMSG_LEN(sizeof(struct ucred))

_claims: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()    # kernel -> {pid: deque of ucred}
_host_id_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()   # kernel -> (uid, gid)
_rewritten: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # task -> (addr, guest's, ours)


def _host_ids(task) -> tuple[int, int]:
    """The host uid and gid every guest process runs as (the same number in the guest's
    user namespace and in ours: the map is the identity for that one id)."""
    ids = _host_id_cache.get(task.kernel)
    if ids is None:
        uid = gid = None
        with open(f"/proc/{task.process.host_pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"Uid:"):
                    uid = int(line.split()[1])
                elif line.startswith(b"Gid:"):
                    gid = int(line.split()[1])
        ids = _host_id_cache[task.kernel] = (uid if uid is not None else task.kernel.host_uid,
                                             gid if gid is not None else task.kernel.host_uid)
    return ids


def _cred_cmsgs(control: bytes) -> list[tuple[int, int, int, int]]:
    """(offset of the ucred, pid, uid, gid) of each well-formed SCM_CREDENTIALS in `control`;
    a malformed list is left to the host to refuse (EINVAL)."""
    out, at = [], 0
    while at + CMSGHDR.size <= len(control):
        length, level, kind = CMSGHDR.unpack_from(control, at)
        if length < CMSGHDR.size or at + length > len(control):
            return []
        if level == SOL_SOCKET and kind == SCM_CREDENTIALS and length == UCRED_CMSG_LEN:
            out.append((at + CMSGHDR.size, *UCRED.unpack_from(control, at + CMSGHDR.size)))
        at += (length + 7) & ~7
    return out


def _check_claims(task, creds: list[tuple[int, int, int, int]]) -> tuple[int, int, int] | None:
    """Each SCM_CREDENTIALS the sender attached, checked as __scm_send does; the last one
    is the message's (pid, uid, gid), or None if it attached none."""
    c = task.creds
    claim = None
    for _, pid, uid, gid in creds:
        if uid == 0xFFFFFFFF or gid == 0xFFFFFFFF:
            raise KernelError(errno.EINVAL, "SCM_CREDENTIALS: an invalid uid or gid")
        if not ((pid == task.process.pid or capable(task, CAP_SYS_ADMIN))
                and (uid in (c.ruid, c.euid, c.suid) or capable(task, CAP_SETUID))
                and (gid in (c.rgid, c.egid, c.sgid) or capable(task, CAP_SETGID))):
            raise KernelError(errno.EPERM, f"SCM_CREDENTIALS {pid}/{uid}/{gid} are not the sender's")
        if pid != task.process.pid and _process(task, pid) is None:
            raise KernelError(errno.ESRCH, f"SCM_CREDENTIALS: no process {pid}")
        claim = (pid, uid, gid)
    return claim


def _send_claiming(task, control: int, raw: bytes, creds, claim: tuple[int, int, int]):
    """A native sendmsg whose SCM_CREDENTIALS are rewritten, in the sender's buffer, to what
    the host allows it (its own pid and host ids) for the call, and put back after it."""
    own = task.kernel.pidns.to_native(task.process.pid) or task.process.pid
    ours = bytearray(raw)
    for at, _pid, _uid, _gid in creds:
        UCRED.pack_into(ours, at, own, *_host_ids(task))
    try:
        task.write(control, bytes(ours))
    except KernelError:
        return Native()                         # a read-only buffer: the host judges it as it is
    _rewritten[task] = (control, raw, bytes(ours))
    _note_claim(task, task.process.pid, claim)

    def back(r: int) -> int:
        _put_back_claim(task)
        if r < 0:
            _drop_claim(task, task.process.pid)
        return r
    return Native(then=back)


def _put_back_claim(task) -> None:
    """Put back the guest's own SCM_CREDENTIALS after `_send_claiming` (also when the call
    was restarted, which skips `back`, and the guest's next sendmsg comes first)."""
    done = _rewritten.pop(task, None)
    if done is None:
        return
    addr, guests, ours = done
    try:
        if task.read(addr, len(ours)) == ours:
            task.write(addr, guests)
    except KernelError:
        pass


def _process(task, pid: int):
    """The guest process (or the thread's) of id `pid`, a zombie too; None once reaped."""
    ns = task.kernel.pidns
    proc = ns.processes.get(pid)
    if proc is None:
        t = ns.task(pid)
        proc = t.process if t is not None else None
    return proc


def _default_creds(task, pid: int) -> tuple[int, int, int]:
    """What a message from guest process `pid` shows with no claim: its real uid and gid."""
    sender = _process(task, pid)
    if sender is None:
        return pid, OVERFLOW_ID, OVERFLOW_ID        # reaped before its message was read
    c = sender.creds
    return pid, c.ruid, c.rgid


def _note_claim(task, pid: int, claim: tuple[int, int, int] | None) -> None:
    """Remember what a message the host carries with pid `pid` is to show (also when it
    is what the receiver would show anyway: the sender may be reaped by then)."""
    if claim is None:
        return
    by_pid = _claims.setdefault(task.kernel, {})
    if pid not in by_pid:
        if len(by_pid) >= CLAIMING_PIDS:
            del by_pid[next(iter(by_pid))]
        by_pid[pid] = deque(maxlen=CLAIMS_PER_PID)
    by_pid[pid].append(claim)


def _drop_claim(task, pid: int) -> None:
    pending = _claims.get(task.kernel, {}).get(pid)
    if pending:
        pending.pop()


def _shown_creds(task, pid: int, uid: int, gid: int, peek: bool) -> tuple[int, int, int]:
    """The ucred a guest receiver sees for one the host delivered."""
    if pid == 0:
        # No credentials (the ids are the overflow id already), the kernel (netlink: root),
        # or a sender outside the guest's PID namespace: the supervisor, when it sent for a
        # guest and could not claim its pid (rootless), whose ids are the guests' host ids.
        return (0, OVERFLOW_ID, OVERFLOW_ID) if (uid, gid) == _host_ids(task) else (0, uid, gid)
    ns = task.kernel.pidns
    gpid = ns.from_native(pid)
    pending = _claims.get(task.kernel, {}).get(gpid)
    if pending:
        cpid, uid, gid = pending[0] if peek else pending.popleft()
    else:
        cpid, uid, gid = _default_creds(task, gpid)
    return ns.to_native(cpid) or pid, uid, gid


# ------------------------------------------------------------- recvmsg
# recvmsg and recvmmsg run natively (syscalls/linux64.py) except on the unix sockets a
# stop filter watches: those that may receive a pathname sender's name (a datagram socket
# once bound, a socket that connected or sent to a path) or credentials (SO_PASSCRED).
# A filter is installed once per fd number per process, in every thread (TSYNC); children
# inherit it (Process.recvmsg_stops says what a process has) and execve keeps it.  It
# cannot be taken back, so a number reused for, say, a TCP socket still stops; the
# handler's rewrites only touch unix names and SCM_CREDENTIALS, so that costs time only.
# A stream socket with SO_PASSCRED that listens has accepted sockets that inherit the flag
# under numbers not known yet: then every recvmsg of the process stops (so the filter of
# an unconnected one makes its listen stop too).  After MAX_LAYERS filters in one process
# the last one covers every fd.
# Not followed: a watched socket dup'ed to another number (dup* run natively) or passed
# to another process over a unix socket; a socketpair end whose peer binds a path later.
RECV_CALLS = ("recvmsg", "recvmmsg")
MAX_LAYERS = 8
MSG_PEEK = 2
MMSGHDR_SIZE = MSGHDR.size + 8                 # struct mmsghdr: the msghdr, msg_len, padding

def _may_watch(task, fd: int, every: bool = False, listen: bool = False) -> bool:
    """Would `_watch` install anything?  (Not in strict mode, where every call stops.)"""
    k = task.kernel
    if k.config.strict or INJECT not in k.platform.capabilities:
        return False
    fds, all_fds, _, listens = task.process.recvmsg_stops
    return not all_fds and (every or fd not in fds or listen and fd not in listens)


def _watch(task, fd: int, *, every: bool = False, listen: bool = False):
    """Make recvmsg and recvmmsg on `fd` (on every fd, if `every`; and listen on `fd`, if
    `listen`) stop in the caller's process from now on: a generator of Inject requests.  If
    the filter cannot be installed, the calls stay native and show what the host wrote."""
    if not _may_watch(task, fd, every, listen):
        return
    fds, _, layers, listens = task.process.recvmsg_stops
    every = every or layers + 1 >= MAX_LAYERS
    calls = RECV_CALLS + ("listen",) if listen else RECV_CALLS
    prog = stopfilter.program(RECV_CALLS) if every else stopfilter.program(on_fds={c: [fd] for c in calls})
    try:
        synced = yield from stopfilter.install(task, prog, "unix recvmsg", every_thread=True)
    except KernelError:
        return
    if synced:                  # this thread alone: a later call here installs again
        task.process.recvmsg_stops = (fds | {fd}, every, layers + 1, listens | ({fd} if listen else set()))


def _then_watch(task, fd: int, result, *, every: bool = False):
    """A handler's answer `result`, after `_watch` when the call succeeded with a result."""
    if not isinstance(result, int) or result < 0 or not _may_watch(task, fd, every):
        return result
    return _watching(task, fd, result, every)


def _watching(task, fd: int, result: int, every: bool):
    yield from _watch(task, fd, every=every)
    return result


def _watch_then_run(task, fd: int, every: bool = False, listen: bool = False):
    """`_watch`, then the caller's own call, run in its context as it was made."""
    yield from _watch(task, fd, every=every, listen=listen)
    call = task.call
    return (yield Inject(call.nr, call.args))


@syscall("setsockopt", REWRITE, rule=ArgRule(2, frozenset({SO_PASSCRED}), allow=False))
def setsockopt(task, fd: int, level: int, name: int, val: Ptr, optlen: UInt):
    """setsockopt(2): natively; SO_PASSCRED on a unix socket makes its recvmsg stop first,
    so that the credentials it receives name guest ids.  A stream socket may become a
    listener, whose accepted sockets inherit the flag: its listen stops too (see `listen`)."""
    if level != SOL_SOCKET or name != SO_PASSCRED or optlen < 4:
        return Native()
    try:
        on = task.read(val, 4) != b"\0\0\0\0"
        if not on:
            return Native()
        with guest_fd(task, fd) as hfd:
            if not S.S_ISSOCK(os.fstat(hfd).st_mode):
                return Native()
            with socket.socket(fileno=os.dup(hfd)) as s:
                if s.family != socket.AF_UNIX:
                    return Native()
                stream = s.type != socket.SOCK_DGRAM
                every = stream and bool(s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
                listen = stream and not every and not _connected(s)
    except KernelError:
        return Native()                                 # the host's EFAULT or EBADF
    if not _may_watch(task, fd, every, listen):
        return Native()
    return _watch_then_run(task, fd, every, listen)


@syscall("listen", NATIVE)
def listen(task, fd: int, backlog: int):
    """listen(2) of a unix socket with SO_PASSCRED: the sockets it accepts have the flag too,
    under fd numbers not known yet, so from now on every recvmsg of the process stops."""
    if not _may_watch(task, fd, every=True):
        return Native()
    try:
        with guest_fd(task, fd) as hfd, socket.socket(fileno=os.dup(hfd)) as s:
            if s.family != socket.AF_UNIX or not s.getsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED):
                return Native()
    except (KernelError, OSError):
        return Native()                                 # the host's EBADF or ENOTSOCK
    return _watch_then_run(task, fd, every=True)


def _connected(s: socket.socket) -> bool:
    try:
        s.getpeername()
        return True
    except OSError:
        return False


@syscall("recvmsg", NATIVE)
def recvmsg(task, fd: int, msg: Ptr, flags: int):
    """recvmsg(2) of a unix socket: a sender bound to a path is named by its guest path,
    and SCM_CREDENTIALS by the sender's guest ids."""
    if msg == 0:
        return Native()
    try:
        hdr = MSGHDR.unpack(task.read(msg, MSGHDR.size))
    except KernelError:
        return Native()                                 # the host's EFAULT
    if not _asks(hdr):
        return Native()                                 # nothing to rewrite: no exit stop

    def back(r: int) -> int:
        if r >= 0:
            _guest_view(task, msg, hdr, flags)
        return r
    return Native(then=back)


@syscall("recvmmsg", NATIVE)
def recvmmsg(task, fd: int, vec: Ptr, vlen: UInt, flags: int):
    """recvmmsg(2) of a unix socket: each message received as recvmsg(2) shows it."""
    if vec == 0 or vlen == 0:
        return Native()
    n = min(vlen, UIO_MAXIOV)
    try:
        raw = task.read(vec, n * MMSGHDR_SIZE)
    except KernelError:
        return Native()
    hdrs = [MSGHDR.unpack_from(raw, i * MMSGHDR_SIZE) for i in range(n)]
    if not any(_asks(h) for h in hdrs):
        return Native()

    def back(r: int) -> int:
        for i in range(max(0, min(r, n))):
            _guest_view(task, vec + i * MMSGHDR_SIZE, hdrs[i], flags)
        return r
    return Native(then=back)


def _asks(hdr: tuple) -> bool:
    """Does a msghdr ask for the sender's name or for control messages?"""
    name, namelen, _iov, _iovlen, control, controllen, _ = hdr
    return bool(name and namelen or control and controllen)


def _guest_view(task, msg: int, hdr: tuple, flags: int) -> None:
    """After a unix recvmsg: msg_name and each SCM_CREDENTIALS as the guest must see them
    (the guest's msghdr at `msg`, `hdr` its fields as the call was made)."""
    name, namelen, _iov, _iovlen, control, controllen, _ = hdr
    try:
        _, name_got, _, _, _, control_got, _ = MSGHDR.unpack(task.read(msg, MSGHDR.size))   # as written
    except KernelError:
        return
    if name and namelen and name_got:
        _guest_name(task, name, msg + 8, namelen, name_got)         # msg_namelen: an int at offset 8
    if not control or not controllen or not control_got:
        return
    try:
        raw = task.read(control, min(control_got, controllen, 1 << 16))
    except KernelError:
        return
    for at, pid, uid, gid in _cred_cmsgs(raw):
        shown = _shown_creds(task, pid, uid, gid, peek=bool(flags & MSG_PEEK))
        if shown != (pid, uid, gid):
            try:
                task.write(control + at, UCRED.pack(*shown))
            except KernelError:
                return
