"""The seccomp-BPF filter that decides which guest syscalls stop in Python.

Built from the syscall class table, in this order (see ARCHITECTURE.md):
1. any architecture other than x86-64 kills the process: `int 0x80` is an
   escape route.  A number with bit 30 set (the x32 ABI, and -1 or any other
   number past the table) stops, so that the guest kernel refuses it with
   ENOSYS and a trace line, as Linux without x32 does (issue 8): it never
   runs, because no row of the table has such a number;
2. the supervisor's private "magic" syscall number is handed to the
   user-notification listener: that is how the supervisor installs a
   descriptor in a guest's fd table (SECCOMP_IOCTL_NOTIF_ADDFD).  Only the
   thread the supervisor is expecting gets anything; a guest that makes the
   magic syscall itself just waits until it is refused with ENOSYS;
3. native-class syscalls are allowed (some only for harmless argument values);
4. everything else returns SECCOMP_RET_TRACE: one ptrace stop.
In strict mode step 3 is left out, so every syscall stops.
"""
from __future__ import annotations

import struct

from umlpy.platform.interface import ArgRule

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
MAGIC_NR = 0x3FFF0000          # no such syscall: only the supervisor injects it

RET_KILL_PROCESS = 0x80000000
RET_USER_NOTIF = 0x7FC00000
RET_TRACE = 0x7FF00000
RET_ALLOW = 0x7FFF0000

_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_RET_K = 0x06

OFF_NR, OFF_ARCH = 0, 4


def off_arg(i: int, high: bool = False) -> int:
    return 16 + 8 * i + (4 if high else 0)


class _Asm:
    """A tiny BPF assembler: forward jumps to labels, resolved at the end."""

    def __init__(self) -> None:
        self.code: list[tuple[int, object, object, int]] = []
        self.labels: dict[str, int] = {}

    def emit(self, op: int, k: int = 0, jt: object = 0, jf: object = 0) -> None:
        self.code.append((op, jt, jf, k))

    def label(self, name: str) -> None:
        self.labels[name] = len(self.code)

    def assemble(self) -> bytes:
        out = bytearray()
        for pc, (op, jt, jf, k) in enumerate(self.code):
            def rel(x: object) -> int:
                if isinstance(x, str):
                    d = self.labels[x] - pc - 1
                    if not 0 <= d <= 255:
                        raise ValueError(f"BPF jump to {x} out of range ({d})")
                    return d
                return int(x)
            out += struct.pack("<HBBI", op, rel(jt), rel(jf), k & 0xFFFFFFFF)
        return bytes(out)


_BUILT: dict[tuple, bytes] = {}


def build_filter(native: dict[int, ArgRule | None], *, strict: bool = False) -> bytes:
    """The filter program as bytes of struct sock_filter[].

    `native` maps syscall numbers that may run with no stop to an optional
    ArgRule.  Each program is assembled once per process (1 ms; a warm server
    assembles the default table's before it forks: api.warm_up).
    """
    key = (tuple(sorted(native.items())), strict)
    prog = _BUILT.get(key)
    if prog is None:
        prog = _BUILT[key] = _build_filter(native, strict=strict)
    return prog


def _build_filter(native: dict[int, ArgRule | None], *, strict: bool) -> bytes:
    a = _Asm()
    a.emit(_LD_W_ABS, OFF_ARCH)
    a.emit(_JEQ_K, AUDIT_ARCH_X86_64, 1, 0)
    a.emit(_RET_K, RET_KILL_PROCESS)
    a.emit(_LD_W_ABS, OFF_NR)
    a.emit(_JGE_K, X32_SYSCALL_BIT, 0, 1)
    a.emit(_RET_K, RET_TRACE)            # refused by the dispatcher: no row has it

    # The magic syscall goes to the user-notification listener.
    a.emit(_JEQ_K, MAGIC_NR, 0, 1)
    a.emit(_RET_K, RET_USER_NOTIF)

    if not strict:
        for n, (nr, rule) in enumerate(sorted(native.items())):
            nxt = f"n{n}"
            a.emit(_LD_W_ABS, OFF_NR)
            if rule is None:
                a.emit(_JEQ_K, nr, 0, 1)
                a.emit(_RET_K, RET_ALLOW)
                continue
            a.emit(_JEQ_K, nr, 0, nxt)
            match, other = (RET_ALLOW, RET_TRACE) if rule.allow else (RET_TRACE, RET_ALLOW)
            if rule.zero64:
                a.emit(_LD_W_ABS, off_arg(rule.arg))
                a.emit(_JEQ_K, 0, 0, f"t{n}")
                a.emit(_LD_W_ABS, off_arg(rule.arg, high=True))
                a.emit(_JEQ_K, 0, 0, f"t{n}")
                a.emit(_RET_K, match)
                a.label(f"t{n}")
                a.emit(_RET_K, other)
            else:
                a.emit(_LD_W_ABS, off_arg(rule.arg))
                for v in sorted(rule.values):
                    a.emit(_JEQ_K, v, f"m{n}", 0)
                a.emit(_RET_K, other)
                a.label(f"m{n}")
                a.emit(_RET_K, match)
            a.label(nxt)
    a.emit(_RET_K, RET_TRACE)
    return a.assemble()
