"""The syscall fuzzer, briefly: 5000 calls in two sandboxes (normal and strict mode).

The full fuzzer (`python3 -m umlpy.fuzz`, 10**6 calls) runs outside CI's time budget;
docs/fuzzing.md says how.  This only checks that it still builds its guest, makes calls
across the served rows of the table, and (once the findings below are fixed) finds
nothing.
"""
from __future__ import annotations

import pytest

from umlpy.fuzz import fuzz

FINDINGS = ("open findings of the fuzzer (docs/fuzzing.md, Findings 3-7): connect/bind/sendto with a unix "
            "path on a non-socket or an inet socket raise OSError/TypeError in net.py; open/openat flags with "
            "bit 31 set raise OverflowError in host.openat2; getsockopt(SO_PEERCRED) reads/writes 12 bytes "
            "at optval whatever optlen says (KernelError at the exit stop); clone(CLONE_UNTRACED) returns 0 "
            "in the parent; clone(CLONE_PTRACE|CLONE_UNTRACED) leaves the child at its first stop for good")
# truncate(2) of a FIFO on a -v bind blocks the supervisor itself (hostfs.truncate opens the FIFO
# for writing): a batch that hits it waits 55 s for the watchdog.  Drop the skip when it is fixed.
SKIP = ("truncate",)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return fuzz(5000, jobs=1, batch=2500, seed=1, skip=SKIP, workdir=tmp_path_factory.mktemp("fuzz"))


def test_the_fuzzer_makes_calls_across_the_table(report):
    served, called, _ = report.coverage()
    assert report.calls >= 5000
    assert len(called) > len(served) // 2, sorted(set(served) - called)
    hangs = [p for p in report.problems if "hung" in p or "killed" in p or "no calls" in p]
    assert not hangs, hangs


@pytest.mark.xfail(reason=FINDINGS, strict=False)
def test_the_fuzzer_finds_no_internal_error_and_no_host_violation(report):
    assert not report.findings, [f"{f.type} in {f.syscall} at {f.site}" for f in report.findings.values()]
    assert not report.violations, report.violations[:5]
    assert not report.problems, report.problems
