"""/proc/sysvipc/{msg,sem,shm}: the reader's IPC namespace's System V IPC objects, with guest owners.

The objects are the host kernel's, in the sandbox's own IPC namespace, so the
host's /proc/sysvipc as seen from that namespace has the sizes, counts, times
and pids (kernel/ipc.py reads it); the guest kernel's records (the same
module) have the owners, modes, keys and which guest IPC namespace each
object is in.  As on Linux, the file lists the objects of the reader's IPC
namespace only.  Each line is the host's with the key (the guest's, in its
namespace), perms, uid, gid, cuid and cgid columns replaced by the guest's,
and every pid column translated to a guest pid, column widths kept.  An
object the guest kernel has no record of (none should exist) is left out.
"""
from __future__ import annotations

import re

from umlpy.kernel.ipc import INIT_NS, MSG, S_IRWXUGO, SEM, SHM, read_host_sysvipc

# Column indexes (0-based, whitespace-separated) in each file: key, id, perms, pid columns, owners.
COLUMNS = {
    SHM: {"key": 0, "id": 1, "perms": 2, "pids": (4, 5), "owners": 7},
    MSG: {"key": 0, "id": 1, "perms": 2, "pids": (5, 6), "owners": 7},
    SEM: {"key": 0, "id": 1, "perms": 2, "pids": (), "owners": 4},
}
HEADERS = {
    SHM: b"       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid"
         b"      atime      dtime      ctime                   rss                  swap\n",
    MSG: b"       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid"
         b"      stime      rtime      ctime\n",
    SEM: b"       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n",
}
FIELD = re.compile(r"\s*\S+")
SYSVIPC = (MSG, SEM, SHM)


def _replace(fields: list[str], i: int, value: str) -> None:
    """Put `value` in column i, right-aligned in the width the host gave it."""
    old = fields[i]
    fields[i] = value.rjust(len(old)) if len(value) < len(old) else " " + value


def sysvipc_file(kernel, kind: str) -> bytes:
    """The guest's /proc/sysvipc/`kind`, as the reading task's IPC namespace has it."""
    reg = kernel.sysvipc
    reader = getattr(kernel, "current_task", None)
    ns = reader.ns.ipc.id if reader is not None and reader.ns is not None else INIT_NS
    live = [p for p in kernel.pidns.processes.values() if p.alive]
    host = read_host_sysvipc(live[0].host_pid, kind) if live else None
    if not host:
        return HEADERS[kind]
    lines = host.decode(errors="replace").splitlines(keepends=True)
    out = [lines[0]]
    col = COLUMNS[kind]
    for line in lines[1:]:
        fields = FIELD.findall(line.rstrip("\n"))
        try:
            ident = int(fields[col["id"]])
            host_mode = int(fields[col["perms"]], 8)
        except (IndexError, ValueError):
            continue
        rec = reg.get(kind, ident)
        if rec is None or rec.ns != ns:
            continue
        _replace(fields, col["key"], str(rec.key))
        _replace(fields, col["perms"], "%o" % ((host_mode & ~S_IRWXUGO) | rec.mode))
        for i in col["pids"]:
            _replace(fields, i, str(kernel.pidns.to_guest(int(fields[i]))))
        for n, v in enumerate((rec.uid, rec.gid, rec.cuid, rec.cgid)):
            _replace(fields, col["owners"] + n, str(v))
        out.append("".join(fields) + "\n")
    return "".join(out).encode()
