"""The sandbox's network (issue 9): published ports, --network modes, the outbound policy.

Every test reaches only servers it starts itself: a guest server published
on the host's loopback, or a host server on loopback with an explicit
--allow-net rule.  `ss -ltnu` is compared before and after: nothing but the
published ports ever listens on the host, and nothing is left behind.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import debian_rootfs
from umlpy import Sandbox

REPO = Path(__file__).resolve().parent.parent
UMLPY = [sys.executable, "-m", "umlpy"]
ROOT = os.geteuid() == 0
# The run in the command's own process, not handed to the warm server (umlpy/warm.py): the
# tests that look at a run's helper processes find them among the command's children.
COLD = {**os.environ, "UMLPY_SERVER": "0"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening() -> set[str]:
    """The host's listening TCP and UDP sockets, as `ss -ltnu` shows them."""
    out = subprocess.run(["ss", "-Hltnu"], capture_output=True, text=True).stdout
    return {" ".join(line.split()[i] for i in (0, 4)) for line in out.splitlines() if line.strip()}


def fetch(url: str, deadline: float = 20.0) -> bytes:
    """GET `url`, retrying while the guest server is not up yet."""
    end = time.monotonic() + deadline
    while True:
        try:
            with urllib.request.urlopen(url, timeout=3) as r:
                return r.read()
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.2)


def helpers_of(pid: int) -> list[str]:
    """Processes whose parent is `pid` (a left-over forwarder or engine would show here)."""
    out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line.strip()]


def test_publish_serves_a_guest_http_server_on_host_loopback(rootfs):
    port, guest_port = free_port(), 8080
    before = listening()
    script = f"echo hello-from-guest > /tmp/index.html; cd /tmp; exec httpd -f -p {guest_port}"
    p = subprocess.Popen([*UMLPY, "run", "--rootfs", str(rootfs), "-p", f"{port}:{guest_port}",
                          "--", "sh", "-c", script],
                         cwd=REPO, env=COLD, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert fetch(f"http://127.0.0.1:{port}/index.html") == b"hello-from-guest\n"
        during = listening()
        assert during - before == {f"tcp 127.0.0.1:{port}"}        # the published port, nothing else
        # the forwarder runs as the sandbox's host uid, not as root
        (line,) = [h for h in helpers_of(p.pid) if "-I /proc/self/fd/" in h]
        uid = os.stat(f"/proc/{line.split()[0]}").st_uid
        assert uid == (65534 if ROOT else os.geteuid())
    finally:
        p.terminate()
        p.communicate(timeout=30)
    assert helpers_of(p.pid) == []
    assert listening() - before == set()


def test_port_in_use_is_one_error_line_and_status_2_before_the_guest_starts(rootfs, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = subprocess.run([*UMLPY, "run", "--rootfs", str(rootfs), "-v", f"{tmp_path}:/out",
                            "-p", f"{port}:80", "--", "touch", "/out/ran"],
                           cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr == f"umlpy: error: cannot publish 127.0.0.1:{port}/tcp: Address already in use\n"
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("args, message", [
    (["--network", "host"], "--network host is refused: it would give the guest the host's own sockets"),
    (["--network", "no such/name"], "bad --network 'no such/name'"),
    (["-p", "80"], "bad -p '80'"),
    (["-p", "8080:0"], "bad guest port '0'"),
    (["-p", "8080:80/sctp"], "the protocol is tcp or udp"),
    (["-p", "nohost:8080:80"], "'nohost' is not an IP address"),
    (["--network", "user", "--allow-net", "10.0.0.0/33"], "bad network rule '10.0.0.0/33'"),
    (["--allow-net", "192.0.2.1"], "--allow-net and --deny-net need --network user"),
])
def test_bad_network_options_are_usage_errors(rootfs, args, message):
    r = subprocess.run([*UMLPY, "run", "--rootfs", str(rootfs), *args, "--", "true"],
                       cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.startswith("umlpy: error: ") and message in r.stderr and r.stderr.count("\n") == 1


def test_publish_udp_through_the_python_api(rootfs, cc, progs):
    """A UDP echo server in the guest, published with Sandbox(publish=[...]/udp)."""
    prog = cc("udp_echo", """
        #include <stdio.h>
        #include <string.h>
        #include <arpa/inet.h>
        #include <sys/socket.h>
        int main(void) {
            int s = socket(AF_INET, SOCK_DGRAM, 0);
            struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(5353)};
            if (bind(s, (void *)&a, sizeof a)) { perror("bind"); return 1; }
            puts("ready"); fflush(stdout);
            for (int i = 0; i < 3; i++) {
                char buf[100]; struct sockaddr_in from; socklen_t len = sizeof from;
                ssize_t n = recvfrom(s, buf, sizeof buf, 0, (void *)&from, &len);
                sendto(s, buf, n, 0, (void *)&from, len);
            }
            return 0;
        }
    """)
    port = free_port()
    import threading
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")],
                 publish=[f"{port}:5353/udp"]) as sb:
        result = {}
        t = threading.Thread(target=lambda: result.update(r=sb.run([prog], timeout=30)))
        t.start()
        got = []
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
            c.settimeout(0.5)
            end = time.monotonic() + 20
            while len(got) < 3 and time.monotonic() < end:
                c.sendto(f"ping{len(got)}".encode(), ("127.0.0.1", port))
                try:
                    got.append(c.recv(100))
                except TimeoutError:
                    pass
        t.join(30)
    assert got == [b"ping0", b"ping1", b"ping2"]
    assert result["r"].returncode == 0


def test_guest_binds_port_80_and_publishes_it(rootfs):
    """Every port of its own namespace is the guest's (csrc/spawn.c sets
    ip_unprivileged_port_start=0 there, as Docker does), root and rootless, even as
    an ordinary guest user; the host's own setting is untouched."""
    with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
        host_setting = f.read()
    port = free_port()
    p = subprocess.Popen([*UMLPY, "run", "--rootfs", str(rootfs), "-p", f"{port}:80", "--", "sh", "-c",
                          "echo low > /tmp/i.html; cd /tmp; exec su -s /bin/sh nobody -c 'httpd -f -p 80'"],
                         cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert fetch(f"http://127.0.0.1:{port}/i.html") == b"low\n"
    finally:
        p.terminate()
        p.communicate(timeout=30)
    assert helpers_of(p.pid) == []
    with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
        assert f.read() == host_setting


@pytest.fixture(scope="module")
def debian():
    return debian_rootfs()


def test_python_http_server_in_debian_serves_the_host(debian):
    """The headline: umlpy run -p PORT:80 --rootfs debian -- python3 -m http.server 80."""
    port, guest = free_port(), 80
    p = subprocess.Popen([*UMLPY, "run", "--rootfs", "debian", "-w", "/etc", "-p", f"{port}:{guest}",
                          "--", "python3", "-m", "http.server", str(guest)],
                         cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert b"debian" in fetch(f"http://127.0.0.1:{port}/os-release", deadline=60).lower()
        r = subprocess.run(["curl", "-s", f"http://127.0.0.1:{port}/hostname"], capture_output=True,
                           timeout=30)
        assert r.returncode == 0
    finally:
        p.terminate()
        p.communicate(timeout=30)


# ---------------------------------------------------------------- --network user
USER_MODE_OK = ROOT or os.access("/dev/net/tun", os.R_OK | os.W_OK)


def needs_user_mode():
    if not USER_MODE_OK:
        pytest.skip("--network user needs /dev/net/tun open to this user (mode "
                    f"{os.stat('/dev/net/tun').st_mode & 0o777:o} here)")


@pytest.mark.skipif(USER_MODE_OK, reason="/dev/net/tun is usable here")
def test_user_mode_without_tun_access_says_why(rootfs):
    r = subprocess.run([*UMLPY, "run", "--rootfs", str(rootfs), "--network", "user", "--", "true"],
                       cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.startswith("umlpy: error: --network user needs /dev/net/tun")


@pytest.fixture
def host_server():
    """An HTTP server on the host's loopback, started by the test: (port, stop)."""
    import http.server
    import threading

    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"hello from the host\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


GET = "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc {host} {port}"


def test_user_mode_guest_view_eth0_route_resolv_hosts(rootfs):
    needs_user_mode()
    with Sandbox(rootfs=rootfs, network="user", hostname="box1") as sb:
        r = sb.run(["sh", "-c", "ip -4 addr show eth0; ip route; cat /etc/resolv.conf; hostname -i"],
                   text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "inet 10.0.2.100/24" in r.stdout
    assert "default via 10.0.2.2 dev eth0" in r.stdout
    assert "nameserver 10.0.2.3" in r.stdout
    assert r.stdout.strip().endswith("10.0.2.100")


def test_user_mode_host_loopback_needs_an_allow_rule(rootfs, host_server):
    needs_user_mode()
    port = host_server
    script = (GET.format(host="host.umlpy.internal", port=port) + "; echo rc=$?; "
              + GET.format(host="10.0.2.2", port=port + 1 if port < 65535 else 1) + "; echo rc2=$?")
    with Sandbox(rootfs=rootfs, network="user", allow_net=[f"127.0.0.1:{port}/tcp"]) as sb:
        r = sb.run(["sh", "-c", script], text=True, timeout=60)
    assert "hello from the host" in r.stdout and "rc=0" in r.stdout
    assert "Connection refused" in r.stderr           # the other port: a TCP reset, the same every time
    dest = {(d["address"], d["port"]): d for d in r.report.network}
    assert dest[("10.0.2.2", port)]["verdict"] == "allowed"
    assert dest[("10.0.2.2", port)]["bytes"] > 60
    assert dest[("10.0.2.2", port + 1 if port < 65535 else 1)]["verdict"] == "denied"
    # without the rule, the host's loopback is not reachable at all
    with Sandbox(rootfs=rootfs, network="user") as sb:
        r = sb.run(["sh", "-c", GET.format(host="10.0.2.2", port=port)], text=True, timeout=60)
    assert "hello from the host" not in r.stdout and "Connection refused" in r.stderr


@pytest.fixture(scope="module")
def test_host():
    """A test host in a network namespace of the test's own, joined to the host by a veth
    pair, on TEST-NET-2 (198.51.100.0/24: this VM's own eth0 is on TEST-NET-1), running an
    HTTP server on 198.51.100.2:8080.  Needs root (ip netns)."""
    if not ROOT:
        pytest.skip("a test host in a network namespace of its own needs root (ip netns)")
    ns, host_if, ns_if = f"umlpy-t{os.getpid()}", f"umt{os.getpid() % 100000}h", f"umt{os.getpid() % 100000}n"
    cmds = [["ip", "netns", "add", ns], ["ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if],
            ["ip", "link", "set", ns_if, "netns", ns], ["ip", "addr", "add", "198.51.100.1/24", "dev", host_if],
            ["ip", "link", "set", host_if, "up"],
            ["ip", "netns", "exec", ns, "ip", "addr", "add", "198.51.100.2/24", "dev", ns_if],
            ["ip", "netns", "exec", ns, "ip", "link", "set", ns_if, "up"],
            ["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"]]
    try:
        for c in cmds:
            subprocess.run(c, check=True, capture_output=True)
        srv = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-m", "http.server", "--bind",
                                "198.51.100.2", "8080", "--directory", str(REPO / "docs")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("198.51.100.2", 8080), timeout=1):
                    break
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.1)
        yield "198.51.100.2"
        srv.terminate()
        srv.wait()
    finally:
        subprocess.run(["ip", "link", "del", host_if], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def test_user_mode_reaches_a_public_test_host_and_deny_net_refuses_it(rootfs, test_host):
    before = listening()
    get = GET.format(host=test_host, port=8080) + " | head -1; echo rc=$?"
    with Sandbox(rootfs=rootfs, network="user") as sb:
        r = sb.run(["sh", "-c", get], text=True, timeout=60)
    assert "HTTP/1.0 200 OK" in r.stdout
    for rule in (test_host, f"{test_host}:8080", f"{test_host}:8000-8100/tcp", "198.51.100.0/24"):
        with Sandbox(rootfs=rootfs, network="user", deny_net=[rule]) as sb:
            r = sb.run(["sh", "-c", get], text=True, timeout=60)
        assert "200 OK" not in r.stdout and "Connection refused" in r.stderr, rule
        assert [(d["address"], d["port"], d["verdict"]) for d in r.report.network
                if d["proto"] == "tcp"] == [(test_host, 8080, "denied")]
    # an allow rule makes the allow list the whole list: the test host only on the port it names
    with Sandbox(rootfs=rootfs, network="user", allow_net=[f"{test_host}:9999"]) as sb:
        r = sb.run(["sh", "-c", get], text=True, timeout=60)
    assert "200 OK" not in r.stdout
    assert listening() == before


def test_user_mode_private_and_metadata_addresses_are_denied_by_default(rootfs):
    needs_user_mode()
    script = "; ".join(f"nc -w 2 {a} 80 </dev/null; echo {a}=$?" for a in
                       ("10.1.2.3", "192.168.1.1", "172.16.0.1", "169.254.169.254", "100.64.0.1"))
    with Sandbox(rootfs=rootfs, network="user") as sb:
        r = sb.run(["sh", "-c", script], text=True, timeout=60)
    assert r.stderr.count("Connection refused") == 5, r.stderr
    assert {d["address"] for d in r.report.network if d["verdict"] == "denied"} == \
        {"10.1.2.3", "192.168.1.1", "172.16.0.1", "169.254.169.254", "100.64.0.1"}


def test_user_mode_engine_runs_without_privilege_and_ends_with_the_sandbox(rootfs):
    needs_user_mode()
    with Sandbox(rootfs=rootfs, network="user") as sb:
        r = sb.run(["sh", "-c", "ls /proc/net/ >/dev/null; echo ok"], text=True, timeout=60)
    assert r.stdout == "ok\n"
    out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(os.getpid())], capture_output=True, text=True)
    assert "slirp4netns" not in out.stdout and "-I /proc/self/fd" not in out.stdout


def status_of(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def test_user_mode_engine_has_only_the_sandboxs_privileges_and_dies_with_a_killed_supervisor(rootfs):
    """The engine holds CAP_NET_BIND_SERVICE and nothing else, with no_new_privs, seccomp, an
    empty mount namespace (/etc and /run only) and a PID namespace of its own.  As root it is uid 0 in the host's user namespace
    (slirp4netns's own --enable-sandbox).  Rootless it is our uid, as the root of a user namespace
    of the network's own that maps only our uid (the sandbox's is inside it): what it may do over
    the sandbox's namespaces comes from owning them, never from the host.  SIGKILL the supervisor:
    the engine ends too (its --exit-fd closes)."""
    needs_user_mode()
    p = subprocess.Popen([*UMLPY, "run", "--rootfs", str(rootfs), "--network", "user", "--", "sleep", "60"],
                         cwd=REPO, env=COLD, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        end = time.monotonic() + 30
        # unshare --pid --fork: the engine is pid 1 of a PID namespace of its own, under unshare
        while not (engines := [h for w in helpers_of(p.pid) if "slirp4netns" in w
                               for h in helpers_of(int(w.split()[0]))]):
            assert p.poll() is None and time.monotonic() < end, p.stderr.read() if p.poll() is not None else ""
            time.sleep(0.1)
        engine = int(engines[0].split()[0])
        time.sleep(0.3)                     # past its start-up, into its sandbox
        st = status_of(engine)
        assert st["NSpid"].split()[1:] == ["1"]       # it can name no other process
        assert st["Uid"].split() == [str(os.geteuid())] * 4
        for kind in ("CapPrm", "CapEff", "CapBnd"):
            assert int(st[kind], 16) == 1 << 10, (kind, st[kind])       # CAP_NET_BIND_SERVICE only
        assert int(st["CapAmb"], 16) == 0
        assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2"
        assert sorted(os.listdir(f"/proc/{engine}/root")) == ["etc", "run"]
        ns = {k: os.readlink(f"/proc/{engine}/ns/{k}") for k in ("user", "net", "mnt", "pid")}
        assert ns["net"] == os.readlink("/proc/self/ns/net")         # it makes the host's sockets
        assert ns["mnt"] != os.readlink("/proc/self/ns/mnt") and ns["pid"] != os.readlink("/proc/self/ns/pid")
        if ROOT:
            assert ns["user"] == os.readlink("/proc/self/ns/user")
        else:
            assert ns["user"] != os.readlink("/proc/self/ns/user")
            with open(f"/proc/{engine}/uid_map") as f:
                assert f.read().split() == ["0", str(os.geteuid()), "1"]
    finally:
        p.kill()
        p.wait()
    end = time.monotonic() + 10
    while os.path.exists(f"/proc/{engine}") and status_of(engine)["State"][0] != "Z":
        assert time.monotonic() < end, "the engine outlived its supervisor"
        time.sleep(0.1)


def test_policy_on_the_hosts_loopback_covers_every_way_out(rootfs, cc, progs):
    """The same rules as test_policy_covers_connect_sendto_sendmsg_and_sendmmsg, root and
    rootless, with servers the test starts on the host's loopback (an allow rule names it):
    --deny-net beats --allow-net, for sendto, sendmsg, sendmmsg and connect alike."""
    needs_user_mode()
    prog = cc("ways_out_ports", r"""
        #define _GNU_SOURCE
        #include <arpa/inet.h>
        #include <errno.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/socket.h>
        #include <unistd.h>
        /* HOST UDP1 UDP2 UDP3 TCP1 TCP2: sendto UDP1, sendmsg UDP2, sendmmsg UDP3, connect TCP1, TCP2 */
        int main(int argc, char **argv) {
            struct sockaddr_in a = {.sin_family = AF_INET};
            inet_pton(AF_INET, argv[1], &a.sin_addr);
            int u = socket(AF_INET, SOCK_DGRAM, 0);
            a.sin_port = htons(atoi(argv[2]));
            sendto(u, "one", 3, 0, (void *)&a, sizeof a);
            a.sin_port = htons(atoi(argv[3]));
            struct iovec io = {"two", 3};
            struct msghdr m = {.msg_name = &a, .msg_namelen = sizeof a, .msg_iov = &io, .msg_iovlen = 1};
            sendmsg(u, &m, 0);
            struct sockaddr_in b = a;
            b.sin_port = htons(atoi(argv[4]));
            struct iovec io3 = {"three", 5};
            struct mmsghdr mm = {.msg_hdr = {.msg_name = &b, .msg_namelen = sizeof b, .msg_iov = &io3, .msg_iovlen = 1}};
            sendmmsg(u, &mm, 1, 0);
            for (int i = 5; i <= 6; i++) {
                int t = socket(AF_INET, SOCK_STREAM, 0);
                a.sin_port = htons(atoi(argv[i]));
                int r = connect(t, (void *)&a, sizeof a);
                printf("connect%d=%s\n", i - 4, r ? strerror(errno) : "ok");
                close(t);
            }
            return 0;
        }
    """)
    udp = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3)]
    tcp = [socket.socket() for _ in range(2)]
    try:
        for s in udp + tcp:
            s.bind(("127.0.0.1", 0))
            s.setblocking(False)
        for s in tcp:
            s.listen()
        u1, u2, u3 = (s.getsockname()[1] for s in udp)
        t1, t2 = (s.getsockname()[1] for s in tcp)
        with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")], network="user",
                     allow_net=["127.0.0.1"], deny_net=[f"127.0.0.1:{u2}/udp", f"127.0.0.1:{t2}"]) as sb:
            r = sb.run([prog, "10.0.2.2", str(u1), str(u2), str(u3), str(t1), str(t2)], text=True, timeout=60)
        assert r.stdout == "connect1=ok\nconnect2=Connection refused\n", (r.stdout, r.stderr)
        time.sleep(0.2)                     # the engine forwards the datagrams on its own time

        def got(s):
            try:
                return s.recv(100)
            except BlockingIOError:
                return None
        assert [got(s) for s in udp] == [b"one", None, b"three"]
        tcp[0].accept()[0].close()
        with pytest.raises(BlockingIOError):
            tcp[1].accept()
        verdicts = {(d["address"], d["proto"], d["port"]): d["verdict"] for d in r.report.network}
        assert verdicts == {("10.0.2.2", "udp", u1): "allowed", ("10.0.2.2", "udp", u2): "denied",
                            ("10.0.2.2", "udp", u3): "allowed", ("10.0.2.2", "tcp", t1): "allowed",
                            ("10.0.2.2", "tcp", t2): "denied"}
        assert r.report.denied == [f"sendmsg to 10.0.2.2:{u2}/udp refused by --deny-net 127.0.0.1:{u2}/udp"]
    finally:
        for s in udp + tcp:
            s.close()


def test_proc_net_unix_and_tcp_are_the_sandboxs(debian):
    script = ("import socket; s = socket.socket(socket.AF_UNIX); s.bind('/tmp/sock1'); s.listen()\n"
              "t = socket.socket(); t.bind(('127.0.0.1', 4444)); t.listen()\n"
              "print(open('/proc/net/unix').read()); print(open('/proc/net/tcp').read())")
    with Sandbox(rootfs=debian) as sb:
        r = sb.run(["python3", "-c", script], text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    unix = [line.split()[-1] for line in r.stdout.splitlines() if line.endswith("/tmp/sock1")]
    assert unix == ["/tmp/sock1"]                 # the guest's path, not the supervisor's alias
    assert "/proc/self/fd" not in r.stdout
    assert "0100007F:115C 00000000:0000 0A" in r.stdout      # 127.0.0.1:4444 LISTEN, and nothing of the host's
    assert len([line for line in r.stdout.splitlines() if " 0A " in line]) == 1


def test_sd_notify_style_sendmsg_to_a_unix_path(debian):
    """sendmsg with msg_name a guest path (as sd_notify sends READY=1 to $NOTIFY_SOCKET)."""
    script = ("import socket\n"
              "r = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); r.bind('/run/notify')\n"
              "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
              "print(s.sendmsg([b'READY=1'], [], 0, '/run/notify'))\n"
              "print(r.recv(100))\n"
              "try:\n    s.sendmsg([b'x'], [], 0, '/run/none')\nexcept OSError as e:\n    print(e.errno)\n")
    with Sandbox(rootfs=debian) as sb:
        r = sb.run(["python3", "-c", script], text=True, timeout=60)
    assert r.stdout == "7\nb'READY=1'\n2\n", r.stderr


def test_policy_covers_connect_sendto_sendmsg_and_sendmmsg(rootfs, cc, progs, test_host):
    """Every way out meets the same rules: the nft output hook sees packets, not calls."""
    prog = cc("ways_out", r"""
        #define _GNU_SOURCE
        #include <arpa/inet.h>
        #include <errno.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/socket.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
            struct sockaddr_in a = {.sin_family = AF_INET};
            inet_pton(AF_INET, argv[1], &a.sin_addr);
            int u = socket(AF_INET, SOCK_DGRAM, 0);
            a.sin_port = htons(9001);
            printf("sendto=%zd\n", sendto(u, "one", 3, 0, (void *)&a, sizeof a));
            a.sin_port = htons(9002);
            struct iovec io = {"two", 3};
            struct msghdr m = {.msg_name = &a, .msg_namelen = sizeof a, .msg_iov = &io, .msg_iovlen = 1};
            printf("sendmsg=%zd\n", sendmsg(u, &m, 0));
            struct sockaddr_in b = a;
            b.sin_port = htons(9003);
            struct mmsghdr mm = {.msg_hdr = {.msg_name = &b, .msg_namelen = sizeof b, .msg_iov = &io, .msg_iovlen = 1}};
            printf("sendmmsg=%d\n", sendmmsg(u, &mm, 1, 0));
            int t = socket(AF_INET, SOCK_STREAM, 0);
            a.sin_port = htons(8080);
            int r = connect(t, (void *)&a, sizeof a);
            printf("connect=%d %s\n", r, r ? strerror(errno) : "ok");
            return 0;
        }
    """)
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")], network="user",
                 deny_net=[f"{test_host}"]) as sb:
        r = sb.run([prog, test_host], text=True, timeout=60)
    assert "connect=-1 Connection refused" in r.stdout, (r.stdout, r.stderr)
    denied = {(d["proto"], d["port"]) for d in r.report.network if d["verdict"] == "denied"}
    assert denied == {("udp", 9001), ("udp", 9002), ("udp", 9003), ("tcp", 8080)}
    # sendmsg stops anyway (for unix paths), so the guest kernel names the rule; the others stay unseen
    assert r.report.denied == [f"sendmsg to {test_host}:9002/udp refused by --deny-net {test_host}"]
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")], network="user") as sb:
        r = sb.run([prog, test_host], text=True, timeout=60)
    assert "connect=0 ok" in r.stdout
    allowed = {(d["proto"], d["port"]) for d in r.report.network if d["verdict"] == "allowed"}
    assert {("udp", 9001), ("udp", 9002), ("udp", 9003), ("tcp", 8080)} <= allowed


def test_boot_publishes_too(rootfs):
    port = free_port()
    p = subprocess.Popen([*UMLPY, "boot", str(rootfs), "-p", f"{port}:8080"], cwd=REPO, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        p.stdin.write("echo booted > /tmp/b.html; cd /tmp; httpd -f -p 8080 & read x\n")
        p.stdin.flush()
        assert fetch(f"http://127.0.0.1:{port}/b.html") == b"booted\n"
    finally:
        p.terminate()
        p.communicate(timeout=30)
    assert helpers_of(p.pid) == []


DNS_RESPONDER = r'''
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("ready", flush=True)
while True:
    q, peer = s.recvfrom(512)
    ident, flags, qd = struct.unpack_from("!HHH", q)
    end = 12
    while q[end]:
        end += q[end] + 1
    question = q[12:end + 5]
    qtype = struct.unpack_from("!H", q, end + 1)[0]
    answer = b""
    if qtype == 1:    # A: every name is 198.51.100.77 (TEST-NET-2)
        answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([198, 51, 100, 77])
    head = struct.pack("!HHHHHH", ident, 0x8180, 1, 1 if answer else 0, 0, 0)
    s.sendto(head + question + answer, peer)
'''


def test_guest_dns_lookups_reach_the_hosts_resolver(debian, tmp_path):
    """The guest's resolv.conf names slirp4netns's forwarder (10.0.2.3), which asks the host's
    resolver: here one the test starts on 127.0.0.1:53, made the host's resolver for this run
    only by a private mount namespace with its own /etc/resolv.conf."""
    if not ROOT:
        pytest.skip("a resolver on port 53 and a private /etc/resolv.conf need root")
    (tmp_path / "resolv.conf").write_text("nameserver 127.0.0.1\n")
    (tmp_path / "dns.py").write_text(DNS_RESPONDER)
    script = (f"mount --bind {tmp_path}/resolv.conf /etc/resolv.conf && "
              f"{{ {sys.executable} {tmp_path}/dns.py >/dev/null & }} && sleep 1 && "
              f"{' '.join(UMLPY)} run --rootfs debian --network user -- python3 -c "
              "\"import socket; print(socket.gethostbyname('test.example')); print(open('/etc/resolv.conf').read())\"; "
              "kill $!")
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                       cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.stdout.startswith("198.51.100.77\n"), (r.stdout, r.stderr)
    assert "nameserver 10.0.2.3" in r.stdout


# ---------------------------------------------------------------- real programs, guest <-> guest
ASYNCIO_ECHO = r'''
import asyncio
async def handle(r, w):
    while data := await r.read(100):
        w.write(data)
        await w.drain()
    w.close()
async def client(i, port):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    got = b""
    for k in range(5):
        w.write(f"{i}:{k};".encode())
        await w.drain()
        got += await r.readexactly(len(f"{i}:{k};"))
    w.close()
    return got.decode()
async def main():
    srv = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=256)
    port = srv.sockets[0].getsockname()[1]
    got = await asyncio.gather(*(client(i, port) for i in range(200)))
    ok = all(g == "".join(f"{i}:{k};" for k in range(5)) for i, g in enumerate(got))
    print("clients", len(got), "ok", ok)
asyncio.run(main())
'''


def test_asyncio_echo_server_with_200_concurrent_clients(debian):
    with Sandbox(rootfs=debian) as sb:
        r = sb.run(["python3", "-c", ASYNCIO_ECHO], text=True, timeout=120)
    assert r.stdout == "clients 200 ok True\n", r.stderr


def test_python_http_server_and_urllib_in_one_sandbox(debian):
    script = ("python3 -m http.server 8000 --bind 127.0.0.1 --directory /etc >/dev/null 2>&1 & "
              "python3 -c \"import time, urllib.request\n"
              "for i in range(100):\n"
              "    try:\n"
              "        print(urllib.request.urlopen('http://127.0.0.1:8000/debian_version').read().decode().strip()[:2]); break\n"
              "    except OSError: time.sleep(0.1)\"; kill $!")
    with Sandbox(rootfs=debian) as sb:
        r = sb.run(["bash", "-c", script], text=True, timeout=120)
    assert r.stdout == "12\n", r.stderr


def test_c_epoll_edge_triggered_server(rootfs, cc, progs):
    prog = cc("epoll_et", r"""
        #include <arpa/inet.h>
        #include <errno.h>
        #include <fcntl.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/epoll.h>
        #include <sys/socket.h>
        #include <sys/wait.h>
        #include <unistd.h>
        #define N 20
        int main(void) {
            int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
            socklen_t len = sizeof a;
            bind(l, (void *)&a, sizeof a); listen(l, 64); getsockname(l, (void *)&a, &len);
            for (int i = 0; i < N; i++) if (fork() == 0) {
                int c = socket(AF_INET, SOCK_STREAM, 0);
                if (connect(c, (void *)&a, sizeof a)) _exit(1);
                char msg[32], back[32]; int n = snprintf(msg, sizeof msg, "client %d", i);
                write(c, msg, n); int got = 0;
                while (got < n) { int r = read(c, back + got, n - got); if (r <= 0) _exit(2); got += r; }
                _exit(memcmp(msg, back, n) ? 3 : 0);
            }
            int ep = epoll_create1(0);
            struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = l};
            epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
            int done = 0, echoed = 0;
            while (done < N) {
                struct epoll_event evs[16];
                int n = epoll_wait(ep, evs, 16, 200);
                for (int k = 0; k < n; k++) {
                    if (evs[k].data.fd == l) {            /* edge-triggered: accept until EAGAIN */
                        int c;
                        while ((c = accept4(l, 0, 0, SOCK_NONBLOCK)) >= 0) {
                            struct epoll_event e = {.events = EPOLLIN | EPOLLET, .data.fd = c};
                            epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
                        }
                        if (errno != EAGAIN) perror("accept4");
                    } else {
                        char buf[64]; int r;
                        while ((r = read(evs[k].data.fd, buf, sizeof buf)) > 0) { write(evs[k].data.fd, buf, r); echoed++; }
                        if (r == 0 || (r < 0 && errno != EAGAIN)) close(evs[k].data.fd);
                    }
                }
                int st; while (waitpid(-1, &st, WNOHANG) > 0) done += WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 1 : 100;
            }
            printf("clients %d echoed %s\n", done, echoed >= N ? "all" : "some");
            return 0;
        }
    """)
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")]) as sb:
        r = sb.run([prog], text=True, timeout=60)
    assert r.stdout == "clients 20 echoed all\n", r.stderr
