"""Stop filters the guest kernel stacks on one task: the layer that turns a call the
class table runs natively into one that stops, for a task that needs it.

The supervisor's seccomp filter is one program for the whole sandbox: a call is
native for everyone or stops for everyone.  Some native calls need the guest
kernel only in some tasks, or only on some fds: msgsnd in a task of a nested IPC
namespace (kernel/ipc.py), read on a signalfd (its ssi_uid is the host's),
recvmsg on a unix socket (its sender's name and credentials are the host's).
Making them stop everywhere would cost every other caller a stop (about 14 us,
against 0.2-2 us native).  Instead the guest kernel injects, in the task's own
context, a second seccomp program that answers SECCOMP_RET_TRACE for just those
calls (and, for a rule with fds, only when the first argument is one of them).
Linux runs every stacked filter and takes the most restrictive answer, so the
rest stays decided by the supervisor's filter.  The filter is inherited by the
task's later threads and children and kept across execve, as Linux keeps
filters; it cannot be removed, so a stale rule (the fd closed and reused) costs
only stops, and the row's `checked` handler (kernel/table.py `native`) finds
nothing to do and lets the call run.

The host thread already has no_new_privs (the supervisor's filter needed it), so
seccomp(2) needs no privilege.  The guest's own view of its seccomp state
(syscalls/procattr.py) is unchanged.  Each program is small: Linux allows 32768
instructions, counted with 4 more per filter, over all of a task's filters.
"""
from __future__ import annotations

import errno
import struct
from collections.abc import Iterable, Iterator, Mapping

from umlpy.abi.errno import KernelError
from umlpy.abi.numbers import NUMBERS
from umlpy.kernel.requests import Inject

AUDIT_ARCH_X86_64 = 0xC000003E
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_TSYNC = 1
RET_TRACE, RET_ALLOW = 0x7FF00000, 0x7FFF0000
_LD_W_ABS, _JEQ_K, _RET_K = 0x20, 0x15, 0x06
_ARCH, _NR, _ARG0 = 4, 0, 16          # offsets in struct seccomp_data (arg0's low 32 bits)


def program(calls: Iterable[str] = (), on_fds: Mapping[str, Iterable[int]] | None = None) -> bytes:
    """A seccomp program (struct sock_filter[]) that makes `calls` stop for the tracer,
    and each call of `on_fds` stop when its first argument is one of the fds given;
    everything else is allowed (left to the supervisor's filter).  Another
    architecture is allowed here too: the supervisor's filter kills it."""
    plain = [NUMBERS[c] for c in calls]
    by_fd = [(NUMBERS[c], sorted(set(fds))) for c, fds in (on_fds or {}).items()]
    # Layout (BPF jumps only forward): arch check, load nr, one jeq per plain call (to
    # TRACE), one jeq per fd call (to its block), ALLOW; per fd call a block: load arg0,
    # one jeq per fd (to TRACE), ALLOW; last, TRACE.
    allow = 3 + len(plain) + len(by_fd)
    blocks, at = [], allow + 1
    for _, fds in by_fd:
        blocks.append(at)
        at += 2 + len(fds)
    trace = at
    prog: list[tuple[int, int, int, int]] = []

    def jeq(k: int, target: int) -> tuple[int, int, int, int]:
        here = len(prog)
        off = target - here - 1
        if not 0 <= off <= 255:
            raise ValueError("stop filter too long for a single jump")
        return (_JEQ_K, off, 0, k)

    prog.append((_LD_W_ABS, 0, 0, _ARCH))
    prog.append((_JEQ_K, 0, allow - 2, AUDIT_ARCH_X86_64))
    prog.append((_LD_W_ABS, 0, 0, _NR))
    for nr in plain:
        prog.append(jeq(nr, trace))
    for (nr, _), block in zip(by_fd, blocks):
        prog.append(jeq(nr, block))
    prog.append((_RET_K, 0, 0, RET_ALLOW))
    for _, fds in by_fd:
        prog.append((_LD_W_ABS, 0, 0, _ARG0))
        for fd in fds:
            prog.append(jeq(fd & 0xFFFFFFFF, trace))
        prog.append((_RET_K, 0, 0, RET_ALLOW))
    prog.append((_RET_K, 0, 0, RET_TRACE))
    return b"".join(struct.pack("<HBBI", op, jt, jf, k) for op, jt, jf, k in prog)


def install(task, prog: bytes, what: str, *, every_thread: bool = False) -> Iterator[object]:
    """Install `prog` (from `program`) in the calling thread: a generator of Inject
    requests, for a handler to `yield from` at a stop of `task`.  `what` names the
    filter in the error: ENOMEM when no scratch page can be mapped in the guest,
    the seccomp(2) errno when Linux refuses it.

    `every_thread`: in every thread of the process (SECCOMP_FILTER_FLAG_TSYNC), for
    a filter about an fd, which every thread shares.  Linux refuses that when a
    thread has a filter the caller has not (it entered an IPC namespace alone,
    say); then the filter goes on the calling thread only.  The generator's
    value: whether every thread has it."""
    addr = yield Inject(NUMBERS["mmap"], (0, 4096, 3, 0x22, (1 << 64) - 1, 0))
    if addr < 0 or addr >= (1 << 63):
        raise KernelError(errno.ENOMEM, f"no scratch page for {what}'s seccomp filter")
    synced = every_thread
    try:
        task.write(addr + 16, prog)
        task.write(addr, struct.pack("<H6xQ", len(prog) // 8, addr + 16))    # struct sock_fprog
        flags = SECCOMP_FILTER_FLAG_TSYNC if every_thread else 0
        r = yield Inject(NUMBERS["seccomp"], (SECCOMP_SET_MODE_FILTER, flags, addr))
        if r > 0:                      # the tid of a thread on another filter tree
            synced = False
            r = yield Inject(NUMBERS["seccomp"], (SECCOMP_SET_MODE_FILTER, 0, addr))
    except KernelError:
        r = -errno.EFAULT
    yield Inject(NUMBERS["munmap"], (addr, 4096))
    if r < 0:
        raise KernelError(-r, f"installing {what}'s seccomp filter failed")
    return synced
