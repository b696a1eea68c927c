"""rtnetlink changes by guest root: `ip link set lo up`, `ip addr add`, `ip route add` on the
sandbox's own network namespace, with the guest's virtual CAP_NET_ADMIN.

A route netlink socket is the host kernel's (socket(2) runs in the guest's context,
syscalls/net.py), and so are its dumps, its replies and its readiness.  But rtnetlink
refuses a change (every message kind but GET) unless CAP_NET_ADMIN over the namespace's
user namespace is held by both the socket's opener and the sender: the guest has no
capability at all on the host, so `ip` gets EPERM, root or not.  Linux waives the
opener's half when the sender names the destination itself (__netlink_ns_capable: a
sendmsg with an address is no confused deputy's write(2) to an inherited fd).  So for a
guest task that holds CAP_NET_ADMIN in its virtual capabilities (kernel/creds.py), the
supervisor makes the send: on its own duplicate of the guest's socket, with the
kernel's address (nl_pid 0), from the supervisor, who holds CAP_NET_ADMIN over the
sandbox's namespace (as root; rootless, as owner of the user namespace that owns it).
The kernel then answers *into the guest's socket* as it always does: nl_pid 0,
nlmsg_pid the guest's port id, the guest socket's own NETLINK_EXT_ACK and CAP_ACK,
NLM_F_ECHO, notifications to `ip monitor`; nothing is relayed or rewritten.  The
supervisor's socket can reach no namespace but the sandbox's.

Only what is the sandbox's own is sent with that privilege, after the guest kernel has
read each message (once, into the supervisor: no later guest write changes it) and
found every attribute in an allowlist (`privileged`): links (RTM_NEWLINK/SETLINK on an
existing link: up/down and the other flags, name, MTU, addresses, queue length, alias,
group, per-family settings; creating a `dummy`, up to MAX_LINKS links; RTM_DELLINK of a
dummy), addresses, routes and neighbours (new and del).  What could reach outside the
namespace or load code is never among them: moving a link to another namespace
(IFLA_NET_NS_PID/FD, *_NETNSID), XDP programs, lightweight-tunnel encapsulation (BPF
too), congestion-control names (a module load), other link kinds, bridge (AF_BRIDGE)
and MPLS messages, qdiscs, filters, rules, nexthops.  Those messages, and every GET, go
to the kernel as the guest's own send (on the same socket, without an address, so the
opener check applies): a refused change gets EPERM, the answer an unprivileged Linux
caller gets, from the host kernel itself.  A send with nothing privileged in it runs
natively in the guest, untouched.

On a named network (`--network NAME`: sandboxes on one bridge) eth0 is the network's
link to other members, so a member must answer for its own address alone: changes to
eth0's MAC address, addresses, name and protocol settings, another member's address
made local on any link, local routes over the network and proxy neighbour entries are
sent as the guest's own too, and get EPERM (`shared_refusal`).  The same changes by
ioctl are syscalls/netdev.py's.

Which calls stop: sendmsg always does, and sendto with an address (syscalls/net.py);
for a route netlink socket that a task with CAP_NET_ADMIN opens, socket() stacks a stop
filter (kernel/stopfilter.py) on the process, every thread, for write, writev, pwritev2
and sendmmsg on that fd number.  Nothing stops for a task without the capability: the
host refuses it, as Linux would.  recvmsg and every read stay native: the replies are
the kernel's own.  Not served: send(2) (sendto without an address), which the table's
argument rule lets run natively even when a filter stops it, so it gets the host's
EPERM (iproute2, busybox, libnl, sd-netlink, pyroute2 and Go's netlink all send with
sendmsg or with an address).
"""
from __future__ import annotations

import errno
import ipaddress
import os
import socket
import struct
import weakref
from dataclasses import dataclass, field
from umlpy.abi.errno import KernelError
from umlpy.abi.linux import AF_INET, AF_INET6, AF_NETLINK, CAP_NET_ADMIN, NETLINK_ROUTE
from umlpy.kernel import stopfilter
from umlpy.kernel.creds import capable
from umlpy.kernel.fdpath import guest_fd
from umlpy.kernel.requests import Inject, Native
from umlpy.kernel.table import NATIVE, Long, Ptr, UInt, ULong, syscall
from umlpy.platform import host
from umlpy.platform.interface import INJECT

# <linux/netlink.h>, <linux/rtnetlink.h>
NLMSGHDR = struct.Struct("=IHHII")           # nlmsg_len, nlmsg_type, nlmsg_flags, nlmsg_seq, nlmsg_pid
RTATTR = struct.Struct("=HH")                # rta_len, rta_type
NLM_F_REQUEST, NLM_F_CREATE = 0x1, 0x400
NLA_TYPE_MASK = 0x3FFF                       # without NLA_F_NESTED, NLA_F_NET_BYTEORDER
RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK = 16, 17, 18, 19
RTM_NEWADDR, RTM_DELADDR = 20, 21
RTM_NEWROUTE, RTM_DELROUTE = 24, 25
RTM_NEWNEIGH, RTM_DELNEIGH = 28, 29
SOCKADDR_NL_SIZE = 12                        # struct sockaddr_nl
SEND_MAX = 1 << 20                           # more than any netlink send buffer: the host's EMSGSIZE

# The fixed header after the nlmsghdr, by message kind: its size and where its family is.
IFINFOMSG = struct.Struct("=BxHiII")         # ifi_family, ifi_type, ifi_index, ifi_flags, ifi_change
HEADERS = {RTM_NEWLINK: 16, RTM_SETLINK: 16, RTM_DELLINK: 16, RTM_NEWADDR: 8, RTM_DELADDR: 8,
           RTM_NEWROUTE: 12, RTM_DELROUTE: 12, RTM_NEWNEIGH: 12, RTM_DELNEIGH: 12}
INET = frozenset({AF_INET, AF_INET6})
LINK_FAMILIES = frozenset({0, AF_INET, AF_INET6})    # AF_UNSPEC's handlers; not AF_BRIDGE's

# Allowed attributes (<linux/if_link.h>, if_addr.h, rtnetlink.h, neighbour.h).
IFLA_IFNAME, IFLA_LINKINFO, IFLA_AF_SPEC = 3, 18, 26
IFLA_INFO_KIND = 1
LINK_ATTRS = frozenset({
    1, 2, 3, 4,          # IFLA_ADDRESS, BROADCAST, IFNAME, MTU
    13, 16, 17, 20,      # IFLA_TXQLEN, OPERSTATE, LINKMODE, IFALIAS
    26, 27, 29,          # IFLA_AF_SPEC (checked below), GROUP, EXT_MASK
    31, 32, 33, 39,      # IFLA_NUM_TX_QUEUES, NUM_RX_QUEUES, CARRIER, PROTO_DOWN
    40, 41, 58,          # IFLA_GSO_MAX_SEGS, GSO_MAX_SIZE, GRO_MAX_SIZE
})
ADDR_ATTRS = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 9, 11})     # IFA_* but IFA_TARGET_NETNSID (10)
RTA_METRICS, RTA_MULTIPATH = 8, 9
RTAX_CC_ALGO = 16                            # a congestion-control name: may load a module
ROUTE_ATTRS = frozenset({
    1, 2, 3, 4, 5, 6, 7, 8, 9,   # RTA_DST SRC IIF OIF GATEWAY PRIORITY PREFSRC METRICS MULTIPATH
    11, 12, 15, 16, 18, 20, 23,  # RTA_FLOW CACHEINFO TABLE MARK VIA PREF EXPIRES
    25, 26, 27, 28, 29,          # RTA_UID TTL_PROPAGATE IP_PROTO SPORT DPORT
})                               # not RTA_ENCAP_TYPE/ENCAP (lwtunnel: BPF, modules), NEWDST (MPLS), NH_ID
NEXTHOP_ATTRS = frozenset({5, 11, 18})      # in RTA_MULTIPATH: RTA_GATEWAY, FLOW, VIA
RTNEXTHOP = struct.Struct("=HBBi")          # rtnh_len, rtnh_flags, rtnh_hops, rtnh_ifindex
NEIGH_ATTRS = frozenset({1, 2, 4, 12, 15})  # NDA_DST, LLADDR, PROBES, PROTOCOL, FLAGS_EXT

CREATABLE = frozenset({b"dummy"})            # link kinds guest root may create and delete
MAX_LINKS = 64                               # links in the sandbox's namespace, beyond which none is made
MAX_FILTERS = 16                             # stop filters per process for this (then sends by sendmsg only)
WATCHED = ("write", "writev", "pwritev2", "sendmmsg", "sendto")     # sendto: send(2), no address


# ------------------------------------------------------------------ the policy
def _attrs(data: bytes, at: int, end: int) -> list[tuple[int, bytes]] | None:
    """The (type, payload) of each attribute in data[at:end], or None if one is malformed
    (fewer than 4 bytes left over are ignored, as nla_parse does)."""
    out = []
    while end - at >= RTATTR.size:
        length, kind = RTATTR.unpack_from(data, at)
        if length < RTATTR.size or at + length > end:
            return None
        out.append((kind & NLA_TYPE_MASK, data[at + RTATTR.size: at + length]))
        at += (length + 3) & ~3
    return out


def _nested(payload: bytes) -> list[tuple[int, bytes]] | None:
    return _attrs(payload, 0, len(payload))


def _only(attrs, allowed: frozenset[int]) -> bool:
    return attrs is not None and all(kind in allowed for kind, _ in attrs)


def _link_ok(kind: int, attrs: list[tuple[int, bytes]], flags: int) -> str | None:
    """For a link message: None if it may not be made privileged, else what it does
    ("change", "create" or "delete": the last two need a look at the links first)."""
    verb = "delete" if kind == RTM_DELLINK else "change"
    for t, payload in attrs:
        if t == IFLA_LINKINFO and kind == RTM_NEWLINK:
            info = _nested(payload)
            if info is None or [k for k, _ in info] != [IFLA_INFO_KIND] \
                    or info[0][1].rstrip(b"\0") not in CREATABLE:
                return None
            verb = "create" if flags & NLM_F_CREATE else "change"
        elif t == IFLA_AF_SPEC:
            spec = _nested(payload)
            if spec is None or any(family not in INET for family, _ in spec):
                return None
        elif t not in LINK_ATTRS or kind == RTM_DELLINK and t != IFLA_IFNAME:
            return None
    return verb


def _route_ok(attrs: list[tuple[int, bytes]]) -> bool:
    for t, payload in attrs:
        if t not in ROUTE_ATTRS:
            return False
        if t == RTA_METRICS:
            metrics = _nested(payload)
            if metrics is None or any(m == RTAX_CC_ALGO for m, _ in metrics):
                return False
        if t == RTA_MULTIPATH:
            at = 0
            while len(payload) - at >= RTNEXTHOP.size:
                length = RTNEXTHOP.unpack_from(payload, at)[0]
                if length < RTNEXTHOP.size or at + length > len(payload):
                    return False
                if not _only(_attrs(payload, at + RTNEXTHOP.size, at + length), NEXTHOP_ATTRS):
                    return False
                at += (length + 3) & ~3
    return True


def privileged(msg: bytes) -> str | None:
    """Is this one netlink message (its nlmsghdr first) a change guest root may make on the
    sandbox's namespace?  None if not (it goes to the host as the guest's own, which
    answers a GET and refuses a change); else "change", "create" (a link of a kind in
    CREATABLE) or "delete" (a link: only one of those kinds, looked at before)."""
    if len(msg) < NLMSGHDR.size:
        return None
    length, kind, flags, _seq, _pid = NLMSGHDR.unpack_from(msg)
    head = HEADERS.get(kind)
    if head is None or not flags & NLM_F_REQUEST or length != len(msg) \
            or length < NLMSGHDR.size + head:
        return None
    family = msg[NLMSGHDR.size]
    at = NLMSGHDR.size + ((head + 3) & ~3)
    attrs = _attrs(msg, at, length)
    if attrs is None:
        return None
    if kind in (RTM_NEWLINK, RTM_SETLINK, RTM_DELLINK):
        return _link_ok(kind, attrs, flags) if family in LINK_FAMILIES else None
    if family not in INET:
        return None
    if kind in (RTM_NEWADDR, RTM_DELADDR):
        ok = _only(attrs, ADDR_ATTRS)
    elif kind in (RTM_NEWROUTE, RTM_DELROUTE):
        ok = _route_ok(attrs)
    else:
        ok = _only(attrs, NEIGH_ATTRS)
    return "change" if ok else None


def split(data: bytes) -> list[tuple[str | None, bytes]]:
    """The messages of one send, as netlink_rcv_skb walks them, each with `privileged`'s
    verdict; the unprivileged ones next to each other in one piece, and what the kernel
    would not read as a message (a bad length: it stops there) in the last piece."""
    out: list[tuple[str | None, bytes]] = []
    at = 0
    while len(data) - at >= NLMSGHDR.size:
        length = NLMSGHDR.unpack_from(data, at)[0]
        if length < NLMSGHDR.size or len(data) - at < length:
            break
        verdict = privileged(data[at: at + length])
        step = min((length + 3) & ~3, len(data) - at)
        piece = data[at: at + step]
        if verdict is None and out and out[-1][0] is None:
            out[-1] = (None, out[-1][1] + piece)
        else:
            out.append((verdict, piece))
        at += step
    if at < len(data):
        if out and out[-1][0] is None:
            out[-1] = (None, out[-1][1] + data[at:])
        else:
            out.append((None, data[at:]))
    return out


# ------------------------------------------------------------------ a named network's eth0
IFLA_ADDRESS, IFLA_BROADCAST, IFLA_GROUP = 1, 2, 27
IFADDRMSG = struct.Struct("=BBBBi")          # ifa_family, ifa_prefixlen, ifa_flags, ifa_scope, ifa_index
IFA_ADDRESS, IFA_LOCAL = 1, 2
RTMSG = struct.Struct("=BBBBBBBBI")          # rtm_family, dst_len, src_len, tos, table, protocol, scope, type, flags
RTA_DST = 1
NOT_LOCAL = frozenset({1, 6, 7, 8, 9})       # RTN_UNICAST, BLACKHOLE, UNREACHABLE, PROHIBIT, THROW
NDM_FLAGS, NTF_PROXY = 10, 0x08              # ndmsg's ndm_flags (offset); a proxy ARP/NDP entry
LOOPBACK_IFINDEX = 1                         # `lo`, in every namespace
ETH0 = b"eth0"
MESSAGE_NAMES = {RTM_NEWLINK: "RTM_NEWLINK", RTM_SETLINK: "RTM_SETLINK", RTM_NEWADDR: "RTM_NEWADDR",
                 RTM_DELADDR: "RTM_DELADDR", RTM_NEWROUTE: "RTM_NEWROUTE", RTM_NEWNEIGH: "RTM_NEWNEIGH"}


@dataclass(frozen=True)
class Shared:
    """A sandbox's link to a named network (kernel/network.py): eth0's ifindex in the
    sandbox's namespace and the network's subnet, whose other addresses are other members'."""
    index: int
    subnet: ipaddress.IPv4Network
    base: int = field(init=False)            # the subnet as integers (ipaddress's objects are
    prefixlen: int = field(init=False)       # slow to make: ~15 us, a third of a stop)

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", int(self.subnet.network_address))
        object.__setattr__(self, "prefixlen", self.subnet.prefixlen)

    def overlaps(self, address: int, prefixlen: int) -> bool:
        """Does address/prefixlen (an IPv4 address as an int) meet the subnet?"""
        mask = (0xFFFFFFFF << (32 - min(prefixlen, self.prefixlen))) & 0xFFFFFFFF
        return (address ^ self.base) & mask == 0


def shared(task) -> Shared | None:
    """The sandbox's link to a named network, or None (--network none and user: no other
    sandbox is on the link; slirp4netns's network is the sandbox's alone)."""
    known = _shared.get(task.kernel)
    if known is not None:
        return known
    network = task.kernel.network
    named = network.named if network is not None else None
    if named is None:
        return None
    link = Shared(named.eth0_index, named.subnet)
    if named.eth0_index:
        _shared[task.kernel] = link                      # wired: it stays so
    return link


_shared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()     # kernel -> its Shared


def shared_refusal(msg: bytes, link: Shared) -> str | None:
    """Why guest root may not make this change (a message `privileged` allows) on a named
    network, or None.  A member answers for its own address and nothing else: eth0's MAC
    address, addresses, name and per-protocol settings (ARP proxying, IPv6 address
    generation) stay as the network made them; no address of the network may become
    local on another link (Linux answers ARP on eth0 for any local address), nor any
    route of a local kind; no proxy ARP/NDP entry.  Up/down, MTU and the rest of eth0,
    and everything on `lo` and dummies outside the network's subnet, stay allowed."""
    length, kind, flags, _seq, _pid = NLMSGHDR.unpack_from(msg)
    family = msg[NLMSGHDR.size]
    attrs = _attrs(msg, NLMSGHDR.size + ((HEADERS[kind] + 3) & ~3), length) or []
    if kind in (RTM_NEWLINK, RTM_SETLINK):
        return _link_refusal(kind, flags, msg, attrs, link)
    if kind in (RTM_NEWADDR, RTM_DELADDR):
        return _addr_refusal(kind, family, msg, attrs, link)
    if kind == RTM_NEWROUTE and family == AF_INET:
        return _route_refusal(msg, attrs, link)
    if kind == RTM_NEWNEIGH and msg[NLMSGHDR.size + NDM_FLAGS] & NTF_PROXY:
        return "a proxy neighbour entry would answer for other members"
    return None


def _link_refusal(kind: int, flags: int, msg: bytes, attrs, link: Shared) -> str | None:
    """The link a message changes is found as rtnl_setlink/__rtnl_newlink find it: by
    ifi_index if positive, else by IFLA_IFNAME (eth0 keeps its name: renames are refused),
    else, for an RTM_NEWLINK that creates nothing, every link of an IFLA_GROUP (eth0's may
    be any)."""
    index = IFINFOMSG.unpack_from(msg, NLMSGHDR.size)[2]
    name = next((p.split(b"\0", 1)[0] for t, p in attrs if t == IFLA_IFNAME), None)
    if index > 0:
        on_eth0 = index == link.index
    elif name is not None:
        on_eth0 = name == ETH0
    else:
        on_eth0 = kind == RTM_NEWLINK and not flags & NLM_F_CREATE and any(t == IFLA_GROUP for t, _ in attrs)
    if on_eth0 and any(t in (IFLA_ADDRESS, IFLA_BROADCAST, IFLA_AF_SPEC) for t, _ in attrs):
        return "eth0's link-layer address and protocol settings are the network's"
    if on_eth0 and name not in (None, ETH0):
        return "eth0 keeps its name on a named network"
    if not on_eth0 and index > 0 and name == ETH0:
        return "no other link may be named eth0 on a named network"
    return None


def _addr_refusal(kind: int, family: int, msg: bytes, attrs, link: Shared) -> str | None:
    """Addresses are found by ifa_index alone (inet_rtm_newaddr, inet6_rtm_newaddr, and
    their deletes)."""
    _f, prefixlen, _flags, _scope, index = IFADDRMSG.unpack_from(msg, NLMSGHDR.size)
    if index == link.index:
        return "eth0's addresses are the network's"
    if kind != RTM_NEWADDR or family != AF_INET or prefixlen > 32:
        return None
    for t, payload in attrs:
        if t not in (IFA_ADDRESS, IFA_LOCAL) or len(payload) != 4:
            continue
        address = int.from_bytes(payload, "big")
        if link.overlaps(address, 32):
            return f"{ipaddress.IPv4Address(address)} is on the network ({link.subnet}): another member's"
        # On a loopback link the whole prefix is local (fib_add_ifaddr), as 127/8 is.
        if index == LOOPBACK_IFINDEX and link.overlaps(address, prefixlen):
            return f"{ipaddress.IPv4Address(address)}/{prefixlen} on lo would make the network's addresses local"
    return None


def _route_refusal(msg: bytes, attrs, link: Shared) -> str | None:
    """A route of a local kind (RTN_LOCAL, ...) over the network's addresses, in any table:
    Linux answers ARP for what a route lookup finds local."""
    _f, dst_len, _s, _t, _tab, _p, _sc, kind, _fl = RTMSG.unpack_from(msg, NLMSGHDR.size)
    if kind in NOT_LOCAL or dst_len > 32:
        return None
    dst = next((p for t, p in attrs if t == RTA_DST and len(p) == 4), bytes(4))
    if link.overlaps(int.from_bytes(dst, "big"), dst_len):
        return f"a route of type {kind} over the network's addresses would make them local"
    return None


def note_refused(task, what: str, why: str) -> None:
    """One `denied:` line for a change the guest kernel refuses on a named network."""
    line = f"{what} refused: {why}"
    task.kernel.report.add_denied(line)
    if task.kernel.config.log_denied is not None:
        task.kernel.config.log_denied.write(f"umlpy: denied: {line}\n")


# ------------------------------------------------------------------ opening one
def opened(task):
    """socket(AF_NETLINK, ..., NETLINK_ROUTE) by a task with CAP_NET_ADMIN: made natively in
    its context; then its write/writev/pwritev2/sendmmsg stop (syscalls/net.py's
    socket() calls this)."""
    k = task.kernel
    if k.config.strict or INJECT not in k.platform.capabilities:
        return Native(then=lambda fd: _opened(task, fd))      # every call stops already / cannot
    return _opening(task)


def _opening(task):
    call = task.call
    fd = yield Inject(call.nr, call.args)
    if fd < 0:
        return fd
    proc = task.process
    fds, watched = proc.rtnetlink_stops
    if fd not in watched and len(watched) < MAX_FILTERS:
        prog = stopfilter.program(on_fds={c: [fd] for c in WATCHED})
        try:
            if (yield from stopfilter.install(task, prog, "rtnetlink", every_thread=True)):
                watched = watched | {fd}
        except KernelError:
            pass                        # its sendmsg still stops: only write(2) and send(2) are EPERM
    proc.rtnetlink_stops = (fds | {fd}, watched)
    return fd


def _opened(task, fd: int) -> int:
    if fd >= 0:
        fds, watched = task.process.rtnetlink_stops
        task.process.rtnetlink_stops = (fds | {fd}, watched)
    return fd


# ------------------------------------------------------------------ sending
def send(task, fd: int, data: bytes, *, always: bool = False,
         pieces: list[tuple[str | None, bytes]] | None = None) -> int | None:
    """A send of `data` to the kernel on guest `fd`, if any of its messages is privileged
    (or `always`), the caller holds CAP_NET_ADMIN and `fd` is a route netlink socket
    connected to nothing else: made by the supervisor, each privileged message with the
    kernel's address and the rest as the guest's own.  Returns the bytes sent (all of
    them, as netlink does); None if it was not made (the call is the host's business).
    `pieces`: `split(data)`, if the caller has it."""
    pieces = split(data) if pieces is None else pieces
    if not always and not any(verdict for verdict, _ in pieces) or not capable(task, CAP_NET_ADMIN):
        return None
    with guest_fd(task, fd) as hfd:
        try:
            s = socket.socket(fileno=hfd)
        except OSError:
            return None                                  # not a socket: the host's ENOTSOCK
        try:
            if s.family != AF_NETLINK or s.proto != NETLINK_ROUTE or s.getpeername() != (0, 0):
                return None                              # connected to another socket: as it is
            if s.getsockname()[0] == 0:
                _bind(task, s)
            for verdict, piece in pieces:
                if verdict is not None and not _may(task, verdict, piece):
                    verdict = None
                if verdict is None:
                    s.send(piece, socket.MSG_DONTWAIT)   # the opener's check applies: EPERM
                else:
                    s.sendto(piece, socket.MSG_DONTWAIT, (0, 0))
        except OSError as e:
            raise KernelError(e.errno or errno.EIO, f"rtnetlink send: {e.strerror}")
        finally:
            s.detach()
    return len(data)


def _bind(task, s: socket.socket) -> None:
    """Bind an unbound socket as its first send would have (netlink_autobind): to the
    sender's process id if free, else to a negative id from -4096 down.  (The
    supervisor's own send would take the supervisor's host pid.)"""
    own = task.kernel.pidns.to_native(task.process.pid) or task.process.pid
    for portid in (own, *range(0xFFFFF000, 0xFFFFF000 - 64, -1)):
        try:
            s.bind((portid, 0))
            return
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                raise
    s.bind((0, 0))


def _may(task, verdict: str, msg: bytes) -> bool:
    """On a named network, nothing `shared_refusal` refuses; a link to create or delete:
    only up to MAX_LINKS links, only a link of a CREATABLE kind."""
    link = shared(task)
    if link is not None:
        why = shared_refusal(msg, link)
        if why is not None:
            note_refused(task, MESSAGE_NAMES.get(NLMSGHDR.unpack_from(msg)[1], "an rtnetlink message"), why)
            return False
    if verdict == "change":
        return True
    if verdict == "create":
        return _links(task) < MAX_LINKS
    _l, _t, _f, _s, _p = NLMSGHDR.unpack_from(msg)
    index = IFINFOMSG.unpack_from(msg, NLMSGHDR.size)[2]
    name = next((p for t, p in _attrs(msg, NLMSGHDR.size + 16, len(msg)) or () if t == IFLA_IFNAME), None)
    return _kind_of(task, index, name) in CREATABLE


def _links(task) -> int:
    """How many links the sandbox's namespace has (/proc/net/dev: two header lines)."""
    try:
        with open(f"/proc/{task.process.host_pid}/net/dev", "rb") as f:
            return max(0, len(f.read().splitlines()) - 2)
    except OSError:
        return MAX_LINKS


_query: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()     # kernel -> a route socket of ours


def _kind_of(task, index: int, name: bytes | None) -> bytes | None:
    """The kind (IFLA_INFO_KIND) of a link of the sandbox's namespace, asked on a route
    socket of the supervisor's own there (made once); None if it has none or is not found."""
    s = _query.get(task.kernel)
    if s is None:
        try:
            s = socket.socket(fileno=host.netns_socket(task.process.host_pid, AF_NETLINK,
                                                      socket.SOCK_RAW, NETLINK_ROUTE))
        except OSError:
            return None
        _query[task.kernel] = s
    body = IFINFOMSG.pack(0, 0, index, 0, 0)
    if name is not None:
        body += RTATTR.pack(RTATTR.size + len(name), IFLA_IFNAME) + name + b"\0" * (-len(name) % 4)
    try:
        while True:                                       # nothing left from an earlier question
            s.recv(65536, socket.MSG_DONTWAIT)
    except OSError:
        pass
    try:
        s.send(NLMSGHDR.pack(NLMSGHDR.size + len(body), RTM_GETLINK, NLM_F_REQUEST, 1, 0) + body)
        reply = s.recv(65536, socket.MSG_DONTWAIT)
    except OSError:
        return None
    if len(reply) < NLMSGHDR.size + 16 or NLMSGHDR.unpack_from(reply)[1] != RTM_NEWLINK:
        return None
    length = min(NLMSGHDR.unpack_from(reply)[0], len(reply))
    for t, payload in _attrs(reply, NLMSGHDR.size + 16, length) or ():
        if t == IFLA_LINKINFO:
            for k, v in _nested(payload) or ():
                if k == IFLA_INFO_KIND:
                    return v.rstrip(b"\0")
    return None


def _kernel_address(task, addr: int, addrlen: int) -> bool | None:
    """Is the address given to a send the kernel's (True), none at all (False), or
    something else (None: the host decides, as for any other destination)?"""
    if not addr or not addrlen:
        return False
    if addrlen < SOCKADDR_NL_SIZE:
        return None
    try:
        family, pid, groups = struct.unpack("=H2xII", task.read(addr, SOCKADDR_NL_SIZE))
    except KernelError:
        return None
    return True if (family, pid, groups) == (AF_NETLINK, 0, 0) else None


def is_kernel_address(task, addr: int, addrlen: int) -> bool:
    """For sendmsg and sendto of a socket not known here (dup'ed, passed, inherited from a
    process that had it): a sockaddr_nl of the kernel, given by a task with CAP_NET_ADMIN
    (its size is looked at first: cheap for every other send)."""
    return addrlen == SOCKADDR_NL_SIZE and capable(task, CAP_NET_ADMIN) \
        and _kernel_address(task, addr, addrlen) is True


def _known(task, fd: int, addr: int, addrlen: int) -> bool:
    """Does a send go to the kernel on a socket the supervisor may send on?  With the
    kernel's address, any route socket (Linux then checks the sender only); without
    one, only a socket a task with CAP_NET_ADMIN opened (Linux checks the opener too)."""
    addressed = _kernel_address(task, addr, addrlen)
    return addressed is True or addressed is False and fd in task.process.rtnetlink_stops[0]


def _changes(data: bytes) -> list[tuple[str | None, bytes]] | None:
    """`split(data)` if any message of it is privileged, else None.  (Most sends are GETs:
    those are read, found to hold none, and run natively, before the address is even
    looked at.)"""
    pieces = split(data)
    return pieces if any(verdict for verdict, _ in pieces) else None


def sendmsg(task, fd: int, name: int, namelen: int, iov: int, iovlen: int) -> int | None:
    """sendmsg(2) on a route netlink socket (syscalls/net.py's sendmsg asks first): the bytes
    sent, or None if the call is not one the guest kernel makes (see `send`)."""
    if not capable(task, CAP_NET_ADMIN):
        return None
    try:
        data = _gather(task, iov, iovlen)
    except KernelError:
        return None                                       # the host's EFAULT, EINVAL or EMSGSIZE
    pieces = _changes(data)
    if pieces is None or not _known(task, fd, name, namelen):
        return None
    return send(task, fd, data, pieces=pieces)


def sendto(task, fd: int, buf: int, length: int, addr: int, addrlen: int) -> int | None:
    """sendto(2) on a route netlink socket (and write(2)), as `sendmsg`."""
    if length > SEND_MAX or not capable(task, CAP_NET_ADMIN):
        return None
    try:
        data = task.read(buf, length)
    except KernelError:
        return None
    pieces = _changes(data)
    if pieces is None or not _known(task, fd, addr, addrlen):
        return None
    return send(task, fd, data, pieces=pieces)


def _native(r: int | None):
    return Native() if r is None else r


# The rows of write, writev, pwritev2 and sendmmsg are native; these serve their stops
# (a filter above, on an fd a task with CAP_NET_ADMIN opened; or strict mode).
@syscall("write", NATIVE)
def write(task, fd: int, buf: Ptr, count: ULong):
    """write(2) on a route netlink socket: a send with no address."""
    if fd not in task.process.rtnetlink_stops[0]:
        return Native()
    return _native(sendto(task, fd, buf, count, 0, 0))


IOVEC = struct.Struct("=QQ")
UIO_MAXIOV = 1024


def _gather(task, iov: int, iovcnt: int) -> bytes:
    if not 0 <= iovcnt <= UIO_MAXIOV:
        raise KernelError(errno.EINVAL)
    parts, total = [], 0
    for base, n in IOVEC.iter_unpack(task.read(iov, iovcnt * IOVEC.size)) if iovcnt else ():
        total += n
        if total > SEND_MAX:
            raise KernelError(errno.EMSGSIZE)
        if n:
            parts.append(task.read(base, n))
    return b"".join(parts)


@syscall("writev", NATIVE)
def writev(task, fd: int, iov: Ptr, iovcnt: int):
    """writev(2) on a route netlink socket: one send of the iovecs together."""
    if fd not in task.process.rtnetlink_stops[0]:
        return Native()
    return _native(sendmsg(task, fd, 0, 0, iov, iovcnt))


@syscall("pwritev2", NATIVE)
def pwritev2(task, fd: int, iov: Ptr, iovcnt: int, pos_l: Long, pos_h: Long, flags: int):
    """pwritev2(2) at offset -1 on a route netlink socket: writev(2)."""
    if pos_l != -1 or fd not in task.process.rtnetlink_stops[0]:
        return Native()
    return _native(sendmsg(task, fd, 0, 0, iov, iovcnt))


MSGHDR = struct.Struct("=QI4xQQQQi4x")       # struct msghdr
MMSGHDR_SIZE = MSGHDR.size + 8               # struct mmsghdr: the msghdr, msg_len, padding


@syscall("sendmmsg", NATIVE)
def sendmmsg(task, fd: int, vec: Ptr, vlen: UInt, flags: int):
    """sendmmsg(2) on a route netlink socket: each message as sendmsg(2) sends it, msg_len
    set; an error after the first message ends the call with the count sent."""
    if fd not in task.process.rtnetlink_stops[0] or not capable(task, CAP_NET_ADMIN) or vlen == 0:
        return Native()
    n = min(vlen, UIO_MAXIOV)
    try:
        hdrs = [MSGHDR.unpack(task.read(vec + i * MMSGHDR_SIZE, MSGHDR.size)) for i in range(n)]
        if not all(_known(task, fd, h[0], h[1]) for h in hdrs):
            return Native()
        datas = [_gather(task, h[2], h[3]) for h in hdrs]
    except KernelError:
        return Native()
    if not any(verdict for d in datas for verdict, _ in split(d)):
        return Native()
    sent = 0
    for i, data in enumerate(datas):
        try:
            r = send(task, fd, data, always=True)
            if r is None:                             # not a route socket after all
                return Native()
            task.write(vec + i * MMSGHDR_SIZE + MSGHDR.size, struct.pack("=I", r))
        except KernelError:
            if sent == 0:
                raise
            break
        sent += 1
    return sent
