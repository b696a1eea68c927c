"""FIFOs: a blocking open waits in the guest for the other end, never in the supervisor."""
from __future__ import annotations

import time

from conftest import sh


def test_fifo_writer_first_then_reader(sandbox):
    r = sh(sandbox, "cd /tmp && mkfifo f && (echo via-fifo > f &) ; cat f")
    assert r.stdout == "via-fifo\n"


def test_fifo_reader_first_then_writer(sandbox):
    r = sh(sandbox, "mkfifo /tmp/f; (sleep 0.3; echo late > /tmp/f) & cat /tmp/f; wait")
    assert r.stdout == "late\n"


def test_other_guest_processes_run_while_an_open_waits(sandbox):
    """While one process waits to open a FIFO, the rest of the sandbox goes on."""
    t0 = time.time()
    r = sh(sandbox, "mkfifo /tmp/f; cat /tmp/f & for i in 1 2 3; do echo tick $i; done; "
                    "echo bye > /tmp/f; wait")
    assert r.stdout.splitlines()[:3] == ["tick 1", "tick 2", "tick 3"]
    assert r.stdout.splitlines()[-1] == "bye"
    assert time.time() - t0 < 10


def test_a_signal_ends_a_waiting_fifo_open(sandbox):
    r = sh(sandbox, "mkfifo /tmp/f; cat /tmp/f & sleep 0.3; kill $!; wait $!; echo status=$?")
    assert r.stdout == "status=143\n"


def test_rdwr_and_nonblocking_fifo_opens_do_not_wait(sandbox):
    r = sh(sandbox, "mkfifo /tmp/f; exec 3<>/tmp/f; echo rdwr-ok")
    assert r.stdout == "rdwr-ok\n"


def test_an_ignored_signal_does_not_end_a_waiting_fifo_open(sandbox):
    """SIGCHLD at SIG_DFL is ignored, so it must not interrupt the open (a traced
    thread still queues it: the supervisor has to look past it)."""
    r = sh(sandbox, "mkfifo /tmp/f; sh -c '(sleep 0.2) & exec cat /tmp/f' & "
                    "sleep 0.6; echo after-sigchld > /tmp/f; wait")
    assert r.stdout == "after-sigchld\n"
    assert r.stderr == ""


def test_a_fifo_whose_writer_has_gone_keeps_its_data_for_the_reader(sandbox):
    """The writer opens, writes and exits while the reader's open is being
    handed over with a signal pending: the data must still reach the reader."""
    for _ in range(5):
        r = sh(sandbox, "cd /tmp && rm -f f && mkfifo f && (sleep 0.05; echo via-fifo > f &) ; "
                        "exec cat f")
        assert r.stdout == "via-fifo\n"
