"""Guest root configures the sandbox's own network namespace (syscalls/netdev.py),
never the host's: the supervisor's socket for it lives in the guest's namespace.

The host's interfaces, addresses and routes are compared before and after a
guest that takes lo down and up, changes its MTU, adds an address and a
route, and tries the host's own interface names.
"""
from __future__ import annotations

import subprocess

from umlpy import Sandbox


def _host_net() -> str:
    out = []
    for args in (["ip", "-o", "link"], ["ip", "-o", "addr"], ["ip", "route"], ["ip", "-6", "route"]):
        out.append(subprocess.run(args, capture_output=True, text=True).stdout)
    return "\n".join(out)


def _host_ifnames() -> list[str]:
    lines = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout.splitlines()
    return [line.split(":")[1].strip().split("@")[0] for line in lines]


def test_guest_root_configures_its_own_interfaces_only(rootfs):
    before = _host_net()
    names = " ".join(n for n in _host_ifnames() if n != "lo")
    script = (
        "ip link set lo down; echo down=$?; ip link set lo up; "
        "ifconfig lo mtu 1280; echo mtu=$?; "
        "ifconfig lo:3 192.0.2.3 netmask 255.255.255.255 up; echo alias=$?; "
        "route add -net 198.51.100.0 netmask 255.255.255.0 dev lo; echo route=$?; "
        f"for n in {names}; do ip link set $n down 2>/dev/null && echo reached $n; done; "
        "ip -o link show lo | grep -o 'mtu [0-9]*'; ip -o addr | grep -c 192.0.2.3"
    )
    r = Sandbox(rootfs).run(["sh", "-c", script], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["down=0", "mtu=0", "alias=0", "route=0", "mtu 1280", "1"]
    assert _host_net() == before


def test_an_ordinary_guest_user_may_not(rootfs):
    r = Sandbox(rootfs, user=1000).run(["sh", "-c", "ip link set lo down; echo $?; ifconfig lo mtu 1280"],
                                      capture_output=True, text=True)
    assert r.stdout.splitlines()[0] == "2"
    assert "Operation not permitted" in r.stderr
