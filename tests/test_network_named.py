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

from conftest import debian_rootfs
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


def member_address(name: str, hostname: str) -> str:
    with open(os.path.join(state_dir(name), "members")) as f:
        return next(line.split()[0] for line in f if line.split()[1:2] == [hostname])


def mac_of(address: str) -> str:
    return "02:42:" + ":".join(f"{int(b):02x}" for b in address.split("."))


def evil_script(web: str, tries: str) -> str:
    """Guest root's tries (each line echoes NAME=$?), a read-back of eth0 and lo, then
    `evil-done` while it stays on the network."""
    return ("me=$(ip -o -4 addr show dev eth0 | sed -n 's/.*inet \\([0-9.]*\\)\\/.*/\\1/p')\n"
            f"{tries}\n"
            f"ip -o addr show dev eth0 | grep -c \"inet $me/24\"; ip -o addr | grep -c \"inet {web}/\"\n"
            "ip -o link show eth0 | grep -o 'ether [0-9a-f:]*'\n"
            "ip -o addr show dev lo | grep -c 10.9.9.9\n"
            "echo evil-done; exec sleep 60\n")


def tries_of(proc: subprocess.Popen) -> list[str]:
    """The words evil printed until `evil-done` (or its end, or 90 s)."""
    words: list[str] = []

    def read() -> None:
        for line in proc.stdout:
            if line.strip() == "evil-done":
                return
            words.extend(line.split())
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(90)
    return words


def web_still_answers(rootfs: Path, name: str, web: str) -> None:
    """A third member reaches web, and at web's own MAC address."""
    get = "printf 'GET /i.html HTTP/1.0\\r\\n\\r\\n'"
    r = until(lambda r: "served-by-web" in r.stdout, lambda: run(
        rootfs, name, "cli", f"{get} | nc web 8080; cat /proc/net/arp"))
    assert "served-by-web" in r.stdout, (r.stdout, r.stderr)
    arp = [line.split() for line in r.stdout.splitlines() if line.startswith(web + " ")]
    assert arp and arp[0][3] == mac_of(web), r.stdout


def evil_on_network(web_rootfs: Path, evil_rootfs: Path, name: str, tries: str) -> tuple[list[str], str, str]:
    """web serves; evil, on the same network, makes its tries and stays; then a client
    reaches web.  evil's words, its address and its stderr."""
    server = start(web_rootfs, name, "web", HTTPD)
    evil = None
    try:
        wait_member(name, "web")
        web = member_address(name, "web")
        evil = start(evil_rootfs, name, "evil", evil_script(web, tries.format(web=web)))
        words = tries_of(evil)
        me = member_address(name, "evil")
        web_still_answers(web_rootfs, name, web)
    finally:
        procs = [p for p in (evil, server) if p is not None]
        for p in procs:
            p.terminate()
        err = [p.communicate(timeout=30)[1] for p in procs][0]
    shutil.rmtree(state_dir(name), ignore_errors=True)
    return words, me, err


BUSYBOX_TRIES = """ip addr add {web}/24 dev eth0; echo add=$?
ip addr add {web}/32 dev lo; echo lo-other=$?
ifconfig eth0 hw ether 02:00:00:00:00:99; echo mac=$?
ip addr del $me/24 dev eth0; echo del=$?
ifconfig eth0 {web}; echo ifconfig=$?
ifconfig lo:1 10.9.9.9; echo classful-lo=$?
ip addr add 10.9.9.9/32 dev lo; echo lo=$?"""


def test_guest_root_cannot_answer_for_another_member(rootfs):
    """Guest root on a named network may not change eth0's addresses or MAC address, nor make
    another member's address its own: "Operation not permitted", what an unprivileged Linux
    caller gets (busybox's ip by rtnetlink, ifconfig by ioctl; busybox's `ip link set eth0
    address` needs a packet socket, which no guest has); lo stays its own.
    Another member is still reached, at its own address and MAC address."""
    words, me, err = evil_on_network(rootfs, rootfs, f"s{os.getpid()}", BUSYBOX_TRIES)
    assert words[:7] == ["add=2", "lo-other=2", "mac=1", "del=2", "ifconfig=1", "classful-lo=1", "lo=0"], \
        (words, err)
    assert words[7:] == ["1", "0", "ether", mac_of(me), "1"], (words, err)   # as the network made them
    assert err.count("Operation not permitted") == 6, err    # busybox's ip exits 2, ifconfig 1


IPROUTE2_TRIES = """ip link set eth0 address 02:00:00:00:00:99; echo mac=$?
ip addr add {web}/24 dev eth0; echo add=$?
ip addr flush dev eth0; echo flush=$?
ip link set eth0 name evil0; echo rename=$?
ip link set eth0 addrgenmode none; echo addrgen=$?
ip route add local {web} dev lo table local; echo local-route=$?
ip neigh add proxy {web} dev eth0; echo proxy=$?
ip addr add 10.0.0.1/8 dev lo; echo lo-prefix=$?
ip link set eth0 mtu 1400; echo mtu=$?
ip addr add 10.9.9.9/32 dev lo; echo lo=$?
python3 - <<'PY'
import socket
def t(name, f):
    try:
        f()
        print(name + "=0")
    except OSError as e:
        print(name + "=" + str(e.errno))
t("raw", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW))
t("packet", lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW))
t("transparent", lambda: socket.socket().setsockopt(socket.SOL_IP, 19, 1))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_IP, 15, 1)
s.bind(("{web}", 0))
t("freebind", lambda: s.sendto(b"x", ("{web}", 9)))
PY"""


def test_iproute2_cannot_answer_for_another_member(rootfs):
    """The same by iproute2's ip (rtnetlink for all of it): a MAC address, addresses, a rename,
    IPv6 address generation, a local route and a proxy entry for another member's address,
    a prefix on lo that covers the network: EPERM; eth0's MTU and lo's own address: done.
    (`ip addr flush` sends by send(2), which is never served: the host's EPERM, exit 255.)
    Nor can it send from another address without one: no raw socket (EPERM), no packet
    socket (EAFNOSUPPORT), no IP_TRANSPARENT (EPERM), and IP_FREEBIND binds but does not
    send (ENETUNREACH)."""
    debian = debian_rootfs("ip", "sed", "python3")
    words, me, err = evil_on_network(rootfs, debian, f"i{os.getpid()}", IPROUTE2_TRIES)
    assert words[:14] == ["mac=2", "add=2", "flush=255", "rename=2", "addrgen=2", "local-route=2", "proxy=2",
                          "lo-prefix=2", "mtu=0", "lo=0", "raw=1", "packet=97", "transparent=1",
                          "freebind=101"], (words, err)
    assert words[14:] == ["1", "0", "ether", mac_of(me), "1"], (words, err)
    assert err.count("Operation not permitted") >= 8, err


BRIDGE_CHECK = REPO / "tests" / "named_bridge_check.py"


def test_the_bridge_passes_only_each_members_own_sources():
    """Defence in depth (kernel/network.py `bridge_ruleset`): on a bridge of its own in a
    scratch namespace (unshare -rn, root or not), frames sent from a member's side by a
    packet socket reach another member only from the member's own MAC and IPv4 address
    (ARP and IPv4) or a link-local IPv6 address; forged ones and other protocols do not."""
    r = subprocess.run(["unshare", "-rn", sys.executable, str(BRIDGE_CHECK)], cwd=REPO, capture_output=True,
                       text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    assert r.stdout.split() == ["arp-own", "ip-own", "ip6-linklocal"], (r.stdout, r.stderr)


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
