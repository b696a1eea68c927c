"""`umlpy run` on a terminal (issue 6, hole 6): a guest never holds the host terminal.

Each test gives umlpy a real pseudo-terminal as its controlling terminal
(pexpect starts the child in a new session on it).  The runs under test go
through an interactive dash with job control (`sh -i`), as a person at a
terminal would run them, or straight under pexpect:

* in tty mode (stdin and stdout terminals, or -t) the guest has a pty of its
  own, with the host window's size;
* a background run does not read what the user types for the shell; `fg`
  hands it the terminal;
* the host terminal's modes are the same after a run, also one whose guest
  set raw mode and was killed, and while a run is stopped with SIGTSTP;
* with no terminal, stdin and stdout pass through as before; `-t` needs a
  terminal on stdin; `-i` changes nothing.
"""
from __future__ import annotations

import os
import re
import select
import shlex
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pexpect
import psutil
import pytest

REPO = Path(__file__).resolve().parent.parent
MARK = '@@DO""NE@@'
PROMPT = "@@PROMPT@@ "
STTY = re.compile(r"([0-9a-f]+(?::[0-9a-f]+){20,})\r?\n")


def umlpy_run(rootfs: Path, *args: str) -> str:
    """The shell words of `umlpy run --rootfs ROOTFS ARGS...`."""
    return " ".join(shlex.quote(a) for a in (sys.executable, "-m", "umlpy", "run", "--rootfs",
                                             str(rootfs), *args))


def wait_for(what, timeout: float = 10.0, every: float = 0.02):
    """what() until it is true, for at most `timeout` seconds; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def guest_running(argv: list[str]):
    """A host process running `argv` (a guest program under umlpy).

    busybox dd splits its own arguments in place ("of=F" becomes "of", "F"),
    so the words are compared with their "=" left out."""
    want = "\0".join(argv).replace("=", "\0")

    def find():
        for p in psutil.process_iter(["cmdline"]):
            if "\0".join(p.info["cmdline"] or ()).replace("=", "\0") == want:
                return p
        return None
    return find


class Shell:
    """An interactive dash with job control on a fresh pty of 24x80."""

    def __init__(self) -> None:
        self.child = pexpect.spawn("/bin/sh", ["-i"], encoding="utf-8", timeout=10, cwd=str(REPO),
                                   dimensions=(24, 80),
                                   env={**os.environ, "PS1": PROMPT, "TERM": "xterm", "ENV": ""})
        self.child.expect_exact(PROMPT)
        self.stty = self.cmd("stty -g")

    def cmd(self, line: str) -> str:
        """Run one command line in the foreground; its output, as text with LF newlines."""
        self.child.sendline(f"{line}; echo {MARK}")
        self.child.expect_exact("@@DONE@@\r\n")
        out = self.child.before
        if MARK in out:
            out = out.split(MARK, 1)[1]
        self.child.expect_exact(PROMPT)
        out = out.replace("\r\n", "\n")
        return out.removeprefix("\n")

    def umlpy(self) -> psutil.Process:
        """The umlpy process the shell runs (its child)."""
        def find():
            kids = [p for p in psutil.Process(self.child.pid).children()
                    if "umlpy" in " ".join(p.cmdline())]
            return kids[0] if kids else None
        p = wait_for(find)
        assert p is not None, "umlpy did not start"
        return p

    def close(self) -> None:
        if self.child.isalive():
            self.child.close(force=True)


@pytest.fixture
def shell():
    s = Shell()
    yield s
    s.close()


def spawn(rootfs: Path, *args: str, rows: int = 24, cols: int = 80) -> pexpect.spawn:
    """`umlpy run ARGS` alone on a fresh pty, as its session leader."""
    return pexpect.spawn("/bin/sh", ["-c", umlpy_run(rootfs, *args)], encoding="utf-8", timeout=10,
                         cwd=str(REPO), dimensions=(rows, cols), env={**os.environ, "TERM": "xterm"})


def finish(child: pexpect.spawn) -> tuple[str, int]:
    child.expect(pexpect.EOF)
    out = child.before
    child.close()
    return out, child.exitstatus


# ---------------------------------------------------------------- tty mode

def test_on_a_terminal_the_guest_gets_a_pty_of_its_own(rootfs):
    child = spawn(rootfs, "--", "sh", "-c",
                  "[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty; stty size; "
                  "readlink /proc/self/fd/0; echo hi > /dev/tty",
                  rows=33, cols=101)
    out, status = finish(child)
    assert status == 0, out
    # The guest's terminal, by its guest name: the sandbox's own pts 0, not the host's /dev/pts/N.
    assert out.splitlines() == ["all-tty", "33 101", "/dev/pts/0", "hi"]


def test_the_window_size_follows_the_host_window(rootfs):
    child = spawn(rootfs, "--", "sh", "-c", "stty size; while read x; do stty size; done")
    child.expect(r"24 80\r\n")
    child.setwinsize(40, 120)                       # SIGWINCH to umlpy, which copies the size
    deadline = time.monotonic() + 5
    while True:                                     # ask again until the new size has arrived
        child.sendline("")
        if child.expect([r"40 120\r\n", r"24 80\r\n"]) == 0 or time.monotonic() > deadline:
            break
    assert child.after.startswith("40 120")
    child.sendeof()
    assert finish(child)[1] == 0


def test_ctrl_c_goes_to_the_guest_as_a_character(rootfs):
    # The host terminal is raw: ^C is a byte for the guest's pty.  Here the
    # guest has turned signals off on its pty, so it reads the byte itself;
    # were the host terminal not raw, ^C would be SIGINT to umlpy instead.
    child = spawn(rootfs, "--", "sh", "-c",
                  "stty -isig -icanon min 1; echo ready; dd bs=1 count=1 2>/dev/null | od -An -tx1")
    child.expect("ready")
    child.sendintr()
    child.expect(r" 03\r\n", timeout=5)
    assert finish(child)[1] == 0


# ---------------------------------------------------------------- job control

def test_a_background_run_does_not_read_what_the_user_types(shell, rootfs, tmp_path):
    """`umlpy run -- dd ... &` once stole the keys typed for the shell."""
    keys = tmp_path / "keys"
    shell.child.sendline(umlpy_run(rootfs, "-v", f"{tmp_path}:/out", "--",
                                   "dd", "of=/out/keys", "bs=1", "count=5") + " &")
    shell.child.expect_exact(PROMPT)
    assert wait_for(guest_running(["dd", "of=/out/keys", "bs=1", "count=5"])), "the guest did not start"
    assert wait_for(keys.exists)
    # What the user types now is the shell's.
    assert shell.cmd("echo typed for the shell") == "typed for the shell\n"
    assert shell.cmd("echo and more") == "and more\n"
    assert keys.read_bytes() == b""
    assert "Running" in shell.cmd("jobs")
    # `fg` gives the run the terminal: now it reads.
    shell.child.sendline("fg")
    shell.child.expect("count=5")
    shell.child.send("abcde\r")
    shell.child.expect(r"5\+0 records out")
    shell.child.expect_exact(PROMPT)
    assert keys.read_bytes() == b"abcde"
    assert shell.cmd("stty -g") == shell.stty


def test_a_stopped_run_gives_the_terminal_back(shell, rootfs):
    """kill -TSTP: the host terminal leaves raw mode while the run is stopped; fg brings it back."""
    shell.child.sendline(umlpy_run(rootfs, "--", "sh", "-c", "read x; echo got=$x"))
    assert wait_for(guest_running(["sh", "-c", "read x; echo got=$x"]))
    umlpy = shell.umlpy()
    assert wait_for(lambda: _raw(shell.child.child_fd))
    umlpy.send_signal(signal.SIGTSTP)
    shell.child.expect("Stopped")
    shell.child.expect_exact(PROMPT)
    assert shell.cmd("stty -g") == shell.stty
    shell.child.sendline("fg")
    assert wait_for(lambda: _raw(shell.child.child_fd))
    shell.child.send("hello\r")
    shell.child.expect(r"got=hello\r\n")
    shell.child.expect_exact(PROMPT)
    assert shell.cmd("stty -g") == shell.stty


def _raw(master: int) -> bool:
    """Is the terminal of this pty master in raw mode (no ICANON, no ECHO)?"""
    lflag = termios.tcgetattr(master)[3]
    return not lflag & (termios.ICANON | termios.ECHO)


# ---------------------------------------------------------------- modes restored

@pytest.mark.parametrize("guest, statuses", [
    ("stty raw -echo; echo in-guest", (0,)),
    ("stty raw -echo; kill -9 $$", (137,)),
], ids=["exits", "killed"])
def test_host_terminal_modes_are_restored(rootfs, guest, statuses):
    run = umlpy_run(rootfs, "-t", "--", "sh", "-c", guest)
    child = pexpect.spawn("/bin/sh", ["-c", f"stty -g; {run}; echo STATUS=$?; stty -g"],
                          encoding="utf-8", timeout=10, cwd=str(REPO), env={**os.environ, "TERM": "xterm"})
    child.expect(STTY)
    before = child.match.group(1)
    child.expect(r"STATUS=(\d+)\r?\n")
    assert int(child.match.group(1)) in statuses
    child.expect(STTY)
    assert child.match.group(1) == before
    child.expect(pexpect.EOF)


def test_host_terminal_modes_are_restored_when_umlpy_is_stopped(rootfs):
    """SIGTERM to umlpy: the sandbox is killed after --stop-timeout, the terminal restored."""
    run = umlpy_run(rootfs, "--stop-timeout", "0.2", "--", "sh", "-c", "trap '' TERM; sleep 30")
    child = pexpect.spawn("/bin/sh", ["-c", f"stty -g; {run}; echo STATUS=$?; stty -g"],
                          encoding="utf-8", timeout=10, cwd=str(REPO), env={**os.environ, "TERM": "xterm"})
    child.expect(STTY)
    before = child.match.group(1)
    assert wait_for(guest_running(["sleep", "30"]))
    assert wait_for(lambda: _raw(child.child_fd))
    umlpy = next(p for p in psutil.Process(child.pid).children() if "umlpy" in " ".join(p.cmdline()))
    umlpy.send_signal(signal.SIGTERM)
    child.expect(r"STATUS=(\d+)\r?\n")
    assert child.match.group(1) == "137"
    child.expect(STTY)
    assert child.match.group(1) == before
    child.expect(pexpect.EOF)


# ---------------------------------------------------------------- a terminal on one side only

def test_a_terminal_on_stdin_only_reaches_the_guest_through_a_pipe(shell, rootfs, tmp_path):
    out = tmp_path / "out"
    shell.child.sendline(umlpy_run(rootfs, "--", "sh", "-c", "[ -t 0 ] || echo stdin-is-a-pipe; cat")
                         + f" > {out}")
    assert wait_for(guest_running(["cat"]))
    shell.child.send("one line\r")      # the host terminal edits the line, as for a native cat
    shell.child.send("two\x7fo\r")
    shell.child.sendeof()
    shell.child.expect_exact(PROMPT)
    assert out.read_text() == "stdin-is-a-pipe\none line\ntwo\n"
    assert shell.cmd("stty -g") == shell.stty


def test_a_terminal_on_stdout_only_is_a_pty_the_guest_writes_to(shell, rootfs):
    out = shell.cmd("echo in | " + umlpy_run(
        rootfs, "--", "sh", "-c", "[ -t 1 ] && echo stdout-is-a-tty; [ -t 0 ] || cat; stty size <&1"))
    # one CR LF per line: the host terminal translates, the guest's pty does not
    assert out == "stdout-is-a-tty\nin\n24 80\n"


# ---------------------------------------------------------------- no terminal

def test_pipelines_without_a_terminal_pass_through(rootfs):
    r = subprocess.run(["sh", "-c", "echo hi | " + umlpy_run(rootfs, "--", "cat") + " | tr a-z A-Z"],
                       capture_output=True, text=True, timeout=30, check=False)
    assert (r.returncode, r.stdout, r.stderr) == (0, "HI\n", "")


def test_dash_t_needs_a_terminal_on_stdin(rootfs):
    r = subprocess.run(["sh", "-c", umlpy_run(rootfs, "-t", "--", "true")], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=30, check=False)
    assert r.returncode == 2
    assert r.stderr == "umlpy: error: the input device is not a TTY\n"


def test_dash_i_is_accepted_and_changes_nothing(rootfs):
    r = subprocess.run(["sh", "-c", umlpy_run(rootfs, "-i", "--", "sh", "-c", "cat; [ -t 0 ] || echo pipe")],
                       input="x\n", capture_output=True, text=True, timeout=30, check=False)
    assert (r.returncode, r.stdout) == (0, "x\npipe\n")


def test_the_python_api_never_hands_over_the_callers_terminal(rootfs):
    """Sandbox.run with inherited stdio on a terminal: the guest's stdin is not the terminal
    (it reads EOF at once), its stdout is not a tty, and its output still reaches the terminal."""
    import pty
    code = ("import sys\nfrom umlpy import Sandbox\n"
            "with Sandbox(rootfs=sys.argv[1]) as sb:\n"
            "    r = sb.run(['sh', '-c', 'read x; echo read=$?; [ -t 0 ] || echo in-not-tty; "
            "[ -t 1 ] || echo out-not-tty'], stdout=None, stderr=None, timeout=20)\n"
            "print('status', r.returncode, flush=True)\n")
    pid, master = pty.fork()
    if pid == 0:                                      # pragma: no cover (the child)
        os.execvp(sys.executable, [sys.executable, "-c", code, str(rootfs)])
    out = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not re.search(rb"status -?\d+\s", out):
        r, _, _ = select.select([master], [], [], 1)
        if r:
            try:
                out += os.read(master, 4096)
            except OSError:
                break
    os.waitpid(pid, 0)
    os.close(master)
    text = out.decode(errors="replace").replace("\r\n", "\n")
    assert "read=1\nin-not-tty\nout-not-tty\n" in text and "status 0" in text, text
