"""Stopping a sandbox, as `docker stop` stops a container, and leaving nothing behind.

SIGTERM, SIGINT, SIGHUP or SIGQUIT to `umlpy run` (trace, boot) goes to guest
init; if the guest has not ended --stop-timeout seconds later, or at a second
signal, the whole sandbox is killed and umlpy exits with 128+9.  A guest that
ends in time gives its own status.  Sandbox.run's timeout and a SIGTERM to a
Python program using the API kill every guest process too.  Each test looks
for the guest's processes on the host by a unique argument, and first checks
that they are there, so that "none left" is a real observation.

Also here: the error lines of a bad --trace file and of an ELF whose
interpreter does not exist.
"""
from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from security.hostcheck import HostState

from umlpy import Sandbox, SandboxTimeout

REPO = Path(__file__).resolve().parent.parent
UMLPY = [sys.executable, "-m", "umlpy"]
_seq = itertools.count()


def token() -> str:
    """A sleep argument no other process on the host has: 60.<pid><n> seconds."""
    return f"60.{os.getpid()}{next(_seq)}"


def holders(arg: str) -> list[int]:
    """Host pids of the processes that have `arg` as one whole argument."""
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    if arg.encode() in f.read().split(b"\0"):
                        pids.append(int(name))
            except OSError:
                pass
    return pids


def wait_for(pred, timeout: float = 5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(0.02)
    return pred()


def start(*argv: str, stdin=subprocess.DEVNULL, env=None) -> subprocess.Popen:
    return subprocess.Popen([*UMLPY, *argv], stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)


def ended(p: subprocess.Popen, timeout: float = 10) -> tuple[int, str, str]:
    try:
        out, err = p.communicate(timeout=timeout)
    finally:
        p.kill()
    return p.returncode, out, err


def guest_running(p: subprocess.Popen, t: str, count: int = 1) -> None:
    """The guest said it is ready and its `sleep T` processes run on the host."""
    assert p.stdout.readline() == "ready\n"
    assert len(wait_for(lambda: len(holders(t)) >= count and holders(t))) >= count


# ------------------------------------------------------------ umlpy run

@pytest.mark.parametrize("command", ["run", "trace"])
def test_guest_ignoring_term_is_killed_after_the_stop_timeout(rootfs, command):
    t = token()
    opts = ["-o", os.devnull] if command == "trace" else []
    # two sleeps: guest init's child and an orphan in the background
    p = start(command, "--rootfs", str(rootfs), *opts, "--stop-timeout", "1", "--", "sh", "-c",
              f"trap '' TERM; (sleep {t} &); echo ready; sleep {t}")
    guest_running(p, t, count=2)
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    status, _, err = ended(p)
    took = time.monotonic() - t0
    assert status == 128 + 9, err
    assert 0.9 <= took < 3.0
    assert holders(t) == []
    assert "Traceback" not in err


def test_a_second_signal_kills_at_once(rootfs):
    t = token()
    p = start("run", "--rootfs", str(rootfs), "--stop-timeout", "30", "--", "sh", "-c",
              f"trap '' TERM INT; echo ready; sleep {t}")
    guest_running(p, t)
    p.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert p.poll() is None              # the first signal went to the guest, which ignores it
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    status, _, err = ended(p)
    assert status == 128 + 9, err
    assert time.monotonic() - t0 < 1.5
    assert holders(t) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_guest_that_ends_on_the_signal_gives_its_own_status(rootfs, sig):
    t = token()
    p = start("run", "--rootfs", str(rootfs), "--", "sh", "-c", f"echo ready; exec sleep {t}")
    guest_running(p, t)
    t0 = time.monotonic()
    p.send_signal(sig)
    status, _, err = ended(p)
    assert status == 128 + sig, err
    assert time.monotonic() - t0 < 1.5
    assert holders(t) == []


def test_a_signal_during_the_start_is_not_lost(rootfs):
    # The start done by the command itself (140 ms): a warm server's child (warm.py)
    # has the guest running 50 ms after the command starts, when the signal would
    # reach the guest before its trap.
    t = token()
    p = start("run", "--rootfs", str(rootfs), "--stop-timeout", "0.5", "--", "sh", "-c",
              f"trap '' TERM; sleep {t}", env=dict(os.environ, UMLPY_SERVER="0"))
    time.sleep(0.05)                     # most likely still importing or starting the guest
    p.send_signal(signal.SIGTERM)
    status, _, err = ended(p)
    assert status in (128 + 9, -signal.SIGTERM), err    # -15: it came before umlpy's handler
    assert holders(t) == []


@pytest.mark.parametrize("value", ["-1", "x", "nan", "inf"])
def test_a_bad_stop_timeout_is_a_usage_error(rootfs, value):
    r = subprocess.run([*UMLPY, "run", "--rootfs", str(rootfs), "--stop-timeout", value, "--", "true"],
                       capture_output=True, text=True, timeout=30, cwd=REPO, check=False)
    assert r.returncode == 2
    assert r.stderr.startswith("umlpy: error: ") and r.stderr.count("\n") == 1, r.stderr
    assert "--stop-timeout" in r.stderr


# ----------------------------------------------------------- umlpy boot

def test_boot_stops_the_same_way(rootfs):
    t = token()
    # no terminal: the shell reads its commands from the pipe, which stays open
    p = start("boot", str(rootfs), "--stop-timeout", "1", stdin=subprocess.PIPE)
    p.stdin.write(f"trap '' TERM; echo ready; sleep {t}\n")
    p.stdin.flush()
    guest_running(p, t)
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    status, _, err = ended(p)
    assert status == 128 + 9, err
    assert 0.9 <= time.monotonic() - t0 < 3.0
    assert holders(t) == []


# ------------------------------------------------------------ the Python API

def test_api_timeout_kills_every_guest_process(rootfs):
    t = token()
    with Sandbox(rootfs=rootfs) as sb:
        t0 = time.monotonic()
        with pytest.raises(SandboxTimeout):
            sb.run(["sh", "-c", f"trap '' TERM; (sleep {t} &); sleep {t}"], timeout=1)
        assert time.monotonic() - t0 < 3.0
        assert holders(t) == []
        assert sb.run(["true"]).returncode == 0          # the sandbox is still usable


API_PROGRAM = """
import sys, time
from umlpy import Sandbox
sb = Sandbox(rootfs=sys.argv[1])
print(sb.persist, flush=True)
if sys.argv[2]:
    sb.run(["sh", "-c", "echo ready; exec sleep " + sys.argv[2]], stdout=None)
else:
    print("ready", flush=True)
    time.sleep(60)
"""


def api_program(rootfs, t: str) -> tuple[subprocess.Popen, Path]:
    p = subprocess.Popen([sys.executable, "-c", textwrap.dedent(API_PROGRAM), str(rootfs), t],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    layer = Path(p.stdout.readline().strip())
    assert layer.is_dir()
    if t:
        guest_running(p, t)
    else:
        assert p.stdout.readline() == "ready\n"
    return p, layer


@pytest.mark.parametrize("running", [True, False], ids=["running", "idle"])
def test_api_program_ended_by_sigterm_leaves_nothing(rootfs, running):
    t = token() if running else ""
    p, layer = api_program(rootfs, t)
    p.send_signal(signal.SIGTERM)
    status, _, err = ended(p)
    assert status == -signal.SIGTERM, err     # it still dies by SIGTERM, as it would have
    assert not layer.exists()
    if running:
        assert holders(t) == []


def test_api_program_ended_by_an_exception_leaves_nothing(rootfs):
    before = HostState.take()
    code = ("import sys\nfrom umlpy import Sandbox\nsb = Sandbox(rootfs=sys.argv[1])\n"
            "print(sb.persist, flush=True)\nsb.run(['true'])\nraise SystemExit(5)\n")
    r = subprocess.run([sys.executable, "-c", code, str(rootfs)], capture_output=True, text=True,
                       timeout=30, cwd=REPO, check=False)
    assert r.returncode == 5, r.stderr
    assert not Path(r.stdout.strip()).exists()
    assert before.changes() == []


def test_sigkill_of_an_api_program_leaves_nothing(rootfs):
    """The private layer is a tmpfs mounted nowhere: it goes with the process, even on SIGKILL."""
    before = HostState.take()
    p, layer = api_program(rootfs, "")
    assert layer.is_dir()
    p.kill()
    p.wait(timeout=10)
    assert not layer.exists() and before.changes() == []


# ------------------------------------------------------- error lines

@pytest.mark.parametrize("argv", [["trace", "-o", "/nonexistent/dir/f"], ["run", "--trace=/nonexistent/dir/f"]])
def test_an_unwritable_trace_file_is_one_error_line(rootfs, argv):
    r = subprocess.run([*UMLPY, argv[0], "--rootfs", str(rootfs), *argv[1:], "--", "true"],
                       capture_output=True, text=True, timeout=30, cwd=REPO, check=False)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("umlpy: error: "), r.stderr
    assert "/nonexistent/dir/f" in r.stderr


@pytest.fixture(scope="module")
def bad_interp(cc):
    return cc("bad_interp", "int main(void) { return 0; }",
              flags=("-Wl,--dynamic-linker=/no/such/ld.so",))


def test_a_missing_elf_interpreter_as_init(rootfs, progs, bad_interp):
    r = subprocess.run([*UMLPY, "run", "--rootfs", str(rootfs), "-v", f"{progs}:/t:ro", "--", bad_interp],
                       capture_output=True, text=True, timeout=30, cwd=REPO, check=False)
    assert r.returncode == 127                 # ENOENT, like a missing program
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("umlpy: cannot run "), r.stderr
    assert "/no/such/ld.so" in r.stderr and "ENOENT" not in r.stderr


def test_a_missing_elf_interpreter_is_enoent_for_the_guest(rootfs, progs, bad_interp):
    r = subprocess.run([*UMLPY, "run", "--rootfs", str(rootfs), "-v", f"{progs}:/t:ro", "--", "sh", "-c",
                        f"{bad_interp}; echo rc=$?"], capture_output=True, text=True, timeout=30, cwd=REPO, check=False)
    assert r.stdout == "rc=127\n"
    assert r.stderr == f"sh: {bad_interp}: not found\n"       # what busybox sh says for ENOENT
