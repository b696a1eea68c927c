"""The syscall fuzzer, briefly: 5000 calls in two sandboxes (normal and strict mode).

The full fuzzer (`python3 -m umlpy.fuzz`, 10**6 calls) runs outside CI's time budget;
docs/fuzzing.md says how.  This only checks that it still builds its guest, makes calls
across the served rows of the table, and finds nothing (each finding so far is a test in
tests/security/test_fuzz_findings.py or test_ids_and_names.py).
"""
from __future__ import annotations

import pytest

from umlpy.fuzz import fuzz


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return fuzz(5000, jobs=1, batch=2500, seed=1, workdir=tmp_path_factory.mktemp("fuzz"))


def test_the_fuzzer_makes_calls_across_the_table(report):
    served, called, _ = report.coverage()
    assert report.calls >= 5000
    assert len(called) > len(served) // 2, sorted(set(served) - called)
    hangs = [p for p in report.problems if "hung" in p or "killed" in p or "no calls" in p]
    assert not hangs, hangs


def test_the_fuzzer_finds_no_internal_error_and_no_host_violation(report):
    assert not report.findings, [f"{f.type} in {f.syscall} at {f.site}" for f in report.findings.values()]
    assert not report.violations, report.violations[:5]
    assert not report.problems, report.problems
