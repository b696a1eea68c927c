"""The guest PID namespace: guest ids for host threads, and back.

The first guest process is pid 1.  Every id that crosses the boundary goes
through here: syscall arguments (guest -> host) and results, /proc contents
and clone results (host -> guest).  An id that names no guest thread is not
translated to anything: callers turn that into ESRCH, so the guest can never
name a host process.

Process-group and session ids are pids of their (possibly dead) leaders, so
an id stays known after its thread has died until the guest reaps it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from umlpy.kernel.task import Process, Task


class PidNamespace:
    def __init__(self) -> None:
        self._next = 1
        self.tasks: dict[int, "Task"] = {}         # live threads by host tid
        self.by_guest: dict[int, "Task"] = {}      # live threads by guest tid
        self.processes: dict[int, "Process"] = {}  # live or zombie processes by guest pid
        self._h2g: dict[int, int] = {}             # every id handed out, host -> guest
        self._g2h: dict[int, int] = {}             # and guest -> host

    def alloc(self, host_id: int) -> int:
        gid = self._next
        self._next += 1
        old = self._h2g.get(host_id)
        if old is not None:                        # the host reused the number
            self._g2h.pop(old, None)
        self._h2g[host_id] = gid
        self._g2h[gid] = host_id
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

    def task(self, guest_tid: int) -> "Task | None":
        return self.by_guest.get(guest_tid)

    def live_pids(self) -> list[int]:
        return sorted(p.pid for p in self.processes.values() if p.alive)
