"""The warm start-up server (umlpy/warm.py), as a user meets it: `python -m umlpy run`.

A run it serves must be the run the command would have done itself (output,
status, stdin, the process state the supervisor takes from its caller); it
serves only a client exactly as privileged as itself, from a directory no
one else can enter; and a client that dies or is signalled takes its
supervisor and guests with it.  UMLPY_SERVER=wait makes a run use the server
(starting one if needed), UMLPY_SERVER=0 makes it run in the command itself:
the two are compared.
"""
from __future__ import annotations

import glob
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from umlpy import warm

REPO = Path(__file__).resolve().parent.parent
ROOT = os.geteuid() == 0


def umlpy(mode: str, rootfs: Path, *argv: str, preexec=None, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, UMLPY_SERVER=mode)
    return subprocess.run([sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs), "--", *argv],
                          capture_output=True, text=True, timeout=60, cwd=REPO, env=env,
                          preexec_fn=preexec, **kw)


def test_a_served_run_is_the_run_the_command_would_do(rootfs):
    script = "cat; echo out; echo err >&2; umask; ulimit -n; ulimit -s; exit 7"

    def caller_state():                     # what the supervisor takes from its caller
        os.umask(0o027)
        resource.setrlimit(resource.RLIMIT_NOFILE, (200, 300))
        resource.setrlimit(resource.RLIMIT_STACK, (4 << 20, resource.RLIM_INFINITY))
    runs = {mode: umlpy(mode, rootfs, "sh", "-c", script, input="from stdin\n", preexec=caller_state)
            for mode in ("wait", "0")}
    warm_, direct = runs["wait"], runs["0"]
    assert warm_.stderr == direct.stderr == "err\n"
    assert warm_.stdout == direct.stdout
    assert warm_.stdout.splitlines()[:2] == ["from stdin", "out"]
    assert warm_.returncode == direct.returncode == 7


def test_the_run_is_served_not_done_by_the_command(rootfs):
    env = dict(os.environ, UMLPY_SERVER="wait")
    cmd = [sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs), "--", "sh", "-c", "echo up; read x"]
    subprocess.run(cmd[:-3] + ["true"], env=env, check=True, timeout=60)     # a server is up
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert p.stdout.readline() == "up\n"
        assert psutil.Process(p.pid).children() == []      # no supervisor of its own
        p.stdin.write("\n")
        p.stdin.close()
        assert p.wait(timeout=20) == 0
    finally:
        p.kill()


def test_runs_at_once_are_each_served_their_own(rootfs):
    """Eight clients at once: the server hands each to the spare it has forked ahead
    (umlpy/warm.py _accept), forks the next, and every run gets its own argv, stdin,
    output and status."""
    env = dict(os.environ, UMLPY_SERVER="wait")
    umlpy_run = [sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs), "--"]
    subprocess.run([*umlpy_run, "true"], env=env, check=True, timeout=60)      # a server is up
    runs = [subprocess.Popen([*umlpy_run, "sh", "-c", f"read x; echo $x {i}; exit {i}"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=env) for i in range(8)]
    try:
        outs = [p.communicate("run\n", timeout=60)[0] for p in runs]
        assert outs == [f"run {i}\n" for i in range(8)]
        assert [p.returncode for p in runs] == list(range(8))
    finally:
        for p in runs:
            p.kill()


def signalled(command: list[str], mode: str, sig: int, seconds: str = "60") -> int:
    """The wait status of `command run ... sh -c 'echo up; sleep SECONDS'` sent `sig` once up."""
    p = subprocess.Popen([*command, "--", "sh", "-c", f"echo up; sleep {seconds}"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, env=dict(os.environ, UMLPY_SERVER=mode))
    try:
        assert p.stdout.readline() == "up\n"
        os.kill(p.pid, sig)
        return p.wait(timeout=20)
    finally:
        p.kill()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_command_reaches_its_supervisor(rootfs, sig):
    mark = f"{4000 + os.getpid() % 1000}.{sig}"
    codes = {}
    for mode in ("wait", "0"):
        codes[mode] = signalled([sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs)], mode, sig, mark)
        time.sleep(0.3)
        left = [q for q in psutil.process_iter(["cmdline"]) if (q.info["cmdline"] or [])[1:] == [mark]]
        assert left == [], f"{mode}: guest left running: {left}"
    assert codes["wait"] == codes["0"], codes


@pytest.fixture
def private_server(tmp_path):
    """A server of our own on a path of our own; yields the socket's path."""
    d = tmp_path / "warm"
    d.mkdir(mode=0o700)
    path = str(d / "s.sock")
    code = f"import sys; sys.path[:] = {sys.path!r}\nfrom umlpy.warm import serve; serve({path!r})"
    server = subprocess.Popen([sys.executable, "-S", "-c", code], stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(path):
            assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
            time.sleep(0.05)
        yield path
    finally:
        server.terminate()
        server.wait(timeout=10)


ASK = r"""
import _socket, sys
from umlpy import warm
s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
code = warm._ask(s, sys.argv[2:])
sys.exit(1 if code is None else code)        # None: refused, the command would run it itself
"""


def ask(path: str, rootfs: Path, marker: Path, *prefix: str) -> subprocess.CompletedProcess:
    """A client asking the server at `path` to run `touch marker` (the rootfs is mapped in)."""
    argv = ["run", "--rootfs", str(rootfs), "-v", f"{marker.parent}:/out", "--",
            "sh", "-c", f"echo ran > /out/{marker.name}"]
    env = dict(os.environ, UMLPY_SERVER="wait", PYTHONPATH=str(REPO))
    return subprocess.run([*prefix, sys.executable, "-c", ASK, path, *argv], capture_output=True,
                          text=True, timeout=60, env=env)


def test_a_less_privileged_client_is_refused_and_nothing_runs(private_server, rootfs, tmp_path):
    out = tmp_path / "out"
    out.mkdir(mode=0o777)
    out.chmod(0o777)                       # the guest's host uid may be nobody
    # The same client, as privileged as the server: served.
    r = ask(private_server, rootfs, out / "served")
    assert r.returncode == 0, r.stderr
    assert (out / "served").read_text() == "ran\n"
    # no_new_privs is a privilege the server has and the client lacks: refused,
    # and the client (here a bare script) gets no run at all.
    r = ask(private_server, rootfs, out / "refused", "setpriv", "--no-new-privs")
    assert "refused: the client's privileges are not the server's" in r.stderr
    assert r.returncode == 1
    assert not (out / "refused").exists()


@pytest.mark.skipif(not ROOT, reason="needs root: a second user to try root's server")
def test_another_user_cannot_reach_the_server(rootfs, tmp_path):
    umlpy("wait", rootfs, "true")           # root's server is up
    socks = [p for d in {os.environ.get("XDG_RUNTIME_DIR") or "/tmp", "/tmp"}
             for p in glob.glob(f"{d}/umlpy-warm-0/warm-*.sock")]
    assert socks
    for d in {os.path.dirname(p) for p in socks}:
        st = os.stat(d)
        assert (st.st_mode & 0o777, st.st_uid) == (0o700, 0)
    probe = ("import socket, sys\n"
             "for p in sys.argv[1:]:\n"
             "    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
             "    try: s.connect(p); print('connected')\n"
             "    except OSError as e: print(e.errno)\n")
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        sys.executable, "-S", "-c", probe, *socks], capture_output=True, text=True, timeout=30)
    assert r.stdout.split() == ["13"] * len(socks), r       # EACCES: the directory is root's, 0700


def test_a_socket_directory_that_is_not_ours_is_not_used(tmp_path, monkeypatch):
    uid = os.getuid()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (tmp_path / f"umlpy-warm-{uid}").symlink_to(elsewhere)
    assert warm._rundir() is None           # a symlink someone planted
    (tmp_path / f"umlpy-warm-{uid}").unlink()
    (tmp_path / f"umlpy-warm-{uid}").mkdir(mode=0o755)
    os.chmod(tmp_path / f"umlpy-warm-{uid}", 0o755)
    assert warm._rundir() is None           # others could enter it
    os.chmod(tmp_path / f"umlpy-warm-{uid}", 0o700)
    assert warm._rundir() == f"{tmp_path}/umlpy-warm-{uid}"


def test_privileges_see_what_sets_processes_apart():
    me = warm.privileges()
    assert b"CapEff:" in me and b"NoNewPrivs:" in me and b"mnt:[" in me
    r = subprocess.run(["setpriv", "--no-new-privs", sys.executable, "-S", "-c",
                        f"import sys; sys.path[:0] = [{str(REPO)!r}]\n"
                        "from umlpy import warm; sys.stdout.buffer.write(warm.privileges())"],
                       capture_output=True, timeout=30)
    assert r.returncode == 0 and r.stdout != me
    assert r.stdout.replace(b"NoNewPrivs:\t1", b"NoNewPrivs:\t0") == me


@pytest.mark.skipif(not ROOT, reason="needs root: the sandbox's cgroups (rootless runs have none here)")
def test_a_killed_client_leaves_no_cgroup(rootfs):
    """SIGKILL to the command: its served supervisor kills the guests and removes the
    sandbox's cgroups before it exits (a killed supervisor of its own would leave them
    for the next start to sweep)."""
    from umlpy.platform import cgroup

    def sandboxes() -> set[str]:
        return {d for h in cgroup.hierarchies() for base in {h.path(h.own), h.mount}
                for d in glob.glob(os.path.join(base, cgroup.PARENT, "*-*"))}
    env = dict(os.environ, UMLPY_SERVER="wait")
    cmd = [sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs), "--", "sh", "-c", "echo up; sleep 60"]
    subprocess.run(cmd[:-3] + ["true"], env=env, check=True, timeout=60)    # a server is up
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert p.stdout.readline() == "up\n"
        # The run's cgroups, by the guest's (other runs may have made theirs meanwhile).
        guest = next(q for q in psutil.process_iter(["cmdline"]) if q.info["cmdline"] == ["sleep", "60"])
        names = {line.rsplit("/", 1)[-1] for line in Path(f"/proc/{guest.pid}/cgroup").read_text().splitlines()}
        made = {d for d in sandboxes() if os.path.basename(d) in names}
        assert made, "the run has no cgroup"
        p.kill()
        p.wait(timeout=10)
        deadline = time.monotonic() + 5
        while made & sandboxes() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not made & sandboxes(), "the killed client's sandbox left its cgroups"
    finally:
        p.kill()


# ------------------------------------------------------------- the C client
@pytest.fixture
def c_client(tmp_path, monkeypatch):
    """csrc/launcher.c built as install.sh builds it, beside a Python launcher of its own,
    and a second build whose Python launcher only says it was run (exit 99): a run that
    build serves was handed to the server by the C code alone.  Yields (real, tripwire)."""
    import _cffi_backend
    import shutil
    import tempfile
    run = Path(tempfile.mkdtemp(dir="/tmp"))   # not in tmp_path: a socket's path has 108 bytes at most
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))     # its server's socket, and ours alone
    script = tmp_path / "umlpy-python"
    script.write_text(f"#!{sys.executable} -SE\nimport sys\n"
                      f"sys.path[:0] = [{str(REPO)!r}, {os.path.dirname(_cffi_backend.__file__)!r}]\n"
                      "from umlpy.warm import main\nsys.exit(main())\n")
    script.chmod(0o755)
    tripwire = tmp_path / "tripwire"
    tripwire.write_text("import sys\nsys.stderr.write('fell back to Python\\n')\nsys.exit(99)\n")
    tripwire.chmod(0o755)
    ident, code = subprocess.run([str(script)], env=dict(os.environ, UMLPY_SERVER="identity"), cwd="/",
                                 capture_output=True, text=True, check=True).stdout.split()
    built = []
    for name, behind in (("umlpy", script), ("umlpy-c-only", tripwire)):
        out = tmp_path / name
        subprocess.run(["gcc", "-O2", "-Wall", "-Werror", "-o", str(out), str(REPO / "csrc/launcher.c"),
                        f'-DUMLPY_PYTHON="{sys.executable}"', f'-DUMLPY_SCRIPT="{behind}"',
                        f'-DUMLPY_CODE="{code}"', f"-DUMLPY_IDENTITY={ident}u"], check=True)
        built.append(out)
    try:
        yield built
    finally:
        for p in psutil.process_iter(["cmdline"]):
            if any(str(run) in a for a in p.info["cmdline"] or []):
                p.terminate()
        shutil.rmtree(run, ignore_errors=True)


def c_run(launcher: Path, rootfs: Path, *argv: str, mode: str = "wait", **kw):
    kw.setdefault("env", dict(os.environ, UMLPY_SERVER=mode))
    return subprocess.run([str(launcher), "run", "--rootfs", str(rootfs), "--", *argv], capture_output=True,
                          text=True, timeout=60, **kw)


def test_the_c_client_finds_the_python_clients_server(c_client, rootfs):
    real, c_only = c_client
    script = "cat; echo out; echo err >&2; exit 7"
    first = c_run(real, rootfs, "sh", "-c", script, input="in\n")    # no server: Python starts one
    assert (first.stdout, first.stderr, first.returncode) == ("in\nout\n", "err\n", 7)
    served = c_run(c_only, rootfs, "sh", "-c", script, input="in\n")
    assert (served.stdout, served.stderr, served.returncode) == ("in\nout\n", "err\n", 7)


def test_the_c_client_leaves_the_rest_to_python(c_client, rootfs):
    real, c_only = c_client
    assert c_run(real, rootfs, "true").returncode == 0        # a server is up
    r = subprocess.run([str(c_only), "syscalls"], capture_output=True, text=True, timeout=30)
    assert (r.returncode, r.stderr) == (99, "fell back to Python\n")      # not a run
    assert c_run(c_only, rootfs, "true", mode="0").returncode == 99       # UMLPY_SERVER=0
    master, slave = os.openpty()
    try:
        assert c_run(c_only, rootfs, "true", stdin=slave).returncode == 99    # a terminal run
    finally:
        os.close(master)
        os.close(slave)
    # Other privileges, another name: that server is not this client's.
    r = subprocess.run(["setpriv", "--no-new-privs", str(c_only), "run", "--rootfs", str(rootfs), "--",
                        "true"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 99


def test_the_c_client_uses_no_socket_directory_but_its_own(c_client, rootfs, tmp_path):
    """As warm._rundir: a planted symlink to the real directory, or a directory others
    may enter, is not used (the C client would hand its fds and environment to whoever
    listens there); the run falls back to Python instead of being served."""
    real, c_only = c_client
    assert c_run(real, rootfs, "true").returncode == 0        # a server is up
    assert c_run(c_only, rootfs, "true").returncode == 0      # and the C client finds it
    mine = Path(os.environ["XDG_RUNTIME_DIR"]) / f"umlpy-warm-{os.getuid()}"
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / mine.name).symlink_to(mine)                     # the same server, through a link
    r = c_run(c_only, rootfs, "true", env=dict(os.environ, UMLPY_SERVER="wait", XDG_RUNTIME_DIR=str(planted)))
    assert (r.returncode, r.stderr) == (99, "fell back to Python\n")
    mine.chmod(0o755)                                          # others could enter it
    try:
        r = c_run(c_only, rootfs, "true")
        assert (r.returncode, r.stderr) == (99, "fell back to Python\n")
    finally:
        mine.chmod(0o700)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_c_client_forwards_signals(c_client, rootfs, sig):
    real, c_only = c_client
    assert c_run(real, rootfs, "true").returncode == 0        # a server is up
    served = signalled([str(c_only), "run", "--rootfs", str(rootfs)], "wait", sig)
    direct = signalled([str(real), "run", "--rootfs", str(rootfs)], "0", sig)
    assert served == direct, (served, direct)
