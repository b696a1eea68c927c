"""The table's deny rows, end to end: a guest calls each one and sees the row's errno.

A C program makes every denied syscall with zero arguments and prints the
errno it got; each must be the row's, and the run report and the trace must
hold exactly one "denied:" line per call, naming the syscall and the row's reason.
"""
from __future__ import annotations

import errno
import io

from umlpy import Sandbox
from umlpy.kernel.table import DENY
from umlpy.syscalls.linux64 import TABLE

DENY_ROWS = [row for row in TABLE if row.cls is DENY]

PROGRAM = r"""
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        long nr = atol(argv[i]);
        errno = 0;
        long r = syscall(nr, 0, 0, 0, 0, 0, 0);
        printf("%ld %ld %d\n", nr, r, errno);
    }
    return 0;
}
"""


def test_every_deny_row_gives_its_errno_and_one_trace_line(cc, rootfs, progs):
    prog = cc("deny_rows", PROGRAM, static=True)
    argv = [prog] + [str(row.nr) for row in DENY_ROWS]
    trace = io.StringIO()
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")], trace=trace) as sb:
        r = sb.run(argv, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    seen = {}
    for line in r.stdout.splitlines():
        nr, ret, err = map(int, line.split())
        seen[nr] = (ret, err)
    lines = trace.getvalue().splitlines()
    for row in DENY_ROWS:
        assert seen[row.nr] == (-1, row.errno), f"{row.name}: got {seen[row.nr]}, row says {row.errno}"
        mine = [ln for ln in lines if f"] {row.name}(" in ln and "denied:" in ln]
        assert len(mine) == 1, f"{row.name}: {mine}"
        name = "EOPNOTSUPP" if row.errno == errno.EOPNOTSUPP else errno.errorcode[row.errno]  # (Python: ENOTSUP)
        assert f"-1 {name}" in mine[0] and row.note in mine[0]
    denied = [ln for ln in r.report.denied]
    assert len(denied) == len(DENY_ROWS)
