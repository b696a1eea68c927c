"""A syscall fuzzer for the sandbox: random syscalls with structured arguments, and checks.

`python3 -m umlpy.fuzz` (docs/fuzzing.md) boots sandboxes through the public API whose
guest init is a static C program (guest.c) that makes random calls from the served rows
of the syscall table, from several processes and threads at once, in normal and strict
mode.  Each argument is built from its kind (specs.py): real descriptors of every sort,
pointers into mapped, read-only, PROT_NONE and unmapped memory, guest paths from a corpus
with symlinks, `..`, /proc and mount points (corpus.py), and flags from each call's own
flag set.  After each batch the driver (driver.py) checks that the supervisor raised no
internal error and that the host invariants hold, and at the end it reports calls per
second, the errors found and the coverage of the table.
"""
from __future__ import annotations

from umlpy.fuzz.driver import BatchJob, BatchResult, FuzzReport, format_report, fuzz, run_batch

__all__ = ["BatchJob", "BatchResult", "FuzzReport", "format_report", "fuzz", "run_batch"]
