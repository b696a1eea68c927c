"""`umlpy boot` driven through a pseudo-terminal with pexpect, as a person at
a terminal would: the prompt, commands, line editing, Ctrl-C, window size,
`exit`, and the host terminal's settings after the sandbox is gone.

Each session runs `stty -g; python -m umlpy boot ROOTFS; echo STATUS=$?;
stty -g` in a host shell on the pty, so the terminal state before and after
the boot and umlpy's exit status are read from the same terminal.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

import pexpect  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MARK = '@@DO""NE@@'
STTY = re.compile(r"([0-9a-f]+(?::[0-9a-f]+){20,})\r?\n")


def prompt(host: str = "umlpy", cwd: str = "/") -> str:
    return re.escape(f"root@{host}:{cwd}# ")


class Session:
    def __init__(self, rootfs: Path, *opts: str, host: str = "umlpy") -> None:
        boot = " ".join(shlex.quote(a) for a in (sys.executable, "-m", "umlpy", "boot", *opts, str(rootfs)))
        self.host = host
        self.child = pexpect.spawn("/bin/sh", ["-c", f"stty -g; {boot}; echo STATUS=$?; stty -g"],
                                   encoding="utf-8", timeout=10, cwd=str(REPO),
                                   dimensions=(24, 80), env={**os.environ, "TERM": "xterm"})
        self.child.expect(STTY)
        self.stty_before = self.child.match.group(1)
        self.child.expect(prompt(host))

    def cmd(self, line: str, cwd: str = "/") -> str:
        """Run one command line; its output (without the echoed command) as text.

        The line ends in `echo @@DO""NE@@`: the echo shows the quotes, the output
        does not, so prompt redraws (SIGWINCH, history) cannot be mistaken for
        the end of the output."""
        self.child.sendline(f"{line}; echo {MARK}")
        self.child.expect("@@DONE@@\r\n")
        out = self.child.before
        if MARK in out:
            out = out.split(MARK, 1)[1]
        out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out).replace("\r\n", "\n")
        self.child.expect(prompt(self.host, cwd))
        return out[1:] if out.startswith("\n") else out

    def exit(self, line: str = "exit") -> tuple[int, str]:
        self.child.sendline(line)
        self.child.expect(r"STATUS=(\d+)\r?\n")
        status = int(self.child.match.group(1))
        self.child.expect(STTY)
        after = self.child.match.group(1)
        self.child.expect(pexpect.EOF)
        self.child.close()
        return status, after

    def close(self) -> None:
        if self.child.isalive():
            self.child.close(force=True)


@pytest.fixture
def session(rootfs):
    s = Session(rootfs)
    yield s
    s.close()


def test_prompt_pid1_hostname_and_guest_root(session):
    assert session.cmd("echo $$") == "1\n"
    assert session.cmd("echo $PPID") == "0\n"
    assert session.cmd("hostname") == "umlpy\n"
    names = session.cmd("ls -1 /").split()
    assert {"bin", "etc", "proc", "dev", "tmp", "usr"} <= set(names)
    assert "work" not in names                   # the host's / has /work (this repo); the guest's does not
    assert session.cmd("cat /etc/hostname") == "umlpy\n"
    assert session.cmd("id -u") == "0\n"
    status, after = session.exit()
    assert status == 0
    assert after == session.stty_before


def test_hostname_option(rootfs):
    s = Session(rootfs, "--hostname", "bootbox", host="bootbox")
    try:
        assert s.cmd("hostname") == "bootbox\n"
        assert s.cmd("uname -n") == "bootbox\n"
        assert s.exit()[0] == 0
    finally:
        s.close()


def test_guest_has_a_terminal(session):
    assert session.cmd("[ -t 0 ] && [ -t 1 ] && echo tty") == "tty\n"
    assert session.cmd("stty size") == "24 80\n"
    assert session.cmd("echo hi > /dev/tty") == "hi\n"
    session.child.setwinsize(30, 100)           # SIGWINCH reaches the guest's terminal
    time.sleep(0.3)
    assert session.cmd("stty size") == "30 100\n"
    assert session.exit()[0] == 0


def test_the_terminal_is_the_sandboxs_own_pts_0(session):
    """As in a container, the console is a pty of the sandbox's own devpts: `tty`
    names it, /proc shows it, and it is the only pty in /dev/pts."""
    assert session.cmd("tty") == "/dev/pts/0\n"
    assert session.cmd("readlink /proc/self/fd/0; readlink /proc/$$/fd/2") == "/dev/pts/0\n/dev/pts/0\n"
    assert session.cmd("ls /dev/pts") == "0     ptmx\n"
    # /dev/tty is the same terminal (5,0 as a node), and stat agrees with fstat
    assert session.cmd("stat -c '%t:%T' /dev/tty /dev/pts/0") == "5:0\n88:0\n"
    assert session.cmd("[ /dev/pts/0 -ef /proc/self/fd/0 ] && echo same") == "same\n"


def test_ctrl_c_interrupts_foreground_command_not_the_sandbox(session):
    session.child.sendline("sleep 100")
    time.sleep(0.5)
    t0 = time.monotonic()
    session.child.sendintr()
    session.child.expect(prompt())
    assert time.monotonic() - t0 < 2
    assert session.cmd("echo $?") == "130\n"
    # Ctrl-C at the prompt only clears the line
    session.child.send("echo never")
    session.child.sendintr()
    session.child.expect(prompt())
    assert session.cmd("echo $$ alive") == "1 alive\n"
    # a C-level busy loop is interrupted too
    session.child.sendline("while :; do :; done")
    time.sleep(0.3)
    session.child.sendintr()
    session.child.expect(prompt(), timeout=5)
    assert session.cmd("echo $? $$") == "130 1\n"
    status, after = session.exit()
    assert status == 0
    assert after == session.stty_before


def test_line_editing(session):
    # backspace (DEL), cursor left, insert, Ctrl-E (end of line)
    assert session.cmd("echo abX\x7fc") == "abc\n"
    assert session.cmd("echo 12\x1b[D\x1b[D0\x05 3") == "012 3\n"
    # Ctrl-U kills the line typed so far
    assert session.cmd("echo wrong\x15echo right") == "right\n"
    # history: up arrow twice brings back the line before the previous one
    session.child.sendline("\x1b[A\x1b[A")
    session.child.expect("012 3\r\n@@DONE@@\r\n")
    session.child.expect(prompt())
    assert session.exit()[0] == 0


def test_exit_status_of_the_shell(session):
    session.cmd("true")
    status, after = session.exit("exit 7")
    assert status == 7
    assert after == session.stty_before


def test_terminal_restored_after_guest_killed_by_signal(session):
    status, after = session.exit("kill -9 $$")
    assert status in (128 + 9, 0), status     # init ignores signals it does not handle: either is sane
    assert after == session.stty_before


def test_ps_lists_only_guest_processes(session):
    out = session.cmd("ps -o pid,args")
    rows = [l.split(None, 1) for l in out.strip().splitlines()[1:]]
    pids = {int(p) for p, _ in rows}
    assert 1 in pids and max(pids) < 100, rows
    assert any(pid == "1" and "sh" in args for pid, args in rows), rows
    # busybox runs ps in the forked shell without an exec, renaming it: on
    # Linux too its comm is "ps" and its cmdline still the shell's.
    assert any(args.startswith("{ps} ") or "ps -o pid,args" in args for _, args in rows), rows
    assert not any("python" in args or "pytest" in args for _, args in rows), rows
    assert session.cmd("cat /proc/1/comm") == "sh\n"
    assert session.exit()[0] == 0


def test_eof_on_an_empty_line_ends_the_sandbox(session):
    session.child.sendeof()
    session.child.expect(r"STATUS=(\d+)\r?\n")
    assert session.child.match.group(1) == "0"
    session.child.expect(STTY)
    assert session.child.match.group(1) == session.stty_before


def test_boot_without_a_terminal_reads_commands_from_stdin(rootfs):
    """`echo cmds | umlpy boot`: no pty to give, the shell reads stdin and ends at EOF."""
    r = subprocess.run([sys.executable, "-m", "umlpy", "boot", str(rootfs)],
                       input=b"echo pid=$$\nhostname\nexit 3\n", capture_output=True, timeout=30)
    assert r.returncode == 3
    assert r.stdout == b"pid=1\numlpy\n"
