"""Resource limits of a sandbox: what a test suite running untrusted code caps.

    Sandbox(limits={"memory": "256M", "cpu": 10, "processes": 64,
                    "file_size": "10M", "open_files": 256})

memory, cpu, file_size and open_files become host rlimits of guest init
(RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NOFILE), set in the spawned
child before its first instruction (lowering a limit needs no privilege, and
the supervisor may lack CAP_SYS_RESOURCE to set them from outside) and
inherited by every guest process, so the host kernel enforces them (ENOMEM,
SIGXCPU, SIGXFSZ/EFBIG, EMFILE).  processes
is counted by the guest kernel itself: a fork beyond it fails with EAGAIN,
as RLIMIT_NPROC would (the host's own RLIMIT_NPROC counts every process of
the host user, not just this sandbox's).
"""
from __future__ import annotations

import resource
from typing import Mapping

RLIMITS = {
    "memory": resource.RLIMIT_AS,
    "cpu": resource.RLIMIT_CPU,
    "file_size": resource.RLIMIT_FSIZE,
    "open_files": resource.RLIMIT_NOFILE,
}
KNOWN = set(RLIMITS) | {"processes"}
SUFFIXES = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def parse_size(value: int | str) -> int:
    """128, "64K", "256M", "2G" -> bytes (or a plain count)."""
    if isinstance(value, int):
        n = value
    else:
        v = value.strip().lower()
        mult = SUFFIXES.get(v[-1:], 1)
        digits = v[:-1] if v[-1:] in SUFFIXES else v
        if not digits.isdigit():
            raise ValueError(f"bad limit value {value!r}: expected a number like 64, 512K, 256M, 2G")
        n = int(digits) * mult
    if n <= 0:
        raise ValueError(f"bad limit value {value!r}: must be positive")
    return n


def parse_limits(limits: Mapping[str, int | str] | None) -> dict[str, int]:
    """Validated limits, or ValueError naming what is wrong."""
    out = {}
    for name, value in (limits or {}).items():
        if name not in KNOWN:
            raise ValueError(f"unknown limit {name!r}: expected one of {', '.join(sorted(KNOWN))}")
        out[name] = parse_size(value)
    return out


def host_rlimits(limits: Mapping[str, int]) -> dict[int, int]:
    """The host rlimits guest init gets at spawn (inherited by all it starts)."""
    return {RLIMITS[name]: value for name, value in limits.items() if name in RLIMITS}
