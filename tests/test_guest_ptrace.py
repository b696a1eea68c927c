"""Guest ptrace (kernel/ptrace.py, syscalls/ptrace.py): Debian's strace and gdb on guest
programs, and what a guest tracer may not reach.

The tracer and the tracee are both guest processes; the supervisor, the host
tracer of both, serves the guest tracer's requests.  Real programs from the
Debian rootfs (``debian`` in the store, built by .ci/debian-rootfs with strace
and gdb-minimal) are the test: ``strace -f`` of a shell pipeline and a gdb
batch session (break, run, next, step, print, bt, finish, continue) on a
program compiled in the guest with gcc -g.  Without that rootfs, or with one
built before strace and gdb were in its package list, these tests skip.
Security: a pid outside the sandbox is ESRCH, another user's process EPERM.
"""
from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

import pytest

from conftest import debian_rootfs
from umlpy import Sandbox

BUILD = ".ci/debian-rootfs (its package list has strace and gdb-minimal)"


@pytest.fixture(scope="module")
def debian() -> Path:
    return debian_rootfs()


def need(root: Path, *programs: str) -> None:
    missing = [p for p in programs if not (root / "usr/bin" / p).exists()]
    if missing:
        pytest.skip(f"the Debian rootfs has no {', '.join(missing)}: rebuild it with {BUILD}")


@pytest.fixture
def sb(debian):
    with Sandbox(rootfs=debian) as sandbox:
        yield sandbox


PROG = textwrap.dedent("""\
    #include <stdio.h>

    static int square(int x)
    {
        int r = x * x;
        return r;
    }

    int main(void)
    {
        int x = 6;
        x = square(x);
        printf("x=%d\\n", x);
        return 0;
    }
    """)


def test_strace_f_shows_the_guests_syscalls_and_its_child(sb, debian):
    need(debian, "strace")
    r = sb.run(["strace", "-f", "sh", "-c", "echo hi; ls /"], text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "hi\n" in r.stdout and "usr\n" in r.stdout      # the traced commands ran
    log = r.stderr
    assert re.search(r'^execve\("/usr/bin/sh", \["sh", "-c", "echo hi; ls /"\], .*\) = 0$', log, re.M), log
    assert re.search(r'^write\(1, "hi\\n", 3\)\s+= 3$', log, re.M), log
    # -f: the child sh forked (vfork) is followed, its lines carry its pid
    child = re.search(r"strace: Process (\d+) attached", log)
    assert child, log
    pid = child.group(1)
    # (the parent's lines may interleave: "<unfinished ...>" and "<... execve resumed>")
    assert re.search(rf'^\[pid\s+{pid}\] execve\("/usr/bin/ls", \["ls", "/"\], ', log, re.M), log
    assert re.search(rf'^\[pid\s+{pid}\] getdents64\(3, .* = \d+$', log, re.M), log
    assert re.search(rf'^\[pid\s+{pid}\] \+\+\+ exited with 0 \+\+\+$', log, re.M), log
    assert re.search(rf'^(wait4\(-1, |<\.\.\. wait4 resumed>).*\) = {pid}$', log, re.M), log
    assert log.rstrip().endswith("+++ exited with 0 +++"), log


def test_strace_counts_and_follows_a_failing_child(sb, debian):
    need(debian, "strace")
    r = sb.run(["strace", "-f", "-e", "trace=openat,exit_group", "sh", "-c", "cat /nonexistent; exit 3"],
               text=True, timeout=120)
    assert r.returncode == 3, r.stderr
    assert re.search(r'openat\(AT_FDCWD, "/nonexistent", O_RDONLY\) = -1 ENOENT', r.stderr), r.stderr
    assert re.search(r"^exit_group\(3\)\s+= \?$", r.stderr, re.M), r.stderr
    assert "+++ exited with 3 +++" in r.stderr


def test_gdb_batch_session(sb, debian):
    need(debian, "gdb", "gcc")
    script = textwrap.dedent("""\
        set -e
        mkdir -p /root/g && cd /root/g
        cat > prog.c
        gcc -g -O0 -o prog prog.c
        exec gdb -batch -ex 'break main' -ex run -ex next -ex step -ex 'print x' -ex bt \\
            -ex finish -ex continue ./prog
        """)
    r = sb.run(["/bin/bash", "-c", script], input=PROG, text=True, timeout=180)
    out = r.stdout
    assert r.returncode == 0, (out, r.stderr)
    assert re.search(r"^Breakpoint 1 at 0x[0-9a-f]+: file prog.c, line 11\.$", out, re.M), out
    assert re.search(r"^Breakpoint 1, main \(\) at prog.c:11$", out, re.M), out
    assert re.search(r"^12\s+x = square\(x\);$", out, re.M), out              # next
    assert re.search(r"^square \(x=6\) at prog.c:5$", out, re.M), out          # step
    assert re.search(r"^\$1 = 6$", out, re.M), out                             # print x
    assert re.search(r"^#0  square \(x=6\) at prog.c:5$", out, re.M), out      # bt
    assert re.search(r"^#1  0x[0-9a-f]+ in main \(\) at prog.c:12$", out, re.M), out
    assert re.search(r"^Run till exit from #0|^Value returned is \$2 = 36$", out, re.M), out   # finish
    assert "Value returned is $2 = 36" in out, out
    assert "x=36" in out                                                       # continue
    assert re.search(r"^\[Inferior 1 \(process \d+\) exited normally\]$", out, re.M), out


def test_strace_attaches_to_a_running_process(sb, debian):
    """strace -p: PTRACE_SEIZE + PTRACE_INTERRUPT of a process that is already running
    (blocked in nanosleep), its syscalls from then on, and its exit."""
    need(debian, "strace")
    script = "sleep 1.5 & p=$!; sleep 0.3; strace -p $p; wait $p; echo status=$?"
    r = sb.run(["bash", "-c", script], text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "status=0\n", r.stdout
    assert re.search(r"^strace: Process \d+ attached$", r.stderr, re.M), r.stderr
    assert re.search(r"^exit_group\(0\)\s+= \?$", r.stderr, re.M), r.stderr
    assert r.stderr.rstrip().endswith("+++ exited with 0 +++"), r.stderr


PTRACE = textwrap.dedent("""\
    import ctypes, errno, os, signal, sys
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    def ptrace(req, pid):
        r = libc.ptrace(req, pid, None, None)
        return errno.errorcode[ctypes.get_errno()] if r == -1 else r
    """)


def test_a_pid_outside_the_sandbox_is_esrch(sb, debian):
    """The supervisor's own pid, the host's init and any other host pid name nothing
    in the guest: ptrace never reaches them."""
    script = PTRACE + textwrap.dedent("""\
        for pid in map(int, sys.argv[1:]):
            print(pid, ptrace(16, pid), ptrace(0x4206, pid), ptrace(2, pid))   # ATTACH, SEIZE, PEEKDATA
        """)
    outside = [os.getpid(), 99999, 4194303]
    r = sb.run(["python3", "-c", script, *map(str, outside)], text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    for line, pid in zip(r.stdout.splitlines(), outside):
        assert line == f"{pid} ESRCH ESRCH ESRCH", r.stdout


def test_attach_to_init_from_another_user_is_eperm(debian):
    """Guest init runs as root; a process of user 1000 may not trace it (ptrace_may_access),
    nor a root process it did not start; its own child it may."""
    script = PTRACE + textwrap.dedent("""\
        print("init", ptrace(16, 1), flush=True)
        child = os.fork()
        if child == 0:
            signal.pause()
            os._exit(0)
        print("own child", ptrace(16, child), os.waitpid(child, 0)[1] == 0x137f, flush=True)
        os.kill(child, 9)
        """)
    with Sandbox(rootfs=debian) as sb:
        # sh stays guest init (root); python runs as user 1000
        r = sb.run(["sh", "-c", 'setpriv --reuid=1000 --regid=1000 --clear-groups python3 -c "$0"; true', script],
                   text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["init EPERM", "own child 0 True"], r.stdout


def test_ptrace_always_stops_in_the_supervisor():
    """ptrace is served by the guest kernel: the seccomp filter never lets it run natively,
    in any argument form (a native ptrace could attach to a host process)."""
    from umlpy.syscalls.linux64 import TABLE
    assert 101 not in TABLE.native_numbers()
    assert TABLE.lookup(101).handler is not None
