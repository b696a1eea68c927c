"""ETXTBSY for programs the host does not exec itself (kernel/loader.py): a dynamic
program (the host execs ld.so, which maps it) and a file of the image (a write copies
it up, so the host sees another file).  Static programs on a plain file system are
conformance files/etxtbsy."""
from __future__ import annotations

import pytest

from conftest import LINKS, builder, sh

WAIT = r"""
int main(int argc, char **argv) { if (argc > 1) pause(); return 0; }
"""


@pytest.mark.parametrize("static", LINKS)
def test_running_program_and_program_open_for_writing(sandbox, cc, static):
    prog = builder(cc, "etx_")("wait", WAIT, static)
    r = sh(sandbox, f"""
        cp {prog} /tmp/p; cp {prog} /tmp/q
        /tmp/p wait & pid=$!; sleep 0.3
        ( : >> /tmp/p ) 2>/dev/null; echo "append running: $?"
        ( : > /tmp/p ) 2>/dev/null; echo "truncate-open running: $?"
        ( truncate -s 0 /tmp/p ) 2>/dev/null; echo "truncate running: $?"
        cat /tmp/p > /dev/null; echo "read running: $?"
        kill $pid; wait
        ( : >> /tmp/p ) 2>/dev/null; echo "append after exit: $?"
        exec 3>>/tmp/q
        ( /tmp/q < /dev/null ) 2>/dev/null; echo "exec open for writing: $?"
        exec 3>&-
        /tmp/q < /dev/null; echo "exec after close: $?"
        """)
    assert r.stdout.splitlines() == [
        "append running: 1", "truncate-open running: 1", "truncate running: 1", "read running: 0",
        "append after exit: 0", "exec open for writing: 126", "exec after close: 0"], r.stdout + r.stderr


def test_running_image_program(sandbox):
    r = sh(sandbox, """
        /bin/busybox sleep 5 & pid=$!; sleep 0.3
        ( : >> /bin/busybox ); echo "append running: $?"
        kill $pid; wait
        """)
    assert "append running: 1" in r.stdout and "Text file busy" in r.stderr, r.stdout + r.stderr
