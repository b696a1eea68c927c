"""The differential conformance cases (tests/conformance/), one test each: the case's
output under umlpy must equal its output on the host's own kernel, except for the
lines it declares as differing.  A case with a `gap:` line is an expected failure
(strict: once the gap is fixed, the test says so).  `python3
tests/conformance/runner.py` runs them all with a table per family."""
from __future__ import annotations

import os

import pytest
from conformance import runner

CASES = runner.all_cases()


@pytest.fixture(scope="module")
def roots():
    r = runner.Roots()
    yield r
    r.close()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.family}/{c.name}" for c in CASES])
def test_case(roots, case):
    if case.root and os.geteuid() != 0:
        pytest.skip(f"the native run needs root: {case.root}")
    result = roots.run(case)
    if case.gap:
        if result.same:
            pytest.fail(f"gap fixed ({case.gap}): remove the case's gap line")
        pytest.xfail(case.gap)
    assert result.same, f"{case.doc}\n{result.diff()}"
