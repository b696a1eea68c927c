"""Run in a scratch user and network namespace (`unshare -rn`), by
tests/test_network_named.py: a bridge with two member ports under a named network's
filter (kernel/network.py `bridge_ruleset`), member A at 10.88.1.2 and B at 10.88.1.3.
Frames are sent from A's side by a packet socket, some with A's own sources and some
forged; prints the names of those that reach B's side."""
from __future__ import annotations

import socket
import struct
import subprocess
import time

from umlpy.kernel.network import bridge_ruleset, nft

A, B = bytes.fromhex("02420a580102"), bytes.fromhex("02420a580103")
IPA, IPB = socket.inet_aton("10.88.1.2"), socket.inet_aton("10.88.1.3")
BROADCAST = b"\xff" * 6
ETH_P_ALL = 3


def sh(argv: list[str], script: str) -> None:
    subprocess.run(argv, input=script, text=True, check=True)


def arp(sha: bytes, spa: bytes, tag: bytes) -> bytes:
    """An ARP request for B's address, from sha/spa."""
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, sha, spa, bytes(6), IPB) + tag


def ipv4(src: bytes, tag: bytes) -> bytes:
    """An IPv4 broadcast (protocol 253, for experiments) with a right header checksum
    (br_netfilter, if loaded, drops a bad one before any rule sees it)."""
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tag), 0, 0, 64, 253, 0, src, b"\xff" * 4)
    total = sum(struct.unpack("!10H", hdr))
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    return hdr[:10] + struct.pack("!H", ~total & 0xFFFF) + hdr[12:] + tag


def ipv6(src: str, tag: bytes) -> bytes:
    return struct.pack("!IHBB16s16s", 6 << 28, len(tag), 253, 64, socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, "ff02::1")) + tag


FRAMES = {                                  # name: (source MAC, ethertype, payload ending in its tag)
    "arp-own": (A, 0x0806, arp(A, IPA, b"tag01")),
    "arp-forged-ip": (A, 0x0806, arp(A, IPB, b"tag02")),
    "arp-forged-mac": (A, 0x0806, arp(B, IPA, b"tag03")),
    "src-mac-forged": (B, 0x0806, arp(B, IPB, b"tag04")),
    "ip-own": (A, 0x0800, ipv4(IPA, b"tag05")),
    "ip-forged": (A, 0x0800, ipv4(IPB, b"tag06")),
    "ip6-linklocal": (A, 0x86DD, ipv6("fe80::42:aff:fe58:102", b"tag07")),
    "ip6-global": (A, 0x86DD, ipv6("2001:db8::1", b"tag08")),
    "other-ethertype": (A, 0x88B5, b"tag09"),
}


def main() -> None:
    sh(["ip", "-batch", "-"], "link set lo up\nlink add br0 type bridge\nlink set br0 up\n"
       "link add um1x2 type veth peer name pa address 02:42:0a:58:01:02\n"
       "link add um1x3 type veth peer name pb address 02:42:0a:58:01:03\n"
       "link set um1x2 master br0 up\nlink set um1x3 master br0 up\nlink set pa up\nlink set pb up\n")
    sh([nft(), "-f", "-"], bridge_ruleset() +
       'add element bridge umlpy mac { "um1x2" . 02:42:0a:58:01:02, "um1x3" . 02:42:0a:58:01:03 }\n'
       'add element bridge umlpy ip4 { "um1x2" . 10.88.1.2, "um1x3" . 10.88.1.3 }\n')
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    rx.bind(("pb", 0))
    rx.settimeout(0.2)
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    for src, ethertype, body in FRAMES.values():
        tx.sendto(BROADCAST + src + struct.pack("!H", ethertype) + body, ("pa", 0))
    seen = set()
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        try:
            frame = rx.recv(2048)
        except socket.timeout:
            continue
        seen |= {name for name, (_s, _e, body) in FRAMES.items() if body[-5:] in frame}
    print(" ".join(sorted(seen)))


if __name__ == "__main__":
    main()
