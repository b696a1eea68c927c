#!/usr/bin/env python3
"""Network benchmarks (issue 9): TCP request/response latency and bulk throughput.

    sudo python3 bench/net.py [--rr N] [--mb M] [--reps K]

One static C program (source below, compiled into bench/results/net/) is the
client and the server everywhere.  Rows, each measured in the same run and
shown with its ratio to the native row of its group:

  guest<->guest   two processes of one sandbox over its loopback (umlpy --network none),
                  vs the same two processes natively, and runsc --network=none (in-sandbox);
                  runsc's netstack (`runsc --network=sandbox do`) answered "Network is
                  unreachable" for 127.0.0.1 here, so it has no row
  host -> -p      a host client to a guest server published with -p (umlpy's forwarder),
                  vs the client straight to a native server on loopback
  guest -> out    a guest client to a server on the host's loopback, --network user with an
                  allow rule (slirp4netns + nftables), vs native; and the two engines bare:
                  a process in an `unshare -n` namespace wired by slirp4netns or by pasta
                  (root only), which is how the engine was chosen (docs/design.md, "Network")

Only servers this script starts are reached, all on 127.0.0.1.
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
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
static int listener(int port, int *got) {
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(s, (void *)&a, sizeof a) || listen(s, 16)) { perror("bind/listen"); exit(1); }
    socklen_t len = sizeof a; getsockname(s, (void *)&a, &len); *got = ntohs(a.sin_port);
    return s;
}
static void serve(int s) {
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
    if (argc >= 3 && !strcmp(argv[1], "serve")) { int p; int s = listener(atoi(argv[2]), &p); serve(s); }
    if (argc >= 6 && !strcmp(argv[1], "client")) { client(argv[2], atoi(argv[3]), atol(argv[4]), atol(argv[5])); return 0; }
    if (argc >= 4 && !strcmp(argv[1], "pair")) {
        int p, s = listener(0, &p); pid_t pid = fork();
        if (pid == 0) serve(s);
        close(s); client("127.0.0.1", p, atol(argv[2]), atol(argv[3]));
        kill(pid, 9); waitpid(pid, 0, 0); return 0;
    }
    fprintf(stderr, "usage: netb serve PORT | client HOST PORT RR MB | pair RR MB\n"); return 2;
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
        raise RuntimeError(f"{' '.join(cmd)}: {r.returncode}: {r.stderr.strip()[-400:]}")
    return parse(r.stdout)


class Server:
    """A server process (native, or a whole command) for the length of a `with`."""

    def __init__(self, cmd: list[str], port: int, wait_host: str | None = "127.0.0.1") -> None:
        self.p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
        end = time.monotonic() + 30
        while wait_host is not None:
            try:
                with socket.create_connection((wait_host, port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > end or self.p.poll() is not None:
                    raise RuntimeError(f"server {' '.join(cmd)} did not start")
                time.sleep(0.1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.p.terminate()
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
    runsc = shutil.which("runsc")
    root = os.geteuid() == 0

    def measure(group: str, name: str, fn) -> None:
        try:
            rows.setdefault((group, name), []).append(fn())
        except Exception as e:      # noqa: BLE001 (a row that fails is reported, not fatal)
            rows.setdefault((group, name), [])
            notes.append(f"{group} / {name}: {str(e)[:300]}")

    for _ in range(ns.reps):
        g = "guest<->guest"
        measure(g, "native", lambda: run([str(netb), "pair", rr, mb]))
        measure(g, "umlpy (--network none)", lambda: run([*UMLPY, *mount, "--", "/b/netb", "pair", rr, mb]))
        if runsc and root:
            measure(g, "runsc --network=none (ptrace)", lambda: run(
                [runsc, "--network=none", "--platform=ptrace", "do", "-quiet", str(netb), "pair", rr, mb]))

        g = "host -> -p -> guest"
        port = free_port()
        with Server([str(netb), "serve", str(port)], port):
            measure(g, "native (loopback)", lambda: run([str(netb), "client", "127.0.0.1", str(port), rr, mb]))
        port = free_port()

        def published() -> tuple[float, float]:
            with Server([*UMLPY, *mount, "-p", f"{port}:7000", "--", "/b/netb", "serve", "7000"], port):
                return run([str(netb), "client", "127.0.0.1", str(port), rr, mb])
        measure(g, "umlpy -p (forwarder)", published)

        g = "guest -> out (host loopback)"
        port = free_port()
        with Server([str(netb), "serve", str(port)], port):
            measure(g, "native (loopback)", lambda: run([str(netb), "client", "127.0.0.1", str(port), rr, mb]))
            if root:
                measure(g, "umlpy --network user", lambda: run(
                    [*UMLPY, *mount, "--network", "user", "--allow-net", f"127.0.0.1:{port}", "--",
                     "/b/netb", "client", "10.0.2.2", str(port), rr, mb]))
                measure(g, "slirp4netns bare", lambda: engine_bare("slirp4netns", netb, port, ns.rr, ns.mb))
                if shutil.which("pasta"):
                    measure(g, "pasta bare (--runas 0)", lambda: engine_bare("pasta", netb, port, ns.rr, ns.mb))

    print(f"TCP request/response (1 byte each way, {ns.rr} round trips) and bulk ({ns.mb} MiB one way); "
          f"median of {ns.reps}")
    print(f"{'group':30} {'runner':44} {'rr us':>9} {'ratio':>7} {'MB/s':>9} {'ratio':>7}")
    base: dict[str, tuple[float, float]] = {}
    for (group, name), vals in rows.items():
        if not vals:
            print(f"{group:30} {name:44} {'FAIL':>9}")
            continue
        lat = statistics.median(v[0] for v in vals)
        bw = statistics.median(v[1] for v in vals)
        if name.startswith("native"):
            base[group] = (lat, bw)
        b = base.get(group, (lat, bw))
        print(f"{group:30} {name:44} {lat:9.1f} {lat / b[0]:6.2f}x {bw:9.0f} {bw / b[1]:6.2f}x")
    for n in notes:
        print("note:", n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
