"""Real programs beyond busybox: the host's own Python interpreter runs in the guest.

A rootfs gets the host's /usr/bin/python3 (its libraries found with
pyelftools) and the standard library is bind-mounted read-only: threads,
subprocesses, sockets, extension modules loaded by mmap all go through the
guest kernel.
"""
from __future__ import annotations

import glob
import os

import pytest

from umlpy import Sandbox
from umlpy.image import build, copy_host_binary

SCRIPT = r"""
import json, os, socket, subprocess, sys, threading
out = {"pid": os.getpid(), "ppid": os.getppid(), "node": os.uname().nodename}
res = []
ts = [threading.Thread(target=lambda i=i: res.append(i * i)) for i in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
out["threads"] = sorted(res)
out["child"] = subprocess.run(["sh", "-c", "echo $$ $PPID"], capture_output=True, text=True).stdout.split()
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen()
cli = socket.create_connection(srv.getsockname()); conn, _ = srv.accept()
cli.sendall(b"ping"); out["tcp"] = conn.recv(4).decode()
out["root"] = sorted(os.listdir("/"))
with open("/tmp/py.txt", "w") as f: f.write("written by python")
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def pyroot(tmp_path_factory):
    exe = os.path.realpath("/usr/bin/python3")
    stdlibs = sorted(glob.glob("/usr/lib/python3.[0-9]*"))
    assert os.path.exists(exe) and stdlibs, "Debian's python3 is installed by ./install.sh"
    root = build(tmp_path_factory.mktemp("pyroot") / "root", host_binaries=("true",))
    copy_host_binary(root, exe, "/usr/bin/python3")
    return root, stdlibs[-1]


def test_host_python_runs_threads_subprocesses_and_sockets(pyroot):
    import json
    root, stdlib = pyroot
    with Sandbox(rootfs=root, mounts=[(stdlib, stdlib, "ro")], hostname="pybox") as sb:
        r = sb.run(["python3", "-c", SCRIPT], text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert (out["pid"], out["ppid"], out["node"]) == (1, 0, "pybox")
        assert out["threads"] == [0, 1, 4, 9]
        child_pid, child_ppid = map(int, out["child"])
        assert 1 < child_pid < 100 and child_ppid == 1
        assert out["tcp"] == "ping"
        assert "proc" in out["root"] and "work" not in out["root"]
        assert sb.run(["cat", "/tmp/py.txt"], text=True).stdout == ""   # /tmp is per run
        assert r.report.internal_errors == []


def test_host_gcc_compiles_and_runs_a_program_in_the_guest(rootfs):
    """gcc with the host's /usr mapped read-only: cc1, as and ld spawned through the guest kernel."""
    script = ("printf '#include <stdio.h>\\nint main(void){puts(\"built inside\");return 0;}\\n' > /tmp/h.c"
              " && gcc -O2 -o /tmp/h /tmp/h.c && /tmp/h")
    with Sandbox(rootfs=rootfs, mounts=[("/usr", "/usr", "ro")]) as sb:
        r = sb.run(["sh", "-c", script], text=True, timeout=120)
    assert (r.returncode, r.stdout) == (0, "built inside\n"), r.stderr
    execs = [e[0] for p in r.report.processes for e in p["execs"]]
    assert any(e.endswith("/cc1") for e in execs), execs
    assert any(e.endswith("/as") or e.endswith("x86_64-linux-gnu-as") for e in execs), execs
    assert r.report.internal_errors == []
