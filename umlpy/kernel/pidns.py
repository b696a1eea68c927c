"""The guest PID namespace: guest ids for host threads, and back.

The first guest process is pid 1.  On the host, the guest runs in a PID
namespace of its own (csrc/spawn.c), so the host kernel gives every guest
thread two ids: its host id, which the supervisor uses (ptrace, pidfds,
/proc), and its id in that namespace, which the guest's own native calls use
and return (wait4, kill, clone, SO_PEERCRED, siginfo).  The guest id *is*
the namespace id, as in a container: native calls need no translation, and
the guest kernel and the host kernel can never disagree about a number.
`to_native`/`from_native` are the translation at that boundary (the identity
with a namespace; host ids on a platform without one), `to_host`/`to_guest`
the one between guest ids and the supervisor's.  An id that names no guest
thread is not translated to anything: callers turn that into ESRCH, so the
guest can never name a host process.

Process-group and session ids are pids of their (possibly dead) leaders, so
an id stays known after its thread has died until the guest reaps it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from umlpy.kernel.task import Process, Task


class PidNamespace:
    def __init__(self) -> None:
        self._next = 1                             # guest ids on a platform with no namespace
        self.native_ids = True                     # guest ids are the host namespace's ids
        self.tasks: dict[int, "Task"] = {}         # live threads by host tid
        self.by_guest: dict[int, "Task"] = {}      # live threads by guest tid
        self.processes: dict[int, "Process"] = {}  # live or zombie processes by guest pid
        self._h2g: dict[int, int] = {}             # every id handed out, host -> guest
        self._g2h: dict[int, int] = {}             # and guest -> host
        self.last = 0                              # the id handed out last (/proc/loadavg)

    def alloc(self, host_id: int, native_id: int | None) -> int:
        """A guest id for new thread `host_id`: `native_id`, its id in the guest's host
        PID namespace; with none (a platform without that namespace), the next free one."""
        if not self._h2g:                          # init: it tells which platform this is
            self.native_ids = native_id is not None
        if native_id is None:
            # No namespace; or (never seen: a new thread is a zombie at worst,
            # and still has its /proc entry) its id could not be read: then
            # one above any PID namespace's range.
            gid = self._next if not self.native_ids else (1 << 22) + self._next
            self._next += 1
        else:
            gid = native_id
            stale = self._g2h.get(gid)             # the namespace reused the number
            if stale is not None and self._h2g.get(stale) == gid:
                del self._h2g[stale]
        old = self._h2g.get(host_id)
        if old is not None:                        # the host reused the number
            self._g2h.pop(old, None)
        self._h2g[host_id] = gid
        self._g2h[gid] = host_id
        self.last = gid
        return gid

    def add_task(self, task: "Task") -> None:
        self.tasks[task.host_tid] = task
        self.by_guest[task.tid] = task

    def remove_task(self, task: "Task") -> None:
        if self.tasks.get(task.host_tid) is task:
            del self.tasks[task.host_tid]
        if self.by_guest.get(task.tid) is task:
            del self.by_guest[task.tid]

    def rekey(self, task: "Task", new_host_tid: int, new_tid: int) -> None:
        """execve from a non-leader thread: it takes over the leader's ids."""
        self.remove_task(task)
        task.host_tid, task.tid = new_host_tid, new_tid
        self.add_task(task)

    def forget(self, guest_id: int) -> None:
        """A reaped process no longer names a process.

        Its id mapping stays (a process group or session outlives its
        leader) until the host reuses the number for a new guest thread.
        """
        self.processes.pop(guest_id, None)

    def to_guest(self, host_id: int) -> int:
        """Guest id of a host id; 0 for a host id outside the sandbox."""
        return self._h2g.get(host_id, 0)

    def to_host(self, guest_id: int) -> int | None:
        """Host id of a guest id; None if the guest id names nothing."""
        return self._g2h.get(guest_id)

    def to_native(self, guest_id: int) -> int | None:
        """The id a guest's own host call must carry for `guest_id`; None if it names nothing."""
        if guest_id not in self._g2h:
            return None
        return guest_id if self.native_ids else self._g2h[guest_id]

    def from_native(self, native_id: int) -> int:
        """The guest id of an id a guest's own host call returned; 0 if outside the sandbox."""
        return native_id if self.native_ids else self._h2g.get(native_id, 0)

    def task(self, guest_tid: int) -> "Task | None":
        return self.by_guest.get(guest_tid)

    def live_pids(self) -> list[int]:
        return sorted(p.pid for p in self.processes.values() if p.alive)
