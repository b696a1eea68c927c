"""/proc/net and /proc/PID/net: the network namespace's own files, from the host.

/proc/net is a link to self/net, as on Linux.  The guest's network namespace
is a real one (guest init unshares it), so the host kernel's view of it,
read through the process's own host /proc/<host pid>/net, is the guest's
truth, and the files are copied as they are.  One host fact shows through:
the uid column of tcp, udp and raw is the host's (65534), not the guest's.
Only the files in NET_FILES are served (no netlink or packet).  In `unix`,
a socket the guest bound to a path is known to the host by the supervisor's
alias of it (/proc/self/fd/N/NAME: syscalls/net.py), so that column is
shown as the guest's path.
"""
from __future__ import annotations

import errno

from umlpy.fsimpl.procfs.nodes import Node, View, dir_node, file_node, read_host
from umlpy.vfs.fs import DT_REG, fail

NET_FILES = ("dev", "if_inet6", "route", "ipv6_route", "tcp", "tcp6", "udp", "udp6",
             "raw", "raw6", "snmp", "netstat", "sockstat", "sockstat6", "arp", "unix")


def net_node(view: View, rest: list[str], owner: dict) -> Node:
    """The node at `rest` below /proc/PID/net."""
    if not rest:
        return dir_node(lambda: [(n, DT_REG) for n in NET_FILES], **owner)
    if len(rest) != 1 or rest[0] not in NET_FILES:
        raise fail(errno.ENOENT)
    host = f"/proc/{view.proc.host_pid}/net/{rest[0]}"
    if rest[0] == "unix" and view.task is not None:
        names = view.task.kernel.unix_names
        return file_node(lambda: _unix_paths(read_host(host) or b"", names), **owner)
    return file_node(lambda: read_host(host) or b"", **owner)


def _unix_paths(text: bytes, names: dict) -> bytes:
    """/proc/net/unix with each supervisor alias (the Path column) as the guest's path."""
    out = []
    for line in text.split(b"\n"):
        fields = line.split(b" ")
        alias = fields[-1].decode(errors="replace") if len(fields) > 7 else ""
        if alias.startswith("/proc/self/fd/") and alias in names:
            line = line[: len(line) - len(fields[-1])] + names[alias][0].encode()
        out.append(line)
    return b"\n".join(out)
