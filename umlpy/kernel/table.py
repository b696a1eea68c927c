"""The syscall class table: for every x86-64 syscall number, what the guest kernel does.

Four classes (ARCHITECTURE.md):
  emulate  served in Python; the host syscall is skipped
  rewrite  Python translates names/ids in arguments or result, the host runs it
  native   runs with no stop at all (seccomp allows it), maybe only for some
           argument values (an ArgRule); the rest stop and go to the handler
  deny     refused with an errno and one trace line

Handlers are registered with the `@syscall` decorator in the family modules
(fs, fd, process, signal, mm, ...).  Parameters are decoded from registers by
their annotation, so a handler reads like its man page:

    @syscall("chdir", EMULATE)
    def chdir(task, path: Path) -> int: ...

`int` is a C int (signed 32 bits), `Long` signed 64, `ULong`/`Ptr` unsigned
64, `Path` a NUL-terminated guest string (read before the call; a bad pointer
is EFAULT without calling the handler).  Every number with no entry is denied
with ENOSYS.
"""
from __future__ import annotations

import enum
import errno
import inspect
from dataclasses import dataclass, field
from typing import Callable, NewType

from umlpy.abi.errno import KernelError  # noqa: F401  (re-exported for handlers)
from umlpy.abi.numbers import NAMES, NUMBERS
from umlpy.platform.ptrace.seccomp import ArgRule


class SyscallClass(enum.Enum):
    EMULATE = "emulate"
    REWRITE = "rewrite"
    NATIVE = "native"
    DENY = "deny"


EMULATE, REWRITE, NATIVE, DENY = (SyscallClass.EMULATE, SyscallClass.REWRITE,
                                  SyscallClass.NATIVE, SyscallClass.DENY)


# Argument types, by annotation name (plain `int` is a C int).
Ptr = NewType("Ptr", int)        # a guest address
ULong = NewType("ULong", int)    # unsigned 64-bit
Long = NewType("Long", int)      # signed 64-bit
UInt = NewType("UInt", int)      # unsigned 32-bit


class Path(str):
    """Annotation: a NUL-terminated string in guest memory (read before the call)."""


def _s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def _s64(v: int) -> int:
    return v - (1 << 64) if v & (1 << 63) else v


DECODERS: dict[str, Callable[[int], int]] = {
    "int": _s32, "Long": _s64, "ULong": int, "Ptr": int,
    "UInt": lambda v: v & 0xFFFFFFFF,
}


@dataclass
class SyscallEntry:
    nr: int
    name: str
    cls: SyscallClass
    handler: Callable | None = None
    rule: ArgRule | None = None       # native only for these argument values
    deny_errno: int = errno.ENOSYS
    why: str = ""
    params: list[tuple[str, str]] = field(default_factory=list)   # (name, annotation)

    @property
    def summary(self) -> str:
        if self.why:
            return self.why
        doc = inspect.getdoc(self.handler) if self.handler else ""
        return doc.splitlines()[0] if doc else ""


TABLE: dict[int, SyscallEntry] = {}


def _entry(name: str) -> SyscallEntry:
    nr = NUMBERS[name]
    return TABLE.setdefault(nr, SyscallEntry(nr, name, DENY))


def syscall(name: str, cls: SyscallClass, *, rule: ArgRule | None = None,
            names: tuple[str, ...] = ()):
    """Register the decorated function as the handler of `name` (and aliases in `names`)."""
    def register(fn: Callable) -> Callable:
        sig = inspect.signature(fn)
        params = [(p.name, _annotation_name(p.annotation, p.empty))
                  for p in list(sig.parameters.values())[1:]]
        for n in (name, *names):
            e = _entry(n)
            e.cls, e.handler, e.rule, e.params = cls, fn, rule, params
        return fn
    return register


def _annotation_name(ann, empty) -> str:
    """'int', 'Path', ... whether annotations are strings (PEP 563) or the objects."""
    if ann is empty:
        return "ULong"
    return ann if isinstance(ann, str) else getattr(ann, "__name__", str(ann))


def native(*names: str, rule: ArgRule | None = None, why: str = "") -> None:
    """Declare syscalls that run natively: descriptors and memory the guest already owns."""
    for n in names:
        e = _entry(n)
        e.cls, e.rule, e.why = NATIVE, rule, why


def deny(*names: str, err: int = errno.ENOSYS, why: str) -> None:
    """Declare syscalls the guest may not make: `err` and one trace line."""
    for n in names:
        e = _entry(n)
        e.cls, e.deny_errno, e.why, e.handler = DENY, err, why, None


def lookup(nr: int) -> SyscallEntry:
    e = TABLE.get(nr)
    if e is None:
        why = "no handler" if nr in NAMES else "no such syscall on x86-64"
        e = SyscallEntry(nr, NAMES.get(nr, f"syscall_{nr}"), DENY, why=why)
    return e


def native_numbers() -> dict[int, ArgRule | None]:
    """What the seccomp filter lets through with no stop."""
    return {e.nr: e.rule for e in TABLE.values() if e.cls is NATIVE}


def full_table() -> list[SyscallEntry]:
    """Every syscall number the kernel knows, with its class (for `umlpy syscalls`)."""
    return [lookup(nr) for nr in range(max(NAMES) + 1)]
