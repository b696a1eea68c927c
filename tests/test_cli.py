"""The umlpy command line, run as a user runs it: `python -m umlpy ...` in a
subprocess, with --rootfs pointing at the session's test rootfs.

Exit status passthrough (and 128+N for a signal), stdio composing in host
pipelines, -e/-w/--hostname/-v, one-line usage errors with status 2, the
syscall class table, and --trace (stderr or a file).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
UMLPY = [sys.executable, "-m", "umlpy"]


def umlpy(*args: str, input: str | None = None, timeout: float = 30, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*UMLPY, *args], input=input, capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, **kw)


@pytest.fixture
def run(rootfs):
    """run(*options, "--", CMD...) -> `umlpy run --rootfs ROOTFS *options -- CMD...`"""
    def run_(*args: str, **kw):
        return umlpy("run", "--rootfs", str(rootfs), *args, **kw)
    return run_


# ---------------------------------------------------------------- status

@pytest.mark.parametrize("code", [0, 1, 42, 255])
def test_exit_status_passthrough(run, code):
    r = run("--", "sh", "-c", f"echo out; echo err >&2; exit {code}")
    assert r.returncode == code
    assert r.stdout == "out\n"
    assert r.stderr == "err\n"


def test_exit_status_of_host_binaries(run):
    assert run("--", "/usr/bin/true").returncode == 0
    assert run("--", "/usr/bin/false").returncode == 1
    r = run("--", "/usr/bin/ls", "/nonexistent")
    assert r.returncode == 2 and "No such file or directory" in r.stderr


@pytest.mark.parametrize("sig", [9, 15, 11, 6])
def test_killed_by_signal_is_128_plus_n(run, sig):
    r = run("--", "sh", "-c", f"echo before; kill -{sig} $$; echo after")
    assert r.stdout == "before\n"
    assert r.returncode == 128 + sig


def test_signal_from_a_child_process_c_program(run, cc, progs):
    prog = cc("abort_cli", r"""
        #include <stdlib.h>
        #include <stdio.h>
        int main(void) { puts("bye"); fflush(stdout); abort(); }""")
    r = run("-v", f"{progs}:/t:ro", "--", prog)
    assert r.stdout == "bye\n"
    assert r.returncode == 128 + 6


def test_missing_program_is_127(run):
    r = run("--", "/no/such/program")
    assert r.returncode == 127
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and "/no/such/program" in r.stderr
    r = run("--", "sh", "-c", "/no/such/program")
    assert r.returncode == 127


def test_sigterm_to_umlpy_reaches_the_guest(rootfs):
    p = subprocess.Popen([*UMLPY, "run", "--rootfs", str(rootfs), "--", "sh", "-c",
                          "trap 'echo got-term; exit 3' TERM; echo ready; while :; do sleep 0.1; done"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert p.stdout.readline() == "ready\n"
        p.terminate()
        out, err = p.communicate(timeout=10)
    finally:
        p.kill()
    assert out == "got-term\n"
    assert p.returncode == 3


# ---------------------------------------------------------------- stdio

def test_stdin_stdout_compose_in_a_host_pipeline(rootfs):
    cmd = (f"echo hello world | {sys.executable} -m umlpy run --rootfs {rootfs} -- tr a-z A-Z "
           f"| {sys.executable} -m umlpy run --rootfs {rootfs} -- /usr/bin/cat | wc -c")
    r = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, timeout=30, cwd=REPO)
    assert r.stdout.strip() == "12"
    r = subprocess.run(["sh", "-c", f"echo hello | {sys.executable} -m umlpy run --rootfs {rootfs} -- tr a-z A-Z"],
                       capture_output=True, text=True, timeout=30, cwd=REPO)
    assert r.stdout == "HELLO\n"


def test_large_stdin_roundtrip(run):
    data = "".join(f"line {i}\n" for i in range(20000))
    r = run("--", "sh", "-c", "cat | wc -l; echo done >&2", input=data)
    assert r.stdout.strip() == "20000"
    assert r.stderr == "done\n"


def test_stdout_to_a_closed_pipe(rootfs):
    r = subprocess.run(["sh", "-c", f"{sys.executable} -m umlpy run --rootfs {rootfs} -- yes | head -n 3"],
                       capture_output=True, text=True, timeout=30, cwd=REPO)
    assert r.stdout == "y\ny\ny\n"
    assert "Traceback" not in r.stderr


# ---------------------------------------------------------------- options

def test_env_option(run):
    r = run("-e", "FOO=bar baz", "-e", "EMPTY=", "-e", "PATH=/bin", "--", "sh", "-c",
            'echo "$FOO|${EMPTY-unset}|$PATH"; env | grep -c ^FOO=')
    assert r.stdout == "bar baz||/bin\n1\n"
    # the host's environment does not leak in
    r = run("--", "/usr/bin/env", env={**os.environ, "UMLPY_HOST_ONLY": "leak"})
    assert "UMLPY_HOST_ONLY" not in r.stdout
    assert "PATH=" in r.stdout


def test_workdir_option(run):
    r = run("-w", "/etc", "--", "sh", "-c", "pwd; cat hostname; /bin/pwd")
    assert r.stdout == "/etc\numlpy\n/etc\n"
    r = run("--workdir", "/usr/bin", "--", "/usr/bin/ls", "bash")
    assert r.stdout == "bash\n"


def test_hostname_option(run):
    r = run("--hostname", "cli-box", "--", "sh", "-c", "hostname; uname -n; /usr/bin/uname -n")
    assert r.stdout == "cli-box\n" * 3
    assert run("--", "hostname").stdout == "umlpy\n"


def test_volume_option_rw_and_ro(run, tmp_path):
    rw, ro = tmp_path / "rw", tmp_path / "ro"
    rw.mkdir()
    ro.mkdir()
    (ro / "f").write_text("read-only\n")
    r = run("-v", f"{rw}:/data", "-v", f"{ro}:/ro:ro", "--", "sh", "-c",
            "echo written > /data/out; cat /ro/f; echo x > /ro/g; echo rc=$?")
    assert r.stdout == "read-only\nrc=1\n"
    assert "Read-only file system" in r.stderr
    assert (rw / "out").read_text() == "written\n"
    assert sorted(p.name for p in ro.iterdir()) == ["f"]
    r = run("--volume", f"{rw}:/data:rw", "--", "cat", "/data/out")
    assert r.stdout == "written\n"


# ---------------------------------------------------------------- usage errors

@pytest.mark.parametrize("args", [
    ["run", "--bogus", "--", "true"],
    ["run", "-v", "/tmp", "--", "true"],
    ["run", "-v", "/definitely/not/here:/x", "--", "true"],
    ["run", "-v", "/tmp:relative", "--", "true"],
    ["run", "-v", "/tmp:/x:rx", "--", "true"],
    ["run", "-e", "NOEQUALS", "--", "true"],
    ["run", "-e", "=value", "--", "true"],
    ["run"],
    ["run", "--"],
    ["run", "-w", "relative/dir", "--", "true"],
    ["run", "-w", "/no/such/dir", "--", "true"],
    ["run", "-w", "/etc/hostname", "--", "true"],
    ["run", "--cpu", "notanumber", "--", "true"],
    ["frobnicate"],
    [],
], ids=lambda a: " ".join(a) or "nothing")
def test_bad_command_line_is_one_line_and_status_2(rootfs, args):
    if args and args[0] == "run":
        args = ["run", "--rootfs", str(rootfs), *args[1:]]
    r = umlpy(*args)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert r.stderr.startswith("umlpy: error:")
    assert r.stderr.count("\n") == 1 and r.stderr.endswith("\n"), r.stderr
    assert r.stdout == ""


def test_bad_rootfs_is_one_line_and_status_2(tmp_path):
    r = umlpy("run", "--rootfs", str(tmp_path / "missing"), "--", "true")
    assert r.returncode == 2
    assert r.stderr.startswith("umlpy: error:") and r.stderr.count("\n") == 1


def test_command_after_double_dash_keeps_its_options(run):
    r = run("--", "sh", "-c", 'echo "$@"', "sh", "-v", "--hostname", "-e")
    assert r.returncode == 0
    assert r.stdout == "-v --hostname -e\n"


# ---------------------------------------------------------------- syscalls table

def test_syscalls_table_lists_every_number_with_a_class():
    r = umlpy("syscalls")
    assert r.returncode == 0 and r.stderr == ""
    rows = {}
    for line in r.stdout.splitlines()[1:]:
        f = line.split()
        rows[int(f[0])] = (f[1], f[2])
    n = max(rows)
    assert n >= 334
    assert sorted(rows) == list(range(n + 1)), "every number 0..max, once"
    assert {c for _, c in rows.values()} == {"emulate", "rewrite", "native", "deny"}
    by_name = {name: cls for name, cls in rows.values()}
    assert by_name["getpid"] == "native"          # the guest's own PID namespace
    assert by_name["getuid"] == "emulate"
    assert by_name["read"] == "native"
    assert by_name["write"] == "native"
    assert by_name["io_uring_setup"] == "deny"
    assert by_name["bpf"] == "deny"
    assert by_name["openat"] == "rewrite"
    assert by_name["kill"] == "rewrite"
    assert rows[0][0] == "read" and rows[39][0] == "getpid" and rows[257][0] == "openat"
    assert rows[425][0] == "io_uring_setup"


# ---------------------------------------------------------------- trace

TRACE_LINE = re.compile(r'^\[pid 1\] openat\(AT_FDCWD, "/etc/hostname", O_RDONLY[^)]*\) = 3$', re.M)


def test_trace_to_stderr(run):
    r = run("--trace", "--", "cat", "/etc/hostname")
    assert r.returncode == 0
    assert r.stdout == "umlpy\n"
    assert TRACE_LINE.search(r.stderr), r.stderr[:2000]
    assert re.search(r'^\[pid 1\] execve\("/usr/bin/cat", \["cat", "/etc/hostname"\]\) = 0$', r.stderr, re.M) \
        or re.search(r'^\[pid 1\] execve\("/bin/cat"', r.stderr, re.M)
    lines = r.stderr.splitlines()
    assert all(l.startswith("[pid ") for l in lines), [l for l in lines if not l.startswith("[pid ")][:5]
    # strict mode stops every syscall: native-class ones show up too
    assert re.search(r'^\[pid 1\] read\(3, 0x[0-9a-f]+, \d+\) = 6$', r.stderr, re.M)
    assert re.search(r'^\[pid 1\] write\(1, (0x[0-9a-f]+|"umlpy\\n"), 6\) = 6$', r.stderr, re.M)


def test_trace_errors_and_guest_pids(run):
    r = run("--trace", "--", "sh", "-c", "cat /etc/nope; /usr/bin/true")
    assert re.search(r'^\[pid \d+\] openat\(AT_FDCWD, "/etc/nope", O_RDONLY[^)]*\) = -1 ENOENT', r.stderr, re.M)
    pids = {int(m) for m in re.findall(r"^\[pid (\d+)\]", r.stderr, re.M)}
    assert 1 in pids and max(pids) < 100, pids     # guest pids, not host pids
    assert not re.search(rf"(?<![0-9a-fx]){os.getpid()}(?![0-9a-f])", r.stderr)   # not inside an address


def test_trace_to_file(run, tmp_path):
    out = tmp_path / "trace.txt"
    r = run(f"--trace={out}", "--", "cat", "/etc/hostname")
    assert r.returncode == 0
    assert r.stdout == "umlpy\n"
    assert r.stderr == ""
    assert TRACE_LINE.search(out.read_text())


def test_trace_subcommand(rootfs, tmp_path):
    r = umlpy("trace", "--rootfs", str(rootfs), "--", "cat", "/etc/hostname")
    assert r.stdout == "umlpy\n"
    assert TRACE_LINE.search(r.stderr)
    out = tmp_path / "t.txt"
    r = umlpy("trace", "--rootfs", str(rootfs), "-o", str(out), "--", "cat", "/etc/hostname")
    assert r.stderr == "" and TRACE_LINE.search(out.read_text())


def test_trace_names_denied_syscalls(run, cc, progs):
    prog = cc("bpf_cli", r"""
        #include <stdio.h>
        #include <unistd.h>
        #include <sys/syscall.h>
        int main(void) { long r = syscall(SYS_bpf, 0, 0, 0); printf("%ld\n", r); return 0; }""")
    r = run("-v", f"{progs}:/t:ro", "--trace", "--", prog)
    assert r.stdout == "-1\n"
    assert re.search(r"^\[pid 1\] bpf\(.*\) = -1 EPERM", r.stderr, re.M), r.stderr[-1500:]
    # without --trace, a denied syscall still leaves one line naming it
    r = run("-v", f"{progs}:/t:ro", "--", prog)
    assert r.stdout == "-1\n"
    assert len([l for l in r.stderr.splitlines() if "bpf" in l]) == 1, r.stderr


def test_a_probed_refusal_is_not_a_warning(run, cc, progs):
    """glibc tries clone3 before clone for every thread and spawn: its ENOSYS is routine,
    so `umlpy run` does not warn on stderr; --trace still shows it."""
    prog = cc("clone3_cli", r"""
        #include <stdio.h>
        #include <unistd.h>
        #include <sys/syscall.h>
        int main(void) { long r = syscall(SYS_clone3, 0, 0); printf("%ld\n", r); return 0; }""")
    r = run("-v", f"{progs}:/t:ro", "--", prog)
    assert (r.stdout, r.stderr) == ("-1\n", "")
    r = run("-v", f"{progs}:/t:ro", "--trace", "--", prog)
    assert re.search(r"^\[pid 1\] clone3\(.*\) = -1 ENOSYS", r.stderr, re.M), r.stderr[-1500:]


def test_no_trace_without_flag(run):
    r = run("--", "cat", "/etc/hostname")
    assert r.stdout == "umlpy\n" and r.stderr == ""


def test_trace_shows_signals_and_exits(run):
    """A program's life as the guest kernel sees it: signals delivered, processes ending."""
    r = run("--trace", "--", "sh", "-c", "sleep 0 & wait; kill -9 $$")
    assert r.returncode == 137
    assert re.search(r"^\[pid (\d+)\] \+\+\+ exited with 0 \+\+\+$", r.stderr, re.M)
    assert re.search(r"^\[pid 1\] --- SIGCHLD ---$", r.stderr, re.M)
    assert r.stderr.rstrip().endswith("[pid 1] +++ killed by SIGKILL +++")


def test_rootless_without_user_namespaces_is_one_clear_error(rootfs):
    """Rootless mode where the host refuses a user namespace: one error line that names
    the feature and the sysctl, status 2.  No host setting is changed: umlpy runs as
    uid 1000 in a user namespace nested in another, whose user.max_user_namespaces
    (a per-namespace setting) allows that one namespace and no more."""
    nest = ('echo 1 > /proc/sys/user/max_user_namespaces && '
            'exec unshare -U --map-user=1000 --map-group=1000 "$@"')
    r = subprocess.run(["unshare", "-U", "-r", "sh", "-c", nest, "sh", sys.executable, "-m", "umlpy",
                        "run", "--rootfs", str(rootfs), "--", "true"], capture_output=True, text=True,
                       timeout=60, cwd=REPO)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("umlpy: error: rootless mode needs unprivileged user namespaces"), r.stderr
    assert "user.max_user_namespaces limit is reached" in r.stderr and r.stderr.count("\n") == 1, r.stderr
