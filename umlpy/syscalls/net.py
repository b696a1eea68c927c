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
import struct
import weakref

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
from umlpy.abi.numbers import NUMBERS
from umlpy.kernel.fdpath import dup_fd, guest_fd, resolve_at
from umlpy.kernel.requests import Inject, Native, Wait
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


def _guest_name(task, addr: int, lenp: int, size: int) -> None:
    """Show the unix address the host wrote at `addr` as the guest named it.

    A socket bound through the supervisor is known to the host by its alias
    ("/proc/self/fd/N/NAME"); the guest bound, and must see, its own path.
    As Linux does, at most `size` bytes (the caller's buffer) are written and
    *lenp says how long the whole address is."""
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
                 lambda s, p: sent.append(_send_as(task, s, data, flags | socket.MSG_DONTWAIT, p)))
        return sent[0]
    return _without_blocking(task, fd, attempt)


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


def _host_control(task, control: bytes) -> tuple[list, list[int]]:
    """The guest's control messages for a host sendmsg: SCM_RIGHTS with our duplicates
    of the guest's fds, SCM_CREDENTIALS with the sender's host pid and ids (the host
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
            st = os.stat(f"/proc/{task.process.host_pid}")
            out.append((level, kind, UCRED.pack(task.process.host_pid, st.st_uid, st.st_gid)))
        else:
            out.append((level, kind, data))
        at += (length + 7) & ~7
    return out, opened


@syscall("sendmsg", REWRITE)
def sendmsg(task, fd: int, msg: Ptr, flags: int):
    """sendmsg(2): to a unix pathname in msg_name, resolved in the guest VFS and sent by the
    supervisor on the guest's socket (as sendto); everything else natively.

    sendmsg cannot be told apart by seccomp (msg_name is in guest memory), so every call
    stops: see docs/design.md, "Network", for what that costs."""
    if msg == 0:
        return Native()
    name, namelen, iov, iovlen, control, controllen, _ = MSGHDR.unpack(task.read(msg, MSGHDR.size))
    if name and namelen >= SA_FAMILY.size and task.kernel.network is not None:
        _note_refused(task, fd, task.read(name, min(namelen, 28)))
    path = _unix_path(task, name, namelen) if name else None
    if path is None or not _is_unix_socket(task, fd):
        return Native()
    data = _gather(task, iov, iovlen)
    raw = task.read(control, min(controllen, 1 << 16)) if control and controllen else b""

    def attempt():
        sent = []

        def op(s: socket.socket, alias: str) -> None:
            anc, opened = _host_control(task, raw)
            try:
                if not any(kind == SCM_CREDENTIALS for _, kind, _ in anc):
                    if not anc:
                        sent.append(_send_as(task, s, data, flags | socket.MSG_DONTWAIT, alias))
                        return
                sent.append(s.sendmsg([data], anc, flags | socket.MSG_DONTWAIT, alias))
            finally:
                for h in opened:
                    os.close(h)
        _via_dir(task, fd, _peer(task, path), "", op)
        return sent[0]
    return _without_blocking(task, fd, attempt)
