"""signalfd(2): the host's signalfd, with its readers shown the senders' guest uids.

The descriptor is the host kernel's (signalfd, signalfd4 run in the guest's
context), and so is every read of it.  But each struct signalfd_siginfo it
returns names its sender's uid as the host stamped it, the one host uid every
guest runs as (kernel/sigsenders.py).  So when a guest makes a signalfd, the
guest kernel stacks a stop filter (kernel/stopfilter.py) on the process, in
every thread: read, readv and preadv2 of that fd number stop, and so do dup,
dup2 and dup3 of it (a copy is another number to watch).  Every other call, and
these calls on every other fd, still run with no stop.

The read handlers below serve those stops: if the fd is (still) a signalfd, the
host reads, and at the exit stop each record's ssi_uid becomes the guest uid
Linux would have written.  A filter cannot be taken back, so after the signalfd
is closed its number still stops (and is read natively once seen not to be a
signalfd): a stale filter costs stops, never a wrong answer.

Linux reads a signalfd only by read(2) and readv(2) (and preadv2 at offset -1,
which is readv); pread64 and preadv are ESPIPE (no FMODE_PREAD), splice,
sendfile and copy_file_range are EINVAL or ESPIPE, and io_uring is refused by
the table.  Not followed: fcntl(F_DUPFD) copies (fcntl runs natively unless it
names an owner), a signalfd received over a unix socket or taken with
pidfd_getfd (its receiver has no filter until it calls signalfd() on it), and
a process sharing the fd table without being a thread (clone(CLONE_FILES)):
these read the host's uid.
"""
from __future__ import annotations

import os
import struct
from collections.abc import Iterator

from umlpy.abi.errno import KernelError
from umlpy.abi.numbers import NUMBERS
from umlpy.kernel import stopfilter
from umlpy.kernel.requests import Inject, Native
from umlpy.kernel.sigsenders import stamped
from umlpy.kernel.table import NATIVE, REWRITE, Long, Ptr, ULong, syscall

SIGINFO_SIZE = 128                  # struct signalfd_siginfo
_HEAD = struct.Struct("<IiiII")     # ssi_signo, ssi_errno, ssi_code, ssi_pid, ssi_uid
_IOVEC = struct.Struct("<QQ")
UIO_MAXIOV = 1024
WATCHED = ("read", "readv", "preadv2", "dup", "dup2", "dup3", "fcntl")     # fcntl: F_DUPFD


# ------------------------------------------------------------- making one
@syscall("signalfd4", REWRITE, names=("signalfd",))
def signalfd4(task, fd: int):
    """signalfd(2), signalfd4(2): the host makes (or, given a signalfd, changes) it; then
    its reads stop, so that they name the senders' guest uids.  A new signalfd whose
    filter cannot be installed is closed again (ENOMEM)."""
    call = task.call
    r = yield Inject(call.nr, call.args)
    if r < 0:
        return r
    try:
        yield from watch(task, r)
    except KernelError:
        if fd == -1:                    # nothing has changed: undo the new descriptor
            yield Inject(NUMBERS["close"], (r,))
            raise
    return r


def watch(task, fd: int) -> Iterator[object]:
    """Make read/readv/preadv2/dup* of `fd` stop in every thread of the caller's
    process (and its later children), unless they already do."""
    proc = task.process
    if fd in proc.signalfd_stops:
        return
    prog = stopfilter.program(on_fds={name: [fd] for name in WATCHED})
    synced = yield from stopfilter.install(task, prog, "signalfd", every_thread=True)
    if synced:                          # this thread alone: a later call here installs again
        proc.signalfd_stops = proc.signalfd_stops | {fd}


def is_signalfd(task, fd: int) -> bool:
    """Is the caller's `fd` a signalfd now?"""
    try:
        return os.readlink(f"/proc/{task.host_tid}/fd/{fd}") == "anon_inode:[signalfd]"
    except (OSError, ValueError):
        return False


# --------------------------------------------------------- reading one
# These serve read, readv and preadv2 when they stop: on an fd a filter above
# watches, or for every fd in strict mode.  Anything but a signalfd runs as it is.
@syscall("read", NATIVE)
def read(task, fd: int, buf: Ptr, count: ULong):
    """read(2) of a signalfd: each signalfd_siginfo names its sender's guest uid."""
    if not is_signalfd(task, fd):
        return Native()
    return Native(then=lambda r: _fix(task, [(buf, count)], r))


@syscall("readv", NATIVE)
def readv(task, fd: int, iov: Ptr, iovcnt: int):
    """readv(2) of a signalfd: as read(2); a record may span iovecs."""
    if not is_signalfd(task, fd):
        return Native()
    return Native(then=lambda r: _fix(task, _iovecs(task, iov, iovcnt, r), r))


@syscall("preadv2", NATIVE)
def preadv2(task, fd: int, iov: Ptr, iovcnt: int, pos: Long):
    """preadv2(2) of a signalfd: at offset -1 (the current position) it is readv(2);
    any other offset is the host's ESPIPE."""
    if pos != -1 or not is_signalfd(task, fd):
        return Native()
    return Native(then=lambda r: _fix(task, _iovecs(task, iov, iovcnt, r), r))


def _iovecs(task, iov: int, iovcnt: int, r: int) -> list[tuple[int, int]]:
    """The (base, len) pairs of a readv that returned `r` (none if it failed)."""
    if r <= 0 or not 0 < iovcnt <= UIO_MAXIOV:
        return []
    try:
        raw = task.read(iov, iovcnt * _IOVEC.size)
    except KernelError:
        return []
    return list(_IOVEC.iter_unpack(raw))


def _fix(task, chunks: list[tuple[int, int]], r: int) -> int:
    """At the exit stop of a read of `r` bytes into `chunks`: each signalfd_siginfo
    whose sender's ids the host stamped gets the guest's pid and the guest uid
    (kernel/sigsenders.py).  A result that is not whole records is left alone."""
    if r <= 0 or r % SIGINFO_SIZE or not chunks:
        return r
    try:
        data = _gather(task, chunks, r)
    except KernelError:
        return r
    k = task.kernel
    for at in range(0, r, SIGINFO_SIZE):
        signo, _, code, pid, uid = _HEAD.unpack_from(data, at)
        if not 0 < signo <= 64 or not stamped(signo, code):
            continue
        guest_pid = k.pidns.from_native(pid)
        guest_uid = k.senders.uid(k.pidns, signo, code, pid)
        if (guest_pid, guest_uid) != (pid, uid):
            _scatter(task, chunks, at + 12, struct.pack("<II", guest_pid, guest_uid))
    return r


def _gather(task, chunks: list[tuple[int, int]], n: int) -> bytes:
    """The first `n` bytes read into `chunks`."""
    out = bytearray()
    for base, length in chunks:
        if len(out) >= n:
            break
        take = min(length, n - len(out))
        if take:
            out += task.read(base, take)
    return bytes(out)


def _scatter(task, chunks: list[tuple[int, int]], offset: int, data: bytes) -> None:
    """Write `data` at byte `offset` of what was read into `chunks`."""
    for base, length in chunks:
        if offset >= length:
            offset -= length
            continue
        part = data[:length - offset]
        try:
            task.write(base + offset, part)
        except KernelError:
            return
        data, offset = data[len(part):], 0
        if not data:
            return


# --------------------------------------------------------- copying one
@syscall("dup", NATIVE, names=("dup2", "dup3"))
def dup(task, oldfd: int):
    """dup(2), dup2(2), dup3(2) of a signalfd: the copy's reads stop too.  (Should that
    filter fail, the copy still stands, reading the host's uid.)"""
    if not is_signalfd(task, oldfd):
        return Native()
    return _dup_watched(task)


def dup_watched(task, fd: int):
    """fcntl(F_DUPFD, F_DUPFD_CLOEXEC) of `fd` (syscalls/fd.py): if it is a signalfd, its
    copy's reads stop too; None for any other fd (the call runs as it is)."""
    return _dup_watched(task) if is_signalfd(task, fd) else None


def _dup_watched(task):
    call = task.call
    r = yield Inject(call.nr, call.args)
    if r >= 0:
        try:
            yield from watch(task, r)
        except KernelError:
            pass
    return r
