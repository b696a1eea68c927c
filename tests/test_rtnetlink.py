"""Guest root configures the sandbox's own network over rtnetlink (syscalls/rtnetlink.py):
iproute2's `ip` from the Debian rootfs and busybox's `ip` from the default one, as
root and rootless.  Every change is read back with the same tools; a guest user
without CAP_NET_ADMIN and a link kind that could reach outside the namespace get
"Operation not permitted"; the host's own interfaces, addresses and routes are the
same before and after.
"""
from __future__ import annotations

import subprocess

import pytest

from conftest import debian_rootfs
from umlpy import Sandbox


def _host_net() -> str:
    out = []
    for args in (["ip", "-o", "link"], ["ip", "-o", "addr"], ["ip", "route"], ["ip", "-6", "route"]):
        out.append(subprocess.run(args, capture_output=True, text=True).stdout)
    return "\n".join(out)


@pytest.fixture(scope="module")
def debian():
    return debian_rootfs("ip")


def _run(root, script: str, **kw):
    return Sandbox(root, **kw).run(["sh", "-c", script], capture_output=True, text=True, timeout=120)


IPROUTE2 = """
ip link set lo down; echo down=$?; ip -o link show lo | grep -o '<[^>]*>'
ip link set lo up; echo up=$?; ip -o link show lo | grep -o '<[^>]*>'
ip link set lo mtu 1400; ip -o link show lo | grep -o 'mtu [0-9]*'
ip addr add 10.9.9.9/32 dev lo; echo addr=$?; ip -o addr show lo | grep -c 10.9.9.9
ip route add 10.8.0.0/16 dev lo; echo route=$?; ip route show 10.8.0.0/16
ip route get 10.8.1.1 | grep -o 'dev lo'
ip addr add 10.9.9.9/32 dev lo; echo again=$?
ip route del 10.8.0.0/16 dev lo; echo unroute=$?; ip route show 10.8.0.0/16 | wc -l
ip addr del 10.9.9.9/32 dev lo; echo unaddr=$?; ip -o addr show lo | grep -c 10.9.9.9
ip -6 addr add 2001:db8::9/128 dev lo; echo addr6=$?; ip -6 -o addr show lo | grep -c 2001:db8::9
ip link set lo mtu 65536
"""


def test_iproute2_configures_lo_and_reads_it_back(debian):
    before = _host_net()
    r = _run(debian, IPROUTE2)
    assert r.stdout.split() == [
        "down=0", "<LOOPBACK>", "up=0", "<LOOPBACK,UP,LOWER_UP>", "mtu", "1400",
        "addr=0", "1", "route=0", "10.8.0.0/16", "dev", "lo", "scope", "link", "dev", "lo",
        "again=2", "unroute=0", "0", "unaddr=0", "0", "addr6=0", "1"], r.stderr
    assert r.stderr.strip() == "Error: ipv4: Address already assigned."   # the kernel's EEXIST, extended ack
    assert _host_net() == before


def test_ip_addr_flush_sends_without_an_address(debian):
    """`ip addr flush` sends its deletions with send(2): no destination address at all."""
    before = _host_net()
    r = _run(debian, "ip addr add 10.9.9.1/32 dev lo; ip addr add 10.9.9.2/32 dev lo; "
                     "ip -o -4 addr show lo | wc -l; ip addr flush dev lo to 10.9.9.0/24; "
                     "echo flush=$?; ip -o -4 addr show lo | wc -l; ip -o -4 addr show lo | grep -o 127.0.0.1")
    assert r.stdout.split() == ["3", "flush=0", "1", "127.0.0.1"], r.stderr
    assert _host_net() == before


def test_refused_kinds_and_attributes_are_eperm(debian):
    """Link kinds other than dummy, moving a link to another namespace, qdiscs: EPERM,
    what an unprivileged Linux caller gets.  A dummy is made if the host kernel has the
    kind (this one may not: then Linux's own "Unknown device type")."""
    before = _host_net()
    r = _run(debian, "ip link add v0 type vxlan id 5 dstport 4789; echo vxlan=$?; "
                     "ip link add v1 type veth peer name v2; echo veth=$?; "
                     "ip link set lo netns 1; echo netns=$?; "
                     "ip -o link | grep -c -e v0 -e v1; "
                     "ip link add d0 type dummy && ip -d -o link show d0 | grep -o dummy && "
                     "ip link set d0 up && ip link del d0 && echo dummy gone")
    lines = r.stdout.split()
    assert lines[:4] == ["vxlan=2", "veth=2", "netns=2", "0"], r.stderr
    assert r.stderr.count("RTNETLINK answers: Operation not permitted") == 3
    assert lines[4:] == ["dummy", "dummy", "gone"] or "Error: Unknown device type." in r.stderr
    assert _host_net() == before


def test_a_guest_user_without_cap_net_admin_gets_eperm(debian):
    r = _run(debian, "ip link set lo down; echo $?; ip addr add 10.9.9.9/32 dev lo; echo $?; "
                     "ip route add 10.8.0.0/16 dev lo; echo $?; ip -o link show lo | grep -o '<[^>]*>'",
             user=1000)
    assert r.stdout.split() == ["2", "2", "2", "<LOOPBACK,UP,LOWER_UP>"]
    assert r.stderr.count("RTNETLINK answers: Operation not permitted") == 3


def test_busybox_ip_addresses_and_routes(rootfs):
    before = _host_net()
    r = _run(rootfs, "ip 2>&1 | head -1 | grep -o BusyBox; "
                     "ip addr add 10.9.9.9/32 dev lo; echo addr=$?; ip addr show lo | grep -c 10.9.9.9; "
                     "ip route add 10.8.0.0/16 dev lo; echo route=$?; ip route | grep -c 10.8.0.0/16; "
                     "ip route del 10.8.0.0/16 dev lo; ip addr del 10.9.9.9/32 dev lo; echo del=$?; "
                     "ip addr show lo | grep -c 10.9.9.9; ip route | grep -c 10.8.0.0/16; "
                     "ip link add v0 type vxlan id 5; echo vxlan=$?")
    assert r.stdout.split() == ["BusyBox", "addr=0", "1", "route=0", "1", "del=0", "0", "0",
                                "vxlan=2"], r.stderr
    assert "Operation not permitted" in r.stderr
    assert _host_net() == before
