"""Named networks (issue 9, "Sandboxes that talk"): `--network NAME`, as root and rootless.

Sandboxes started with the same NAME share a network: each has its own
address, and finds the others by their --hostname through /etc/hosts.
As root the network is an `ip netns`; rootless it is a user namespace of
its own held by a keeper process (kernel/netkeeper.py).  Every test here
runs both ways: run it as root, and as an unprivileged user (COMMON.md's
rootless command).  Each reaches only servers it starts itself, and
nothing may listen on the host that did not before.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest

from umlpy.kernel.network import networks_dir

REPO = Path(__file__).resolve().parent.parent
UMLPY = [sys.executable, "-m", "umlpy"]
ROOT = os.geteuid() == 0
HTTPD = "echo served-by-web > /tmp/i.html; ln -s /etc/hosts /tmp/hosts; cd /tmp; exec httpd -f -p 8080"


def state_dir(name: str) -> str:
    return os.path.join(networks_dir(not ROOT), name)


def listening() -> set[str]:
    out = subprocess.run(["ss", "-Hltnu"], capture_output=True, text=True, check=False).stdout
    return {" ".join(line.split()[i] for i in (0, 4)) for line in out.splitlines() if line.strip()}


def umlpy(rootfs: Path, name: str, hostname: str, script: str) -> list[str]:
    return [*UMLPY, "run", "--rootfs", str(rootfs), "--network", name, "--hostname", hostname,
            "--", "sh", "-c", script]


def start(rootfs: Path, name: str, hostname: str, script: str) -> subprocess.Popen:
    return subprocess.Popen(umlpy(rootfs, name, hostname, script), cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def run(rootfs: Path, name: str, hostname: str, script: str) -> subprocess.CompletedProcess:
    return subprocess.run(umlpy(rootfs, name, hostname, script), cwd=REPO, capture_output=True,
                          text=True, timeout=60, check=False)


def until(pred, make, deadline: float = 30.0):
    """make() again until pred(its result) or the deadline; the last result."""
    end = time.monotonic() + deadline
    while True:
        r = make()
        if pred(r) or time.monotonic() > end:
            return r
        time.sleep(0.5)


def stop(*procs: subprocess.Popen) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        p.communicate(timeout=30)


def wait_member(name: str, hostname: str, deadline: float = 30.0) -> None:
    """Until `hostname` has its address on network `name` (a line in the members record)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            with open(os.path.join(state_dir(name), "members")) as f:
                if any(line.split()[1:2] == [hostname] for line in f):
                    return
        except FileNotFoundError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{hostname} never joined {name}")


def keeper_pid(name: str) -> int | None:
    """Rootless: the pid of the network's keeper, as its record names it."""
    try:
        with open(os.path.join(state_dir(name), "keeper")) as f:
            return int(f.read().split()[0])
    except FileNotFoundError:
        return None


def assert_network_gone(name: str, keeper: int | None) -> None:
    """The last member to leave took the network with it (as root the netns; rootless the
    keeper process and with it the namespaces)."""
    if ROOT:
        out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
        assert f"umlpy-{name}" not in out
    else:
        assert keeper is not None
        end = time.monotonic() + 10
        while os.path.exists(f"/proc/{keeper}") and time.monotonic() < end:
            time.sleep(0.2)
        assert not os.path.exists(f"/proc/{keeper}"), "the keeper outlived the network's last member"
        assert keeper_pid(name) is None
    assert not os.path.exists(os.path.join(state_dir(name), "members"))
    shutil.rmtree(state_dir(name), ignore_errors=True)      # its lock file stays, by design


def test_named_network_server_and_client_find_each_other_by_hostname(rootfs):
    name = f"n{os.getpid()}"
    before = listening()
    server = start(rootfs, name, "web", HTTPD)
    keeper = None
    try:
        r = until(lambda r: "served-by-web" in r.stdout, lambda: run(
            rootfs, name, "cli", "grep -E 'web|cli' /etc/hosts; hostname -i; "
            "printf 'GET /i.html HTTP/1.0\\r\\n\\r\\n' | nc web 8080"))
        if "served-by-web" not in r.stdout:
            server.terminate()
            pytest.fail(f"client: {r.stderr!r}; server: {server.communicate(timeout=30)!r}")
        keeper = keeper_pid(name)
        assert ROOT or keeper is not None
        lines = r.stdout.splitlines()
        web = [line.split()[0] for line in lines if line.endswith("\tweb")]
        cli = [line.split()[0] for line in lines if line.endswith("\tcli")]
        assert len(web) == 1 and len(cli) == 1 and web != cli
        assert cli[0] in lines                       # hostname -i: its own address on the network
        # the server started first; its /etc/hosts gains the client as it joins (served by its httpd)
        r = until(lambda r: "\tcli2\n" in r.stdout, lambda: run(
            rootfs, name, "cli2", "sleep 2; printf 'GET /hosts HTTP/1.0\\r\\n\\r\\n' | nc web 8080"), 20)
        assert "\tweb\n" in r.stdout and "\tcli2\n" in r.stdout, (r.stdout, r.stderr)
        assert listening() == before                 # nothing of the network listens on the host
    finally:
        stop(server)
    assert_network_gone(name, keeper)


class HostServer:
    """A TCP server on the host, on every address, counting the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("0.0.0.0", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.done = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.done:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            c.sendall(b"host-secret\n")
            c.close()

    def close(self) -> None:
        self.done = True
        self.thread.join()
        self.sock.close()


def host_addresses() -> list[str]:
    """The host's own IPv4 addresses (besides loopback), as `ip -4 addr` lists them."""
    out = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, check=False).stdout
    return [f.split()[3].split("/")[0] for f in out.splitlines()
            if len(f.split()) > 3 and not f.split()[3].startswith("127.")]


def test_named_network_does_not_reach_the_host(rootfs):
    """A sandbox on a named network reaches neither the host's loopback nor any host address:
    127.0.0.1 is its own `lo`, and the network (the bridge's address included) has no way out."""
    name = f"h{os.getpid()}"
    prefix = f"10.88.{zlib.crc32(name.encode()) % 250 + 1}"
    host = HostServer()
    try:
        targets = ["127.0.0.1", f"{prefix}.1", *host_addresses()[:3]]
        script = "; ".join(f"nc -w 2 {a} {host.port} </dev/null; echo {a}=$?" for a in targets)
        r = run(rootfs, name, "probe", "ip route; " + script)
    finally:
        host.close()
    assert host.accepted == 0 and "host-secret" not in r.stdout, (r.stdout, r.stderr)
    for a in targets:
        assert f"{a}=1" in r.stdout, (a, r.stdout, r.stderr)
    assert "default" not in r.stdout                 # no route out of the network
    assert f"{prefix}.0/24 dev eth0" in r.stdout     # but it was on it
    shutil.rmtree(state_dir(name), ignore_errors=True)


def same_prefix(name: str) -> str:
    """Another network name whose subnet is the same as `name`'s (10.88.K.0/24): two such
    networks are apart by their bridges alone, not by their addresses."""
    k = zlib.crc32(name.encode()) % 250
    return next(f"{name}o{i}" for i in range(100000) if zlib.crc32(f"{name}o{i}".encode()) % 250 == k)


def test_two_named_networks_are_isolated(rootfs):
    a = f"a{os.getpid()}"
    b = same_prefix(a)
    prefix = f"10.88.{zlib.crc32(a.encode()) % 250 + 1}"
    filler = start(rootfs, a, "a1", "sleep 60")               # a's .2, so that web's is not
    wait_member(a, "a1")
    server = start(rootfs, a, "web", HTTPD)
    wait_member(a, "web")                                      # .3, before any client takes it
    try:
        r = until(lambda r: "served-by-web" in r.stdout, lambda: run(
            rootfs, a, "cli", "grep web /etc/hosts; printf 'GET /i.html HTTP/1.0\\r\\n\\r\\n' | nc web 8080"))
        assert "served-by-web" in r.stdout, (r.stdout, r.stderr)      # on its own network it is reached
        web = f"{prefix}.3"
        assert f"{web}\tweb" in r.stdout
        # on network b, at the same addresses, nothing answers for web's: b's bridge is another
        r = run(rootfs, b, "other", f"hostname -i; grep -c web /etc/hosts; "
                f"printf 'GET /i.html HTTP/1.0\\r\\n\\r\\n' | nc -w 3 {web} 8080; echo rc=$?")
        assert r.stdout.splitlines()[:2] == [f"{prefix}.2", "0"], (r.stdout, r.stderr)
        assert "served-by-web" not in r.stdout and "rc=1" in r.stdout, (r.stdout, r.stderr)
    finally:
        stop(server, filler)
    for name in (a, b):
        shutil.rmtree(state_dir(name), ignore_errors=True)


@pytest.mark.skipif(ROOT, reason="rootless only: as root the network is an ip netns, no process")
def test_keeper_ends_when_its_last_member_is_killed(rootfs):
    """A supervisor killed with SIGKILL never leaves: the keeper sees its member gone and ends."""
    name = f"k{os.getpid()}"
    member = start(rootfs, name, "doomed", "sleep 60")
    end = time.monotonic() + 20
    while keeper_pid(name) is None and time.monotonic() < end:
        time.sleep(0.2)
    keeper = keeper_pid(name)
    member.kill()
    member.communicate(timeout=30)
    assert_network_gone(name, keeper)
