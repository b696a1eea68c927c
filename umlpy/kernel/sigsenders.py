"""Who sent a signal: the guest uid that Linux writes into a siginfo when a signal
is generated (send_signal: si_uid is the sender's real uid), which the host kernel
writes as the one host uid every guest process runs as.

The pid beside it needs no help (the guest's PID namespace is the host's,
kernel/pidns.py), but the uid must be the guest's wherever a siginfo leaves the
host kernel for the guest: at a signal-delivery stop (Kernel.translate_siginfo),
in rt_sigtimedwait's result, and in what a read of a signalfd returns
(syscalls/signalfd.py).  Which codes carry a uid the host stamped:

  SI_USER, SI_TKILL  kill, tgkill, tkill, pidfd_send_signal: the sender's real uid
                     at the send.  Every such send by a guest process stops (they
                     name pids), so `sent` records the sender's uid then, by
                     (sender pid, signal): a sender that has since changed its uid,
                     exited or been reaped still gets the uid it sent with.
  SI_MESGQ           mq_notify's signal: the real uid of whoever sent the message
                     (mq_timedsend runs with no stop: its uid now).
  CLD_* of SIGCHLD   the child's real uid when it changed state (a child reaped
                     before its SIGCHLD is read: the uid it died with, `exited`).

SI_QUEUE, SI_ASYNCIO and the other negative codes of rt_sigqueueinfo carry the
sender's own words (glibc's sigqueue writes getuid(), the guest's), and
SI_KERNEL's uid is 0: those are left as they are.

A record says what the sender's uid was at its latest send of that signal, so
it is wrong only for a sender that sends the same signal again with another
real uid before the first is read.  Signals the supervisor sends for the guest
(kill(-1), a group holding guest init) and signals from outside the sandbox
have sender pid 0, and uid 0 here.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from umlpy.kernel.pidns import PidNamespace

SI_USER, SI_MESGQ, SI_TKILL = 0, -3, -6
SIGCHLD = 17
CLD_EXITED, CLD_CONTINUED = 1, 6
STAMPED = frozenset({SI_USER, SI_MESGQ, SI_TKILL})     # codes whose pid and uid the host stamps


def stamped(sig: int, code: int) -> bool:
    """Does a siginfo of signal `sig` with si_code `code` carry a sender pid and uid
    that the host kernel wrote (rather than the sender's own words)?"""
    return code in STAMPED or (sig == SIGCHLD and CLD_EXITED <= code <= CLD_CONTINUED)


class SignalSenders:
    """The uids senders had when they sent, and the last uid of reaped processes."""
    LIMIT = 4096        # entries kept of each kind, the oldest forgotten first

    def __init__(self) -> None:
        self._sent: OrderedDict[tuple[int, int], int] = OrderedDict()  # (native pid, sig) -> real uid
        self._gone: OrderedDict[int, int] = OrderedDict()              # guest pid -> real uid at exit

    def sent(self, native_pid: int, sig: int, ruid: int) -> None:
        """A guest process (`native_pid`, as siginfo names it) is sending `sig` as `ruid`."""
        if sig > 0:
            _put(self._sent, (native_pid, sig), ruid, self.LIMIT)

    def exited(self, pid: int, ruid: int) -> None:
        """Guest process `pid` has died with real uid `ruid` (its SIGCHLD may be read later)."""
        _put(self._gone, pid, ruid, self.LIMIT)

    def uid(self, pidns: "PidNamespace", sig: int, code: int, native_pid: int) -> int:
        """The guest uid a siginfo of `sig`/`code` from `native_pid` names (see `stamped`):
        the uid recorded at the send, else the sender's (or child's) real uid, else 0."""
        if code in (SI_USER, SI_TKILL):
            ruid = self._sent.get((native_pid, sig))
            if ruid is not None:
                return ruid
        guest = pidns.from_native(native_pid)
        proc = pidns.processes.get(guest)
        if proc is not None:
            return proc.creds.ruid
        return self._gone.get(guest, 0) if guest else 0


def _put(d: OrderedDict, key, value, limit: int) -> None:
    d[key] = value
    d.move_to_end(key)
    if len(d) > limit:
        d.popitem(last=False)
