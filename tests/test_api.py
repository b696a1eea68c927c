"""The Python API: Sandbox.run() behaves like subprocess.run() and reports what the guest did."""
from __future__ import annotations

import os
import subprocess
import time

import pytest

from umlpy import Sandbox, SandboxError, SandboxTimeout


def test_run_captures_bytes_and_status(sandbox):
    r = sandbox.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (r.returncode, r.stdout, r.stderr) == (3, b"out\n", b"err\n")
    assert r.args == ["sh", "-c", "echo out; echo err >&2; exit 3"]


def test_text_input_and_check(sandbox):
    r = sandbox.run(["tr", "a-z", "A-Z"], input="hello", text=True)
    assert r.stdout == "HELLO"
    with pytest.raises(subprocess.CalledProcessError) as e:
        sandbox.run(["sh", "-c", "exit 4"], check=True)
    assert e.value.returncode == 4


def test_killed_by_a_signal_is_negative_like_subprocess(sandbox):
    assert sandbox.run(["sh", "-c", "kill -USR1 $$; sleep 1"]).returncode == -10


def test_env_and_cwd_per_run(sandbox):
    r = sandbox.run(["sh", "-c", "echo $FOO; pwd"], env={"FOO": "bar", "PATH": "/bin"},
                    cwd="/etc", text=True)
    assert r.stdout == "bar\n/etc\n"


def test_report_lists_processes_execs_files_and_denied(sandbox, cc):
    prog = cc("api_denied", r"""
        #include <unistd.h>
        #include <sys/syscall.h>
        int main(void) { return syscall(SYS_io_uring_setup, 1, 0) == -1 ? 0 : 1; }
    """)
    r = sandbox.run(["sh", "-c", f"echo x > /tmp/f; cat /tmp/f; {prog}; true"])
    assert r.returncode == 0
    rep = r.report
    assert "/tmp/f" in rep.files_written
    assert rep.syscalls["openat"] >= 2
    execs = [e for p in rep.processes for e in p["execs"]]
    assert any(e[1:] == ["cat", "/tmp/f"] for e in execs), execs
    assert rep.processes[0]["pid"] == 1 and rep.processes[0]["ppid"] == 0
    assert all(p["pid"] < 100 for p in rep.processes)
    assert any("io_uring_setup" in line and "ENOSYS" in line for line in rep.denied), rep.denied


def test_timeout_kills_the_sandbox_and_raises(sandbox):
    t0 = time.time()
    with pytest.raises(SandboxTimeout) as e:
        sandbox.run(["sh", "-c", "echo started; sleep 100"], timeout=1)
    assert time.time() - t0 < 5
    assert e.value.output == b"started\n"


def test_missing_program_and_bad_rootfs_are_clear_errors(sandbox, tmp_path):
    with pytest.raises(SandboxError, match="no-such-program"):
        sandbox.run(["no-such-program"])
    with pytest.raises(SandboxError, match="not a directory"):
        Sandbox(rootfs=tmp_path / "missing")
    with pytest.raises(TypeError):
        sandbox.run("echo hi")


def test_writes_last_as_long_as_the_sandbox(rootfs):
    with Sandbox(rootfs=rootfs) as sb:
        assert sb.run(["sh", "-c", "echo kept > /root/note"]).returncode == 0
        assert sb.run(["cat", "/root/note"]).stdout == b"kept\n"
    with Sandbox(rootfs=rootfs) as other:
        assert other.run(["cat", "/root/note"]).returncode != 0
    with pytest.raises(SandboxError, match="closed"):
        sb.run(["true"])


def test_the_report_names_the_mode_and_the_guests_host_uid(sandbox):
    """Root and rootless runs both say, in the report, which mode applied and as what
    host uid the guest ran; the limits say how each was enforced in that mode."""
    r = sandbox.run(["true"])
    if os.geteuid() == 0:
        assert r.report.mode == "root: the guest runs as host uid 65534", r.report.mode
    else:
        assert r.report.mode.startswith(f"rootless: the guest runs as host uid {os.geteuid()} (ours)")
    assert set(r.report.limits) >= {"memory", "processes", "cpu", "disk"}, r.report.limits
