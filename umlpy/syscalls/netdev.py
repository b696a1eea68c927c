"""Interface configuration: the SIOCSIF* and route ioctls on the sandbox's own network.

netdevice(7) and route(8)'s ioctls change the interfaces of the caller's
network namespace.  Every sandbox has a namespace of its own (`lo`, and
what issue 9's modes add), so guest root may configure it for real, as
root of a container may: `ip link set lo up` (busybox), `ifconfig`, `route`.
The guest itself holds no capability on the host, so the host would refuse
it; the guest kernel checks CAP_NET_ADMIN against the guest's own
capabilities (kernel/creds.py) and makes the call itself, on a socket of
the supervisor's made inside the guest's namespace (platform.host.netns_socket).
That socket can reach no other namespace, so the host's interfaces stay out
of reach.  The same changes made over rtnetlink (iproute2's `ip`) are
syscalls/rtnetlink.py's.

On a named network (`--network NAME`) eth0 is the link to other sandboxes:
the requests that set its addresses, MAC address or name, or would make
another member's address this sandbox's own (on `lo`, whose whole prefix is
local), get EPERM, as over rtnetlink (syscalls/rtnetlink.py `shared_refusal`).
eth0 is known by its ifindex, each request's name resolved as the kernel does.

The query requests (SIOCGIF*) run natively (syscalls/fd.py's allowlist).
"""
from __future__ import annotations

import errno
import fcntl
import ipaddress
import os
import socket
import struct
import weakref

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import CAP_NET_ADMIN
from umlpy.kernel.creds import capable
from umlpy.kernel.fdpath import guest_fd
from umlpy.platform import host
from umlpy.syscalls import rtnetlink

# <linux/sockios.h>
SIOCADDRT, SIOCDELRT = 0x890B, 0x890C
SIOCSIFFLAGS, SIOCSIFADDR, SIOCSIFDSTADDR = 0x8914, 0x8916, 0x8918
SIOCSIFBRDADDR, SIOCSIFNETMASK, SIOCSIFMETRIC = 0x891A, 0x891C, 0x891E
SIOCSIFMTU, SIOCSIFNAME, SIOCSIFHWADDR = 0x8922, 0x8923, 0x8924
SIOCDIFADDR, SIOCSIFTXQLEN = 0x8936, 0x8943
SIOCGIFFLAGS, SIOCGIFADDR, SIOCGIFINDEX = 0x8913, 0x8915, 0x8933
IFF_LOOPBACK = 0x8

IFREQ = 40                  # struct ifreq: a name of IFNAMSIZ (16) and a 24-byte union
IN6_IFREQ = 24              # struct in6_ifreq: in6_addr, prefixlen, ifindex (IPv6 addresses)
RTENTRY = 120               # struct rtentry (IPv4 routes); rt_dev, a char *, is at 88
RTENTRY_DEV = 88
IN6_RTMSG = 80              # struct in6_rtmsg (IPv6 routes): no pointer in it

REQUESTS = frozenset({SIOCADDRT, SIOCDELRT, SIOCSIFFLAGS, SIOCSIFADDR, SIOCSIFDSTADDR,
                      SIOCSIFBRDADDR, SIOCSIFNETMASK, SIOCSIFMETRIC, SIOCSIFMTU, SIOCSIFNAME,
                      SIOCSIFHWADDR, SIOCDIFADDR, SIOCSIFTXQLEN})
FAMILIES = (socket.AF_INET, socket.AF_INET6, socket.AF_UNIX, socket.AF_NETLINK, socket.AF_PACKET)

# kernel -> {family: the supervisor's socket of that family in the guest's namespace}
_sockets: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _socket_family(hfd: int) -> int:
    """The family of socket `hfd`; ENOTTY for any other file, as vfs_ioctl says."""
    try:
        s = socket.socket(fileno=os.dup(hfd))
    except OSError:
        raise KernelError(errno.ENOTTY, "an interface request on a descriptor that is not a socket")
    family = s.family
    s.close()
    return family


def _our_socket(task, family: int) -> int:
    """The supervisor's socket of `family` in the sandbox's network namespace."""
    mine = _sockets.setdefault(task.kernel, {})
    s = mine.get(family)
    if s is None:
        try:
            fd = host.netns_socket(task.process.host_pid, family, socket.SOCK_DGRAM)
        except OSError as e:
            raise KernelError(e.errno or errno.EPERM, f"no socket in the sandbox's network namespace: {e.strerror}")
        s = mine[family] = socket.socket(fileno=fd)     # closed with the sandbox's kernel
    return s.fileno()


def _size(request: int, family: int) -> int:
    if request in (SIOCADDRT, SIOCDELRT):
        return IN6_RTMSG if family == socket.AF_INET6 else RTENTRY
    if family == socket.AF_INET6 and request in (SIOCSIFADDR, SIOCDIFADDR, SIOCSIFDSTADDR):
        return IN6_IFREQ
    return IFREQ


def ioctl(task, fd: int, request: int, arg: int) -> int:
    """ioctl(fd, SIOCS*/SIOC*RT, arg): Linux's order: the fd (EBADF), a socket
    (ENOTTY), the argument (EFAULT), the capability (EPERM); then the host
    kernel's own checks and answer, on the sandbox's namespace."""
    with guest_fd(task, fd) as hfd:
        family = _socket_family(hfd)
    if family not in FAMILIES:
        raise KernelError(errno.ENOTTY, f"interface requests on a family {family} socket")
    size = _size(request, family)
    buf = bytearray(task.read(arg, size))
    if not capable(task, CAP_NET_ADMIN):
        raise KernelError(errno.EPERM, "configuring an interface needs CAP_NET_ADMIN")
    link = rtnetlink.shared(task)
    if link is not None and request in ADDRESSING:
        why = _shared_refusal(task, request, size, bytes(buf), link)
        if why is not None:
            rtnetlink.note_refused(task, f"ioctl {NAMES[request]}", why)
            raise KernelError(errno.EPERM, why)
    ours = _our_socket(task, family)
    if size == RTENTRY:
        return _route(task, ours, request, buf)
    try:
        fcntl.ioctl(ours, request, bytes(buf))
    except OSError as e:
        return -(e.errno or errno.EIO)
    return 0


def _route(task, ours: int, request: int, buf: bytearray) -> int:
    """SIOCADDRT/SIOCDELRT for IPv4: struct rtentry names its device by a pointer
    into the guest's memory; the host call gets a copy of the name in ours."""
    import ctypes                                   # only here: a pointer in the struct
    dev_ptr = int.from_bytes(buf[RTENTRY_DEV:RTENTRY_DEV + 8], "little")
    name = None
    if dev_ptr:
        raw = task.read(dev_ptr, 16)
        name = ctypes.create_string_buffer(raw.split(b"\0", 1)[0][:15], 16)
        buf[RTENTRY_DEV:RTENTRY_DEV + 8] = ctypes.addressof(name).to_bytes(8, "little")
    req = ctypes.create_string_buffer(bytes(buf), len(buf))
    try:
        fcntl.ioctl(ours, request, req)
    except OSError as e:
        return -(e.errno or errno.EIO)
    finally:
        del name
    return 0


# ------------------------------------------------------------------ a named network's eth0
NAMES = {SIOCSIFADDR: "SIOCSIFADDR", SIOCSIFDSTADDR: "SIOCSIFDSTADDR", SIOCSIFBRDADDR: "SIOCSIFBRDADDR",
         SIOCSIFNETMASK: "SIOCSIFNETMASK", SIOCSIFHWADDR: "SIOCSIFHWADDR", SIOCDIFADDR: "SIOCDIFADDR",
         SIOCSIFNAME: "SIOCSIFNAME"}
ADDRESSING = frozenset(NAMES)


def _shared_refusal(task, request: int, size: int, buf: bytes, link) -> str | None:
    """Why an addressing request is refused on a named network, or None.  An in6_ifreq
    names its link by ifindex; an ifreq by name, with an IPv4 alias label after a colon
    (devinet_ioctl): the name is resolved in the sandbox's namespace."""
    if size == IN6_IFREQ:
        index = struct.unpack_from("=i", buf, 20)[0]
        return "eth0's addresses are the network's" if index == link.index else None
    inet = _our_socket(task, socket.AF_INET)
    name = _name(buf, 0)
    base = name.split(b":", 1)[0]
    if _query(inet, SIOCGIFINDEX, base) == link.index:
        return "eth0's addresses, link-layer address and name are the network's"
    if request == SIOCSIFNAME:
        new = _name(buf, 16)
        return "no other link may be named eth0" if _query(inet, SIOCGIFINDEX, new) == link.index else None
    if request not in (SIOCSIFADDR, SIOCSIFDSTADDR, SIOCSIFNETMASK):
        return None
    address = int.from_bytes(buf[20:24], "big")           # ifr_addr: a sockaddr_in
    if request != SIOCSIFNETMASK and link.overlaps(address, 32):
        return f"{ipaddress.IPv4Address(address)} is on the network ({link.subnet}): another member's"
    if not (_query(inet, SIOCGIFFLAGS, base) or 0) & IFF_LOOPBACK:
        return None
    # On a loopback link the whole prefix is local (fib_add_ifaddr), as 127/8 is.
    if request == SIOCSIFDSTADDR:
        return "the prefix of an address on lo is local: its base stays"
    if request == SIOCSIFADDR:
        prefix = _classful(address)
    else:
        prefix = bin(address).count("1")
        if address != (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF:
            return None                                  # a bad mask: the kernel's EINVAL
        address = _query(inet, SIOCGIFADDR, name)
        if address is None:
            return None                                  # no address: the kernel's EADDRNOTAVAIL
    if link.overlaps(address, prefix):
        return f"{ipaddress.IPv4Address(address)}/{prefix} on lo would make the network's addresses local"
    return None


def _name(buf: bytes, at: int) -> bytes:
    return buf[at:at + 16].split(b"\0", 1)[0]


def _classful(address: int) -> int:
    """The prefix length SIOCSIFADDR gives an address (inet_abc_len)."""
    first = address >> 24
    if address in (0, 0xFFFFFFFF):
        return 0
    return 8 if first < 128 else 16 if first < 192 else 24 if first < 224 else 32


def _query(fd: int, request: int, name: bytes) -> int | None:
    """SIOCGIFINDEX, SIOCGIFFLAGS or SIOCGIFADDR (its IPv4 address) of link `name`, asked on
    a socket of ours in the sandbox's namespace; None if there is no such link or address."""
    try:
        out = fcntl.ioctl(fd, request, struct.pack("16s24x", name[:15]))
    except OSError:
        return None
    if request == SIOCGIFADDR:
        return int.from_bytes(out[20:24], "big")
    if request == SIOCGIFFLAGS:
        return struct.unpack_from("=H", out, 16)[0]
    return struct.unpack_from("=i", out, 16)[0]
