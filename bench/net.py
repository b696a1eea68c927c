#!/usr/bin/env python3
"""Network benchmarks (issue 9): TCP request/response latency and bulk throughput.

    sudo python3 bench/net.py [--rr N] [--mb M] [--reps K]      # about 1 minute with --reps 3

One static C program (source below, compiled into bench/results/net/) is the
client and the server everywhere.  Rows, each measured in the same run and
shown with its ratio to the first (native, loopback) row of its group:

  guest<->guest   two processes of one sandbox over its loopback: umlpy --network none, runsc
                  --network=none, runsc's netstack, podman --network none (crun), and native
  host -> published -> guest
                  a host client to a guest server: umlpy -p (its forwarder), podman -p
                  (slirp4netns with rootlessport), and native on loopback; runsc has no -p of
                  its own (docker and podman publish into its namespace by DNAT or a proxy), so
                  its row is a client in a test namespace straight to the sandbox's veth
                  address, the path a DNAT ends on: a lower bound of its -p.  "native (veth)" is
                  that path with a native server
  guest -> out    a guest client to a server on the host's loopback: umlpy --network user with an
                  allow rule (slirp4netns + nftables), podman's slirp4netns with
                  allow_host_loopback, and the two engines bare (an `unshare -n` namespace wired
                  by slirp4netns or by pasta), which is how umlpy's engine was chosen
                  (docs/design.md, "Network"); runsc's netstack reaches a server in a test
                  namespace over veth instead (the host's loopback would need DNAT and
                  route_localnet in the host's namespace), again with its native twin

Rows other than native, umlpy --network none and -p need root (ip netns, rootful podman,
/dev/net/tun).  Only servers this script starts are reached: on 127.0.0.1, or on TEST-NET-2
addresses (198.51.100.1, .2) in two network namespaces made for one measurement and deleted
after it; nothing is added to the host's own namespace but the listening sockets on 127.0.0.1.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "results" / "net"
UMLPY = [sys.executable, "-m", "umlpy", "run", "--cpu", "none"]

SOURCE = r"""
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 16];

static double now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9;
}
static int nodelay(int s) { int one = 1; return setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); }
static int full(int s, char *p, size_t n) {
    while (n) { ssize_t r = read(s, p, n); if (r <= 0) return -1; p += r; n -= r; } return 0;
}
static void serve_one(int c) {
    char cmd; nodelay(c);
    if (full(c, &cmd, 1)) return;
    if (cmd == 'r') { char b; while (read(c, &b, 1) == 1) if (write(c, &b, 1) != 1) break; }
    else { ssize_t r; while ((r = read(c, buf, sizeof buf)) > 0) ; write(c, "k", 1); }
}
static int listener(const char *addr, int port, int *got) {
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, addr, &a.sin_addr);
    if (bind(s, (void *)&a, sizeof a) || listen(s, 16)) { perror("bind/listen"); exit(1); }
    socklen_t len = sizeof a; getsockname(s, (void *)&a, &len); *got = ntohs(a.sin_port);
    return s;
}
static void bye(int sig) { (void)sig; _exit(0); }
static void serve(int s) {
    signal(SIGTERM, bye);           /* as pid 1 of a container (podman) it would ignore SIGTERM */
    for (;;) { int c = accept(s, 0, 0); if (c < 0) continue;
               if (fork() == 0) { serve_one(c); _exit(0); } close(c);
               while (waitpid(-1, 0, WNOHANG) > 0) ; }
}
static int dial(const char *host, int port) {
    for (int i = 0; i < 200; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
        inet_pton(AF_INET, host, &a.sin_addr);
        if (connect(s, (void *)&a, sizeof a) == 0) { nodelay(s); return s; }
        close(s); usleep(50000);
    }
    perror("connect"); exit(1);
}
static void client(const char *host, int port, long rr, long mb) {
    signal(SIGPIPE, SIG_IGN);       /* a forwarder that accepted before the server listened closes */
    int s = dial(host, port); char b = 'x';
    /* a forwarder may accept before the guest server listens: the first exchange proves it */
    if (write(s, "r", 1) != 1 || write(s, &b, 1) != 1 || full(s, &b, 1)) {
        close(s); usleep(100000); s = dial(host, port);
        if (write(s, "r", 1) != 1 || write(s, &b, 1) != 1 || full(s, &b, 1)) { fprintf(stderr, "no echo\n"); exit(1); }
    }
    double t0 = now();
    for (long i = 0; i < rr; i++) { if (write(s, &b, 1) != 1 || full(s, &b, 1)) { perror("rr"); exit(1); } }
    double t1 = now(); close(s);
    s = dial(host, port); write(s, "b", 1);
    memset(buf, 'z', sizeof buf);
    double t2 = now();
    for (long left = mb << 20; left > 0; left -= sizeof buf)
        if (write(s, buf, sizeof buf) != sizeof buf) { perror("bulk"); exit(1); }
    shutdown(s, SHUT_WR); full(s, &b, 1);
    double t3 = now();
    printf("rr_us=%.2f bulk_MBps=%.1f\n", (t1 - t0) / rr * 1e6, mb / (t3 - t2));
}
int main(int argc, char **argv) {
    if (argc >= 3 && !strcmp(argv[1], "serve")) {
        int p; int s = listener(argc >= 4 ? argv[3] : "0.0.0.0", atoi(argv[2]), &p); serve(s);
    }
    if (argc >= 6 && !strcmp(argv[1], "client")) { client(argv[2], atoi(argv[3]), atol(argv[4]), atol(argv[5])); return 0; }
    if (argc >= 4 && !strcmp(argv[1], "pair")) {
        int p, s = listener("127.0.0.1", 0, &p); pid_t pid = fork();
        if (pid == 0) serve(s);
        close(s); client("127.0.0.1", p, atol(argv[2]), atol(argv[3]));
        kill(pid, 9); waitpid(pid, 0, 0); return 0;
    }
    fprintf(stderr, "usage: netb serve PORT [ADDR] | client HOST PORT RR MB | pair RR MB\n"); return 2;
}
"""


def build() -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    src, exe = OUT / "netb.c", OUT / "netb"
    src.write_text(SOURCE)
    subprocess.run(["gcc", "-O2", "-static", "-o", str(exe), str(src)], check=True)
    os.chmod(OUT, 0o755)
    return exe


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse(out: str) -> tuple[float, float]:
    for line in out.splitlines():
        if line.startswith("rr_us="):
            a, b = line.split()
            return float(a.split("=")[1]), float(b.split("=")[1])
    raise RuntimeError(out)


def run(cmd: list[str], timeout: float = 300) -> tuple[float, float]:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    if r.returncode != 0:
        raise RuntimeError(f"exit {r.returncode}: {r.stderr.strip()[-300:]} (command: {' '.join(cmd)})")
    return parse(r.stdout)


class Server:
    """A server process (native, or a whole command) for the length of a `with`."""

    def __init__(self, cmd: list[str], port: int, wait_host: str | None = "127.0.0.1",
                 kill: list[str] | None = None) -> None:
        self.kill = kill        # run if the server ignores SIGTERM for 15 s (a container's own kill)
        self.err = tempfile.TemporaryFile()
        self.p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.err, cwd=REPO)
        end = time.monotonic() + 30
        while wait_host is not None:
            try:
                with socket.create_connection((wait_host, port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > end or self.p.poll() is not None:
                    self.__exit__()
                    self.err.seek(0)
                    tail = self.err.read().decode(errors="replace").strip()[-300:]
                    raise RuntimeError(f"server {' '.join(cmd)} did not start: {tail}")
                time.sleep(0.1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.p.terminate()
        try:
            self.p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            if self.kill:
                subprocess.run(self.kill, capture_output=True, timeout=30)
            try:
                self.p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def engine_bare(engine: str, netb: Path, port: int, rr: int, mb: int) -> tuple[float, float]:
    """The client in an `unshare -n` namespace wired by `engine` alone (no umlpy), to the host's
    loopback through the engine's gateway mapping."""
    holder = subprocess.Popen(["unshare", "-n", "sleep", "600"])
    try:
        time.sleep(0.3)
        ns = f"/proc/{holder.pid}/ns/net"
        if engine == "slirp4netns":
            eng = subprocess.Popen(["slirp4netns", "--configure", "--mtu=65520", "--netns-type=path", ns, "tap0"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            gw = "10.0.2.2"
        else:   # pasta of this Debian release must keep root to join a root-owned namespace (--runas 0),
            # and by a bind mount of it: with its reduced capabilities it may not open /proc/PID/ns/net
            name = f"umlbench{os.getpid()}"
            subprocess.run(["ip", "netns", "attach", name, str(holder.pid)], check=True)
            eng = subprocess.Popen(["pasta", "--runas", "0", "--netns", f"/run/netns/{name}", "--config-net",
                                    "-f", "-q",
                                    "-t", "none", "-u", "none", "-T", "none", "-U", "none", "-4"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            gw = None
        time.sleep(1.0)
        if gw is None:
            route = subprocess.run(["nsenter", f"--net={ns}", "ip", "-4", "route", "show", "default"],
                                   capture_output=True, text=True).stdout.split()
            gw = route[2] if len(route) > 2 else "10.0.2.2"
        try:
            return run(["nsenter", f"--net={ns}", str(netb), "client", gw, str(port), str(rr), str(mb)])
        finally:
            eng.terminate()
            eng.wait()
            if engine != "slirp4netns":
                subprocess.run(["ip", "netns", "del", name])
    finally:
        holder.kill()
        holder.wait()


# Test namespaces for runsc's netstack (which needs a link to own) and their native reference.
# TEST-NET-2 (RFC 5737): nothing else uses it; the addresses live only in the two namespaces.
HOST_IP, BOX_IP = "198.51.100.1", "198.51.100.2"


class Veth:
    """Two network namespaces made for one measurement and joined by a veth pair: `host`
    (HOST_IP, standing for the host) and `box` (BOX_IP, the sandbox's).  The host's own namespace
    gets no link, address, route or firewall rule."""

    made = 0

    def __init__(self) -> None:
        Veth.made += 1
        tag = f"{os.getpid()}-{Veth.made}"
        self.host, self.box = f"umlbench-h-{tag}", f"umlbench-b-{tag}"

    def __enter__(self) -> "Veth":
        ip = ["ip", "netns", "add"]
        subprocess.run([*ip, self.host], check=True)
        subprocess.run([*ip, self.box], check=True)
        try:
            subprocess.run(["ip", "link", "add", "h0", "netns", self.host, "type", "veth",
                            "peer", "name", "b0", "netns", self.box], check=True)
            for ns, dev, addr in ((self.host, "h0", HOST_IP), (self.box, "b0", BOX_IP)):
                for cmd in (["addr", "add", f"{addr}/24", "dev", dev], ["link", "set", dev, "up"],
                            ["link", "set", "lo", "up"]):
                    subprocess.run(["ip", "-n", ns, *cmd], check=True)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for ns in (self.host, self.box):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def path(self, ns: str) -> str:
        return f"/run/netns/{ns}"

    def enter(self, ns: str) -> list[str]:
        return ["nsenter", f"--net={self.path(ns)}"]


def rootfs(name: str, netb: Path) -> Path:
    """A directory holding only /netb, for runsc (`box`) and podman (`podbox`, which adds /etc)."""
    d = OUT / name
    d.mkdir(exist_ok=True)
    shutil.copy2(netb, d / "netb")
    return d


class Runsc:
    """runsc with its netstack (`--network=sandbox`), run from an OCI bundle whose network
    namespace is a Veth's `box`: the way docker and podman run it.  runsc moves the namespace's
    links and addresses into its netstack and serves the sandbox's loopback itself.

    This runsc (Debian's 0.0~20221219) takes a namespace for the host's own when
    /proc/sys/net/core/rmem_default exists in it (its `isRootNS`, "cannot run with network enabled in
    root network namespace"); on Linux 6.18 that file exists in every network namespace.  runsc alone
    runs in a private mount namespace with an empty tmpfs over /proc/sys/net, which passes that test;
    the sandbox mounts a /proc of its own.  `runsc do --network=sandbox` fails the same way, and it
    would also add a veth, NAT and forwarding rules in the host's namespace."""

    made = 0

    def __init__(self, runsc: str, netb: Path) -> None:
        self.runsc, self.root = runsc, rootfs("box", netb)
        self.state = OUT / "runsc-state"
        self.state.mkdir(exist_ok=True)

    def cmd(self, veth: Veth, args: list[str]) -> tuple[list[str], str]:
        Runsc.made += 1
        cid = f"umlbench-{os.getpid()}-{Runsc.made}"
        bundle = OUT / "runsc-bundles" / cid
        bundle.mkdir(parents=True, exist_ok=True)
        caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        spec = {
            "ociVersion": "1.0.0",
            "process": {"user": {"uid": 0, "gid": 0}, "args": args, "cwd": "/",
                        "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
                        "capabilities": {k: caps for k in ("bounding", "effective", "inheritable", "permitted")},
                        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]},
            "root": {"path": str(self.root), "readonly": True},
            "hostname": "runsc",
            "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                       {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"}],
            "linux": {"namespaces": [{"type": "pid"}, {"type": "network", "path": veth.path(veth.box)},
                                     {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]},
        }
        (bundle / "config.json").write_text(json.dumps(spec))
        return [*self.base(), "run", "--bundle", str(bundle), cid], cid

    def base(self) -> list[str]:
        return ["unshare", "-m", "--propagation", "private", "sh", "-c",
                'mount -t tmpfs none /proc/sys/net && exec "$0" "$@"', self.runsc,
                "--network=sandbox", "--platform=ptrace", "--root", str(self.state)]

    def forget(self, cid: str) -> None:
        subprocess.run([*self.base(), "delete", "--force", cid], capture_output=True, timeout=60)
        shutil.rmtree(OUT / "runsc-bundles" / cid, ignore_errors=True)


class Podman:
    """`podman run --rootfs` with crun, as root, networks none and slirp4netns.

    crun 1.8.1 refuses this VM's hybrid cgroup layout ("cgroups in hybrid mode not supported, drop
    all controllers from cgroupv2": a cgroup2 hierarchy with the hugetlb controller at
    /sys/fs/cgroup/unified beside the v1 ones), even with --cgroups=disabled.  podman alone runs in a
    private mount namespace without that mount.  --ulimit gives small limits: this root lacks
    CAP_SYS_RESOURCE (not in its bounding set), so crun may not set podman's defaults (nofile
    1048576), nor even our own hard limits again for nproc."""

    made = 0

    def __init__(self, netb: Path) -> None:
        self.root = rootfs("podbox", netb)
        pre = "exec podman \"$@\""
        unified = Path("/sys/fs/cgroup/unified/cgroup.controllers")
        if unified.exists() and unified.read_text().strip():
            pre = "umount /sys/fs/cgroup/unified && " + pre
        self.sh = ["unshare", "-m", "--propagation", "private", "sh", "-c", pre, "podman"]

    def cmd(self, network: str, publish: list[str], args: list[str]) -> tuple[list[str], list[str]]:
        """The `podman run` command, and the command that kills what it started."""
        Podman.made += 1
        name = f"umlbench-{os.getpid()}-{Podman.made}"
        lim = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
        return ([*self.sh, "run", "--rm", "--name", name, "--cgroups=disabled", *lim, "--network", network,
                 *publish, "--rootfs", str(self.root), *args],
                [*self.sh, "rm", "--force", "--time", "0", name])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rr", type=int, default=5000)
    ap.add_argument("--mb", type=int, default=256)
    ap.add_argument("--reps", type=int, default=3)
    ns = ap.parse_args()
    netb = build()
    mount = ["-v", f"{OUT}:/b:ro"]
    rr, mb = str(ns.rr), str(ns.mb)
    rows: dict[tuple[str, str], list[tuple[float, float]]] = {}
    notes: list[str] = []
    root = os.geteuid() == 0
    runsc = shutil.which("runsc")
    rs = Runsc(runsc, netb) if runsc and root else None
    pm = Podman(netb) if shutil.which("podman") and root else None
    if not root:
        notes.append("not root: no runsc, podman, veth or --network user rows (they need ip netns, "
                     "rootful podman and /dev/net/tun)")

    def measure(group: str, name: str, fn) -> None:
        try:
            rows.setdefault((group, name), []).append(fn())
        except Exception as e:      # noqa: BLE001 (a row that fails is reported, not fatal)
            rows.setdefault((group, name), [])
            notes.append(f"{group} / {name}: {str(e)[:300]}")

    def client(host: str, port: int, where: list[str] = ()) -> tuple[float, float]:
        return run([*where, str(netb), "client", host, str(port), rr, mb])

    def host_server(fn) -> tuple[float, float]:
        """fn(port) with a native server on the host's 127.0.0.1:port."""
        port = free_port()
        with Server([str(netb), "serve", str(port), "127.0.0.1"], port):
            return fn(port)

    def veth_native(server_ns: str, server_ip: str) -> tuple[float, float]:
        with Veth() as v:
            client_ns = v.box if server_ns == "host" else v.host
            srv = getattr(v, server_ns)
            with Server([*v.enter(srv), str(netb), "serve", "7000", server_ip], 7000, wait_host=None):
                return client(server_ip, 7000, v.enter(client_ns))

    def runsc_pair() -> tuple[float, float]:
        with Veth() as v:
            cmd, cid = rs.cmd(v, ["/netb", "pair", rr, mb])
            try:
                return run(cmd)
            finally:
                rs.forget(cid)

    def runsc_published() -> tuple[float, float]:
        with Veth() as v:
            cmd, cid = rs.cmd(v, ["/netb", "serve", "7000"])
            try:
                with Server(cmd, 7000, wait_host=None, kill=[*rs.base(), "kill", "--all", cid, "KILL"]):
                    return client(BOX_IP, 7000, v.enter(v.host))
            finally:
                rs.forget(cid)

    def runsc_out() -> tuple[float, float]:
        with Veth() as v:
            with Server([*v.enter(v.host), str(netb), "serve", "7000", HOST_IP], 7000, wait_host=None):
                cmd, cid = rs.cmd(v, ["/netb", "client", HOST_IP, "7000", rr, mb])
                try:
                    return run(cmd)
                finally:
                    rs.forget(cid)

    def podman_published() -> tuple[float, float]:
        port = free_port()
        cmd, kill = pm.cmd("slirp4netns", ["-p", f"127.0.0.1:{port}:7000"], ["/netb", "serve", "7000"])
        with Server(cmd, port, kill=kill):
            return client("127.0.0.1", port)

    def podman_out(port: int) -> tuple[float, float]:
        cmd, _ = pm.cmd("slirp4netns:allow_host_loopback=true", [],
                        ["/netb", "client", "10.0.2.2", str(port), rr, mb])
        return run(cmd)

    for _ in range(ns.reps):
        g = "guest<->guest"
        measure(g, "native", lambda: run([str(netb), "pair", rr, mb]))
        measure(g, "umlpy (--network none)", lambda: run([*UMLPY, *mount, "--", "/b/netb", "pair", rr, mb]))
        if rs:
            measure(g, "runsc --network=none (ptrace)", lambda: run(
                [runsc, "--network=none", "--platform=ptrace", "do", "-quiet", str(netb), "pair", rr, mb]))
            measure(g, "runsc netstack (ptrace)", runsc_pair)
        if pm:
            measure(g, "podman --network none (crun)", lambda: run(pm.cmd("none", [], ["/netb", "pair", rr, mb])[0]))

        g = "host -> published -> guest"
        measure(g, "native (loopback)", lambda: host_server(lambda port: client("127.0.0.1", port)))
        port = free_port()

        def published() -> tuple[float, float]:
            with Server([*UMLPY, *mount, "-p", f"{port}:7000", "--", "/b/netb", "serve", "7000"], port):
                return client("127.0.0.1", port)
        measure(g, "umlpy -p (forwarder)", published)
        if pm:
            measure(g, "podman -p (slirp4netns, rootlessport)", podman_published)
        if root:
            measure(g, "native (veth, netns to netns)", lambda: veth_native("box", BOX_IP))
        if rs:
            measure(g, "runsc netstack (veth, to its address)", runsc_published)

        g = "guest -> out (host server)"
        measure(g, "native (loopback)", lambda: host_server(lambda port: client("127.0.0.1", port)))
        if root:
            measure(g, "umlpy --network user (slirp4netns)", lambda: host_server(lambda port: run(
                [*UMLPY, *mount, "--network", "user", "--allow-net", f"127.0.0.1:{port}", "--",
                 "/b/netb", "client", "10.0.2.2", str(port), rr, mb])))
            measure(g, "slirp4netns bare", lambda: host_server(
                lambda port: engine_bare("slirp4netns", netb, port, ns.rr, ns.mb)))
            if shutil.which("pasta"):
                measure(g, "pasta bare (--runas 0)", lambda: host_server(
                    lambda port: engine_bare("pasta", netb, port, ns.rr, ns.mb)))
        if pm:
            measure(g, "podman slirp4netns (allow_host_loopback)", lambda: host_server(podman_out))
        if root:
            measure(g, "native (veth, netns to netns)", lambda: veth_native("host", HOST_IP))
        if rs:
            measure(g, "runsc netstack (veth, to the host ns)", runsc_out)

    print(f"TCP request/response (1 byte each way, {ns.rr} round trips) and bulk ({ns.mb} MiB one way); "
          f"median of {ns.reps}; ratios to the first row of each group")
    print(f"{'group':28} {'runner':42} {'rr us':>9} {'ratio':>7} {'MB/s':>9} {'ratio':>7}")
    base: dict[str, tuple[float, float]] = {}
    med: dict[tuple[str, str], tuple[float, float]] = {}
    for (group, name), vals in rows.items():
        if not vals:
            print(f"{group:28} {name:42} {'FAIL':>9}")
            continue
        lat = statistics.median(v[0] for v in vals)
        bw = statistics.median(v[1] for v in vals)
        med[group, name] = (lat, bw)
        b = base.setdefault(group, (lat, bw))
        print(f"{group:28} {name:42} {lat:9.1f} {lat / b[0]:6.2f}x {bw:9.0f} {bw / b[1]:6.2f}x")
    for group, ours, theirs in (("guest<->guest", "umlpy (--network none)", "runsc netstack (ptrace)"),
                                ("host -> published -> guest", "umlpy -p (forwarder)",
                                 "runsc netstack (veth, to its address)"),
                                ("guest -> out (host server)", "umlpy --network user (slirp4netns)",
                                 "runsc netstack (veth, to the host ns)")):
        if (group, ours) in med and (group, theirs) in med:
            (a, x), (b, y) = med[group, ours], med[group, theirs]
            print(f"umlpy / runsc netstack, {group}: latency {a / b:.2f}x, throughput {x / y:.2f}x")
    for n in notes:
        print("note:", n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
