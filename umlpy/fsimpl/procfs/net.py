"""/proc/net and /proc/PID/net: the network namespace's own files, from the host.

/proc/net is a link to self/net, as on Linux.  The guest's network namespace
is a real one (guest init unshares it), so the host kernel's view of it,
read through the process's own host /proc/<host pid>/net, is the guest's
truth, and the files are copied as they are.  One host fact shows through:
the uid column of tcp, udp and raw is the host's (65534), not the guest's.
Only the files in NET_FILES are served (no unix, netlink or packet).
"""
from __future__ import annotations

import errno

from umlpy.fsimpl.procfs.nodes import Node, View, dir_node, file_node, read_host
from umlpy.vfs.fs import DT_REG, fail

NET_FILES = ("dev", "if_inet6", "route", "ipv6_route", "tcp", "tcp6", "udp", "udp6",
             "raw", "raw6", "snmp", "netstat", "sockstat", "sockstat6", "arp")


def net_node(view: View, rest: list[str], owner: dict) -> Node:
    """The node at `rest` below /proc/PID/net."""
    if not rest:
        return dir_node(lambda: [(n, DT_REG) for n in NET_FILES], **owner)
    if len(rest) != 1 or rest[0] not in NET_FILES:
        raise fail(errno.ENOENT)
    host = f"/proc/{view.proc.host_pid}/net/{rest[0]}"
    return file_node(lambda: read_host(host) or b"", **owner)
