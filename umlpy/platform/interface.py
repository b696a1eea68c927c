"""The interception interface: what the guest kernel knows of how guest syscalls reach it.

(Being filled in: see docs/design.md, "Interception interface".)
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArgRule:
    """Allow a native-class syscall only when (or unless) an argument matches.

    `arg` is the argument index; the low 32 bits are compared against
    `values`.  With allow=True the listed values run natively and the rest
    stop; with allow=False the listed values stop and the rest run natively.
    `zero64` compares the whole 64-bit argument with 0 instead (e.g. sendto's
    destination address must be NULL to run natively).
    """
    arg: int
    values: frozenset[int] = frozenset()
    allow: bool = True
    zero64: bool = False
