"""The syscall class table: for every x86-64 syscall number, what the guest kernel does.

Four classes (ARCHITECTURE.md):
  emulate  served in Python; the host syscall is skipped
  rewrite  Python translates names/ids in arguments or result, the host runs it
  native   runs with no stop at all (seccomp allows it), maybe only for some
           argument values (an ArgRule); the rest stop and go to the handler
  deny     refused with an errno and one trace line

and three support levels, so that nobody mistakes a stand-in for the real thing:
  full     does what Linux does
  partial  works, with a documented difference (the row's note)
  error    always fails with the row's errno (the deny class)

This module is the table's *type*: rows, the `@syscall` decorator that marks a
handler beside its code, and `SyscallTable`, which dispatch, the seccomp
filter, `umlpy syscalls`, the trace and the run report all read.  The table
itself, as data in number order, is umlpy/syscalls/linux64.py.

Parameters are decoded from registers by their annotation, so a handler
reads like its man page:

    @syscall("chdir", EMULATE)
    def chdir(task, path: Path) -> int: ...

`int` is a C int (signed 32 bits), `Long` signed 64, `ULong`/`Ptr` unsigned
64, `UInt` unsigned 32, `Path` a NUL-terminated guest string (read before the
call; a bad pointer is EFAULT without calling the handler).  An annotation
outside these is refused when the handler is defined.
"""
from __future__ import annotations

import enum
import errno
import inspect
from dataclasses import dataclass
from typing import Callable, NewType

from umlpy.abi.numbers import NAMES
from umlpy.platform.interface import ArgRule


class SyscallClass(enum.Enum):
    EMULATE = "emulate"
    REWRITE = "rewrite"
    NATIVE = "native"
    DENY = "deny"


EMULATE, REWRITE, NATIVE, DENY = (SyscallClass.EMULATE, SyscallClass.REWRITE,
                                  SyscallClass.NATIVE, SyscallClass.DENY)


class Support(enum.Enum):
    FULL = "full"
    PARTIAL = "partial"
    ERROR = "error"


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


@dataclass(frozen=True)
class HandlerSpec:
    """What `@syscall` records beside a handler: the calls it serves, how, its parameters."""
    names: tuple[str, ...]
    cls: SyscallClass
    rule: ArgRule | None
    params: tuple[tuple[str, str], ...]      # (name, annotation) after `task`


def syscall(name: str, cls: SyscallClass, *, rule: ArgRule | None = None,
            names: tuple[str, ...] = ()):
    """Mark the decorated function as the handler of syscall `name` (and of `names`).

    `rule`: the seccomp filter lets the call run with no stop for these
    argument values (native class for them); the rest stop here.
    """
    def mark(fn: Callable) -> Callable:
        sig = inspect.signature(fn)
        params = tuple((p.name, _annotation_name(fn, p)) for p in list(sig.parameters.values())[1:])
        fn.__syscall__ = HandlerSpec((name, *names), cls, rule, params)
        return fn
    return mark


def _annotation_name(fn: Callable, p: inspect.Parameter) -> str:
    """'int', 'Path', ... whether annotations are strings (PEP 563) or the objects."""
    ann = p.annotation
    if ann is p.empty:
        return "ULong"
    name = ann if isinstance(ann, str) else getattr(ann, "__name__", str(ann))
    if name not in DECODERS and name != "Path":
        raise TypeError(f"{fn.__qualname__}: parameter {p.name!r} has annotation {name!r}; "
                        f"expected one of int, Long, ULong, UInt, Ptr, Path")
    return name


@dataclass(frozen=True)
class Row:
    """One line of the table: syscall `nr`, what serves it, and how faithfully."""
    nr: int
    name: str
    cls: SyscallClass
    support: Support = Support.FULL
    note: str = ""                      # partial: what differs; error: why it is refused
    errno: int = 0                      # the error of an `error` row
    handler: Callable | None = None
    rule: ArgRule | None = None         # with a handler: no stop for these argument values
    params: tuple[tuple[str, str], ...] = ()
    probed: bool = False                # a deny row programs probe and fall back from: no stderr line

    @property
    def summary(self) -> str:
        """One line for `umlpy syscalls`: the handler's man-page line, or the note."""
        if self.cls is NATIVE:
            return self.note                # a handler here serves only its rare stops
        doc = inspect.getdoc(self.handler) if self.handler else ""
        first = doc.splitlines()[0] if doc else ""
        if self.support is Support.FULL:
            return first or self.note
        return f"{first} [{self.note}]" if first else self.note


def native(nr: int, name: str, note: str, *, checked: Callable | None = None) -> Row:
    """A call that runs with no stop: it works on what the caller already owns (`note` says what).
    `checked`: a handler for the times it does stop (strict mode, or a filter the guest
    kernel stacked on one task's, as for SysV IPC in an IPC namespace)."""
    if checked is None:
        return Row(nr, name, NATIVE, note=note)
    spec = getattr(checked, "__syscall__", None)
    if spec is None or name not in spec.names or spec.cls is not NATIVE:
        raise TypeError(f"{getattr(checked, '__qualname__', checked)} is not a native @syscall handler of {name}")
    return Row(nr, name, NATIVE, note=note, handler=checked, params=spec.params)


def serve(nr: int, name: str, handler: Callable, *, partial: str = "") -> Row:
    """A call served by a `@syscall` handler; `partial` notes how it differs from Linux."""
    spec = getattr(handler, "__syscall__", None)
    if spec is None or name not in spec.names:
        raise TypeError(f"{getattr(handler, '__qualname__', handler)} is not a @syscall handler of {name}")
    return Row(nr, name, spec.cls, Support.PARTIAL if partial else Support.FULL, partial, 0,
               handler, spec.rule, spec.params)


def deny(nr: int, name: str, err: int, why: str, *, probed: bool = False) -> Row:
    """A call the sandbox refuses: errno `err` and one trace line saying `why`.
    `probed`: libc or programs try it first and fall back (clone3 -> clone) on
    `err`, so a refusal is routine: the trace and the report still show it, but
    `umlpy run` does not warn about it on stderr."""
    return Row(nr, name, DENY, Support.ERROR, why, err, probed=probed)


class SyscallTable:
    """The rows, by number; what every part of the guest kernel asks about a syscall."""

    def __init__(self, rows: list[Row]) -> None:
        numbers = [r.nr for r in rows]
        if numbers != sorted(set(numbers)):
            raise ValueError("table rows must be in number order, each number once")
        for r in rows:
            if NAMES.get(r.nr) != r.name:
                raise ValueError(f"row {r.nr} is named {r.name!r}; the x86-64 ABI says {NAMES.get(r.nr)!r}")
        self.rows: dict[int, Row] = {r.nr: r for r in rows}

    def lookup(self, nr: int) -> Row:
        """The row of `nr`; a number the ABI does not have is denied with ENOSYS."""
        row = self.rows.get(nr)
        if row is None:
            name = NAMES.get(nr, f"syscall_{nr}")
            why = "no such syscall on x86-64" if nr not in NAMES else "not in the table"
            row = Row(nr, name, DENY, Support.ERROR, why, errno.ENOSYS)
        return row

    def native_numbers(self) -> dict[int, ArgRule | None]:
        """What the seccomp filter lets through with no stop (some only for some argument values)."""
        out: dict[int, ArgRule | None] = {r.nr: None for r in self.rows.values() if r.cls is NATIVE}
        out.update({r.nr: r.rule for r in self.rows.values() if r.rule is not None})
        return out

    def __iter__(self):
        return iter(self.rows.values())

    def every_number(self) -> list[Row]:
        """A row for every number from 0 to the highest the ABI has (for `umlpy syscalls`)."""
        return [self.lookup(nr) for nr in range(max(NAMES) + 1)]
