"""Which rtnetlink messages guest root's supervisor sends with its privilege
(syscalls/rtnetlink.py `privileged`, `split`): the sandbox's own links, addresses,
routes and neighbours, nothing that could reach another namespace or load code; and on a
named network (`shared_refusal`), nothing that would let a member answer for another."""
from __future__ import annotations

import ipaddress
import socket
import struct

from umlpy.syscalls.rtnetlink import Shared, privileged, shared_refusal, split

REQ, ACK, CREATE = 0x1, 0x4, 0x400


def attr(kind: int, payload: bytes) -> bytes:
    return struct.pack("=HH", 4 + len(payload), kind) + payload + b"\0" * (-len(payload) % 4)


def msg(kind: int, head: bytes, *attrs: bytes, flags: int = REQ | ACK) -> bytes:
    body = head + b"\0" * (-len(head) % 4) + b"".join(attrs)
    return struct.pack("=IHHII", 16 + len(body), kind, flags, 1, 0) + body


def link(kind=16, *attrs, family=0, index=1, flags=REQ | ACK):
    return msg(kind, struct.pack("=BxHiII", family, 0, index, 1, 1), *attrs, flags=flags)


def addr(kind=20, *attrs, family=socket.AF_INET):
    return msg(kind, struct.pack("=BBBBi", family, 32, 0, 0, 1), *attrs)


def route(kind=24, *attrs, family=socket.AF_INET):
    return msg(kind, struct.pack("=BBBBBBBBI", family, 24, 0, 0, 254, 3, 253, 1, 0), *attrs)


def linkinfo(kind: bytes, *more: bytes) -> bytes:
    return attr(18, attr(1, kind + b"\0") + b"".join(more))


def test_link_changes_are_privileged():
    assert privileged(link()) == "change"                                   # up/down
    assert privileged(link(16, attr(4, struct.pack("=I", 1400)))) == "change"   # mtu
    assert privileged(link(19, attr(3, b"lo2\0"))) == "change"              # RTM_SETLINK, a name
    assert privileged(link(16, attr(26, attr(socket.AF_INET6, attr(8, b"\1"))))) == "change"


def test_link_attributes_that_reach_out_are_not():
    assert privileged(link(16, attr(19, struct.pack("=I", 1)))) is None     # IFLA_NET_NS_PID
    assert privileged(link(16, attr(28, struct.pack("=i", 3)))) is None     # IFLA_NET_NS_FD
    assert privileged(link(16, attr(46, struct.pack("=i", 0)))) is None     # IFLA_TARGET_NETNSID
    assert privileged(link(16, attr(43, attr(1, struct.pack("=i", 3))))) is None   # IFLA_XDP
    assert privileged(link(16, attr(10, struct.pack("=I", 2)))) is None     # IFLA_MASTER
    assert privileged(link(16, attr(26, attr(7, b"")))) is None             # AF_SPEC of AF_BRIDGE
    assert privileged(link(19, family=7)) is None                           # an AF_BRIDGE message


def test_only_dummy_links_are_made_and_deleted():
    assert privileged(link(16, attr(3, b"d0\0"), linkinfo(b"dummy"), index=0, flags=REQ | CREATE)) == "create"
    assert privileged(link(16, linkinfo(b"vxlan"), index=0, flags=REQ | CREATE)) is None
    assert privileged(link(16, linkinfo(b"veth", attr(2, b"")), index=0, flags=REQ | CREATE)) is None
    assert privileged(link(16, linkinfo(b"dummy", attr(2, b"")), index=0, flags=REQ | CREATE)) is None
    assert privileged(link(17)) == "delete"                                 # checked to be a dummy then
    assert privileged(link(17, attr(27, struct.pack("=I", 1)))) is None     # by group: no


def test_addresses_routes_and_neighbours():
    ip = socket.inet_aton("10.9.9.9")
    assert privileged(addr(20, attr(2, ip), attr(1, ip))) == "change"
    assert privileged(addr(21, attr(2, ip))) == "change"
    assert privileged(addr(20, attr(10, struct.pack("=i", 1)))) is None     # IFA_TARGET_NETNSID
    assert privileged(addr(20, family=28)) is None                          # AF_MPLS
    dst = attr(1, socket.inet_aton("10.8.0.0"))
    assert privileged(route(24, dst, attr(4, struct.pack("=i", 1)))) == "change"
    assert privileged(route(25, dst)) == "change"
    assert privileged(route(24, dst, attr(21, struct.pack("=H", 5)), attr(22, b""))) is None   # lwtunnel (BPF)
    assert privileged(route(24, dst, attr(8, attr(2, struct.pack("=I", 1400))))) == "change"   # RTAX_MTU
    assert privileged(route(24, dst, attr(8, attr(16, b"bbr\0")))) is None  # RTAX_CC_ALGO: a module load
    hop = lambda *a: (lambda body: struct.pack("=HBBi", 8 + len(body), 0, 0, 1) + body)(b"".join(a))
    gw = attr(5, socket.inet_aton("10.0.0.1"))
    assert privileged(route(24, dst, attr(9, hop(gw) + hop(gw)))) == "change"
    assert privileged(route(24, dst, attr(9, hop(gw, attr(22, b""))))) is None
    assert privileged(msg(28, struct.pack("=BxxxiHBB", socket.AF_INET, 1, 0x80, 0, 0),
                          attr(1, ip), attr(2, b"\0\1\2\3\4\5"))) == "change"
    assert privileged(msg(28, struct.pack("=BxxxiHBB", 7, 1, 0x80, 0, 0), attr(2, b"\0" * 6))) is None


def test_everything_else_goes_as_the_guests_own():
    assert privileged(link(18)) is None                                     # RTM_GETLINK
    assert privileged(msg(36, b"\0" * 20)) is None                          # RTM_NEWQDISC
    assert privileged(msg(32, b"\0" * 12)) is None                          # RTM_NEWRULE
    assert privileged(msg(104, b"\0" * 8)) is None                          # RTM_NEWNEXTHOP
    assert privileged(link(flags=ACK)) is None                              # not a request
    bad = link(16, attr(4, struct.pack("=I", 1400)))
    assert privileged(bad[:-2]) is None                                     # a truncated attribute
    assert privileged(msg(16, b"\0" * 8)) is None                           # too short for an ifinfomsg


def test_split_walks_like_netlink_rcv_skb():
    get, up, qdisc = link(18), link(), msg(36, b"\0" * 20)
    assert split(get + qdisc + up + get) == [(None, get + qdisc), ("change", up), (None, get)]
    assert split(up + up) == [("change", up), ("change", up)]
    garbage = struct.pack("=IHHII", 4, 16, 1, 0, 0)                         # nlmsg_len < 16: the kernel stops
    assert split(up + garbage + up) == [("change", up), (None, garbage + up)]
    assert split(b"\1\2") == [(None, b"\1\2")]


# On a named network: eth0 (ifindex 2 here) and the network's other addresses are refused.
ETH0 = Shared(2, ipaddress.IPv4Network("10.88.7.0/24"))


def test_named_network_eth0_link_layer_name_and_settings_are_refused():
    mac = attr(1, bytes.fromhex("020000000099"))
    assert shared_refusal(link(16, mac, index=2), ETH0)                     # ip link set eth0 address
    assert shared_refusal(link(19, mac, index=2), ETH0)                     # RTM_SETLINK too
    assert shared_refusal(link(16, mac, attr(3, b"eth0\0"), index=0), ETH0)     # by name
    assert shared_refusal(link(16, attr(2, b"\xff" * 6), index=2), ETH0)    # IFLA_BROADCAST
    assert shared_refusal(link(16, attr(26, attr(socket.AF_INET, b"")), index=2), ETH0)  # proxy_arp & co
    assert shared_refusal(link(16, attr(3, b"evil\0"), index=2), ETH0)      # eth0 renamed away
    assert shared_refusal(link(16, attr(3, b"eth0\0"), index=5), ETH0)      # another link named eth0
    assert shared_refusal(link(16, mac, attr(27, struct.pack("=I", 0)), index=0), ETH0)   # a group: eth0's
    assert shared_refusal(link(16, mac, linkinfo(b"dummy"), attr(3, b"eth0\0"), index=0,
                               flags=REQ | CREATE), ETH0)                   # "creating" eth0 changes it


def test_named_network_allows_the_rest_of_eth0_and_other_links():
    assert shared_refusal(link(16, index=2), ETH0) is None                  # up/down
    assert shared_refusal(link(16, attr(4, struct.pack("=I", 1400)), index=2), ETH0) is None   # mtu
    assert shared_refusal(link(16, attr(3, b"eth0\0"), index=2), ETH0) is None      # its own name
    assert shared_refusal(link(16, attr(1, b"\2" * 6), index=1), ETH0) is None      # lo's, a dummy's
    assert shared_refusal(link(16, attr(3, b"lo2\0"), index=1), ETH0) is None
    assert shared_refusal(link(16, attr(3, b"d0\0"), attr(1, b"\2" * 6), linkinfo(b"dummy"),
                               index=0, flags=REQ | CREATE), ETH0) is None


def ifaddr(kind, index, prefixlen, *attrs, family=socket.AF_INET):
    return msg(kind, struct.pack("=BBBBi", family, prefixlen, 0, 0, index), *attrs)


def test_named_network_addresses():
    other = socket.inet_aton("10.88.7.3")
    own = socket.inet_aton("10.88.7.2")
    assert shared_refusal(ifaddr(20, 2, 24, attr(2, other), attr(1, other)), ETH0)   # ip addr add on eth0
    assert shared_refusal(ifaddr(21, 2, 24, attr(2, own)), ETH0)                     # ip addr del of its own
    v6 = socket.inet_pton(socket.AF_INET6, "fe80::1")
    assert shared_refusal(ifaddr(20, 2, 64, attr(1, v6), family=socket.AF_INET6), ETH0)
    assert shared_refusal(ifaddr(20, 1, 32, attr(2, other)), ETH0)          # another member's, on lo
    assert shared_refusal(ifaddr(20, 5, 32, attr(2, other)), ETH0)          # or on a dummy
    wide = socket.inet_aton("10.9.9.9")
    assert shared_refusal(ifaddr(20, 1, 8, attr(2, wide)), ETH0)            # 10/8 on lo: all local
    assert shared_refusal(ifaddr(20, 1, 32, attr(2, wide)), ETH0) is None   # 10.9.9.9/32 on lo
    assert shared_refusal(ifaddr(20, 5, 8, attr(2, wide)), ETH0) is None    # a dummy's prefix is not local
    assert shared_refusal(ifaddr(21, 1, 32, attr(2, other)), ETH0) is None  # deleting elsewhere
    assert shared_refusal(ifaddr(20, 1, 128, attr(1, v6), family=socket.AF_INET6), ETH0) is None


def test_named_network_local_routes_and_proxy_neighbours():
    def rt(kind, dst, dst_len, rtype):
        head = struct.pack("=BBBBBBBBI", socket.AF_INET, dst_len, 0, 0, 255, 3, 254, rtype, 0)
        return msg(kind, head, attr(1, socket.inet_aton(dst)), attr(4, struct.pack("=i", 1)))
    assert shared_refusal(rt(24, "10.88.7.3", 32, 2), ETH0)                 # ip route add local ... table local
    assert shared_refusal(rt(24, "0.0.0.0", 0, 2), ETH0)                    # everything local
    assert shared_refusal(rt(24, "10.88.7.3", 32, 1), ETH0) is None         # a unicast route: its own traffic
    assert shared_refusal(rt(24, "10.9.0.0", 16, 2), ETH0) is None          # local, off the network
    assert shared_refusal(rt(25, "10.88.7.2", 32, 2), ETH0) is None         # deleting
    neigh = lambda kind, flags: msg(kind, struct.pack("=BxxxiHBB", socket.AF_INET, 2, 0x80, flags, 0),
                                    attr(1, socket.inet_aton("10.88.7.3")))
    assert shared_refusal(neigh(28, 0x08), ETH0)                            # ip neigh add proxy
    assert shared_refusal(neigh(28, 0), ETH0) is None                       # the guest's own cache
    assert shared_refusal(neigh(29, 0x08), ETH0) is None
