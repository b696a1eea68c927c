"""Resource limits, as the guest feels them and as the report names them.

`limits` hold for the whole sandbox: the host kernel enforces memory and tasks
with the sandbox's cgroups, and the supervisor kills the sandbox when the CPU
time its cgroup counted is over.  Where no cgroup can be had, the guest kernel
counts instead (the fallback tests take the cgroups away).  `ulimits` are
per-process rlimits with docker's names.  After every test, no cgroup of a
finished sandbox is left on the host.
"""
from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import time

import pytest

from umlpy import Sandbox
from umlpy.kernel.limits import show
from umlpy.platform import cgroup

WANT = {"memory", "pids", "cpu"}
_use, _missing = cgroup.plan(cgroup.hierarchies(), WANT)
NEEDS_CGROUPS = pytest.mark.skipif(
    os.geteuid() != 0 or bool(_missing),
    reason="needs root and cgroup memory, pids and cpu accounting (v1 or v2): "
           + "; ".join(f"{r}: {why}" for r, why in _missing.items()))


def _sandbox_cgroups() -> set[str]:
    """Every sandbox cgroup on the host: umlpy/<pid>-<hex> in each hierarchy."""
    found = set()
    for h in cgroup.hierarchies():
        for base in {h.path(h.own), h.mount}:
            found.update(glob.glob(os.path.join(base, cgroup.PARENT, "*-*")))
    return found


@pytest.fixture(autouse=True)
def no_cgroup_left():
    """A leftover cgroup is a change to the host: none of a finished sandbox may remain."""
    before = _sandbox_cgroups()
    yield
    def finished(d: str) -> bool:
        pid = os.path.basename(d).split("-")[0]
        return int(pid) == os.getpid() or not os.path.exists(f"/proc/{pid}")
    left = sorted(d for d in _sandbox_cgroups() - before if finished(d))
    assert not left, f"cgroups left behind: {left}"


@pytest.fixture
def no_cgroups(monkeypatch):
    """As on a host with no cgroup hierarchy mounted: every limit falls back."""
    monkeypatch.setattr(cgroup, "hierarchies", lambda *a, **k: [])


def _sb(rootfs, progs, ulimits=None, **limits):
    return Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")], limits=limits, ulimits=ulimits)


def _cli(rootfs, progs, *args):
    return subprocess.run([sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs),
                           "-v", f"{progs}:/t:ro", *args], check=False, capture_output=True, text=True,
                          timeout=60)


# ------------------------------------------------------------------ memory
THREE_HOLDERS = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    int p[2];
    pipe(p);
    for (int i = 0; i < 3; i++) {
        if (fork() == 0) {                  /* each child takes 30 MiB and holds it */
            close(p[1]);
            size_t mb = 0;
            for (; mb < 30; mb++) {
                char *m = malloc(1 << 20);
                if (!m) break;
                memset(m, 1, 1 << 20);
            }
            char c;
            read(p[0], &c, 1);              /* until the parent lets go */
            _exit(mb == 30 ? 0 : 1);
        }
    }
    sleep(1);
    close(p[1]);
    int st, full = 0, killed = 0, short_ = 0;
    while (wait(&st) > 0) {
        if (WIFSIGNALED(st)) killed++;
        else if (WEXITSTATUS(st) == 0) full++;
        else short_++;
    }
    printf("full=%d killed=%d short=%d\n", full, killed, short_);
    return 0;
}
"""


@NEEDS_CGROUPS
def test_memory_holds_for_the_whole_sandbox(rootfs, progs, cc):
    prog = cc("three_holders", THREE_HOLDERS)
    with _sb(rootfs, progs, memory="64M") as sb:
        r = sb.run([prog], text=True, timeout=30)
    full, killed, short = (int(kv.split("=")[1]) for kv in r.stdout.split())
    assert full <= 2 and killed + short >= 1 and full + killed + short == 3, r.stdout   # 90 MiB > 64M
    assert "OOM killer killed" in r.report.limit_hit["memory"], r.report.limit_hit
    assert "cgroup" in r.report.limits["memory"] and r.report.limits["memory"].startswith("64M")
    assert r.report.usage["memory_peak"] <= 64 << 20


MEMORY_HOG = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
    size_t mb = 0;
    for (; mb < 1024; mb++) {
        char *p = malloc(1 << 20);
        if (!p) break;
        memset(p, 1, 1 << 20);
    }
    printf("got %zu MiB\n", mb);
    return 0;
}
"""


def test_memory_without_cgroups_falls_back_to_rlimit_as(rootfs, progs, cc, no_cgroups):
    prog = cc("memory_hog", MEMORY_HOG)
    with _sb(rootfs, progs, memory="64M") as sb:
        r = sb.run([prog], text=True, timeout=30)
    got = int(r.stdout.split()[1])
    assert 10 < got < 64, r.stdout
    how = r.report.limits["memory"]
    assert "guest kernel" in how and "RLIMIT_AS" in how and "no cgroup" in how, how


# --------------------------------------------------------------------- cpu
THREE_BUSY = ["sh", "-c", "(while :; do :; done) & (while :; do :; done) & (while :; do :; done) & wait"]


@NEEDS_CGROUPS
def test_cpu_seconds_hold_for_the_whole_sandbox(rootfs, progs):
    start = time.monotonic()
    with _sb(rootfs, progs, cpu=1) as sb:
        r = sb.run(THREE_BUSY, timeout=30)
    assert r.returncode == -signal.SIGKILL
    assert "cpu" in r.report.limit_hit, r.report.limit_hit
    assert 1.0 < r.report.usage["cpu_seconds"] < 1.5, r.report.usage      # not 3 s, as per process
    assert time.monotonic() - start < 10
    assert "killed" in r.report.limit_hit["cpu"]


def test_cpu_without_cgroups_is_counted_by_the_guest_kernel(rootfs, progs, no_cgroups):
    with _sb(rootfs, progs, cpu=1) as sb:
        r = sb.run(THREE_BUSY, timeout=30)
    assert r.returncode == -signal.SIGKILL
    assert "cpu" in r.report.limit_hit, r.report.limit_hit
    assert 1.0 < r.report.usage["cpu_seconds"] < 1.6, r.report.usage
    assert "guest kernel" in r.report.limits["cpu"]


def test_ulimit_cpu_is_per_process_sigxcpu(rootfs, progs):
    with _sb(rootfs, progs, ulimits={"cpu": "1:2"}) as sb:
        r = sb.run(["sh", "-c", "while :; do :; done"], timeout=30)
    assert r.returncode == -signal.SIGXCPU


# ------------------------------------------------------- processes, threads
FORKER = r"""
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    int made = 0, err = 0;
    for (int i = 0; i < 20; i++) {
        pid_t c = fork();
        if (c == 0) { pause(); _exit(0); }
        if (c < 0) { err = errno; break; }
        made++;
    }
    printf("made=%d err=%s\n", made, err ? strerrorname_np(err) : "none");
    fflush(stdout);
    return 0;                        /* init's exit ends the children too */
}
"""

THREADER = r"""
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static void *idle(void *a) { pause(); return a; }
int main(void) {
    int made = 0, err = 0;
    for (int i = 0; i < 1000; i++) {
        pthread_t t;
        if ((err = pthread_create(&t, NULL, idle, NULL))) break;
        made++;
    }
    printf("made=%d err=%s\n", made, err ? strerrorname_np(err) : "none");
    fflush(stdout);
    return 0;
}
"""


def _forker(cc):
    return cc("forker", "#define _GNU_SOURCE\n#include <signal.h>\n" + FORKER)


@NEEDS_CGROUPS
def test_threads_count_as_processes(rootfs, progs, cc):
    prog = cc("threader", "#define _GNU_SOURCE\n" + THREADER)
    with _sb(rootfs, progs, processes=20) as sb:
        r = sb.run([prog], text=True, timeout=30)
    assert r.stdout == "made=19 err=EAGAIN\n"                # init's main thread + 19
    assert "refused (EAGAIN)" in r.report.limit_hit["processes"]
    assert "threads count" in r.report.limits["processes"]


@NEEDS_CGROUPS
@pytest.mark.parametrize("server", ["wait", "0"])
def test_limits_hold_for_a_served_run_as_for_its_own(rootfs, progs, cc, server):
    """A warm server's run (umlpy/warm.py: a forked spare, its memory copied ahead) gets
    the same cgroups and limits as a run the command does itself: exactly 20 tasks,
    and 64M for the three processes together."""
    env = dict(os.environ, UMLPY_SERVER=server)
    threader = cc("threader", "#define _GNU_SOURCE\n" + THREADER)
    holders = cc("three_holders", THREE_HOLDERS)
    base = [sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs), "-v", f"{progs}:/t:ro"]
    r = subprocess.run([*base, "--limit", "processes=20", "--", threader], capture_output=True,
                       text=True, timeout=60, env=env)
    assert r.stdout == "made=19 err=EAGAIN\n", r.stderr                # init's main thread + 19
    r = subprocess.run([*base, "--limit", "memory=64M", "--report", "--", holders], capture_output=True,
                       text=True, timeout=60, env=env)
    full, killed, short = (int(kv.split("=")[1]) for kv in r.stdout.split())
    assert full <= 2 and killed + short >= 1 and full + killed + short == 3, r.stdout
    assert "OOM killer killed" in r.stderr


@NEEDS_CGROUPS
def test_process_limit_is_eagain(rootfs, progs, cc):
    with _sb(rootfs, progs, processes=5) as sb:
        r = sb.run([_forker(cc)], text=True, timeout=30)
    assert r.stdout.strip() == "made=4 err=EAGAIN"          # init + 4 children
    assert "processes" in r.report.limit_hit


def test_processes_without_cgroups_are_counted_by_the_guest_kernel(rootfs, progs, cc, no_cgroups):
    with _sb(rootfs, progs, processes=5) as sb:
        r = sb.run([_forker(cc)], text=True, timeout=30)
    assert r.stdout.strip() == "made=4 err=EAGAIN"
    assert "guest kernel" in r.report.limits["processes"], r.report.limits


def test_threads_without_cgroups_are_counted_by_the_guest_kernel(rootfs, progs, cc, no_cgroups):
    """The fallback counts tasks too: a thread bomb stops at the limit without a pids cgroup."""
    prog = cc("threader", "#define _GNU_SOURCE\n" + THREADER)
    with _sb(rootfs, progs, processes=20) as sb:
        r = sb.run([prog], text=True, timeout=30)
    assert r.stdout == "made=19 err=EAGAIN\n"
    assert "threads count too" in r.report.limits["processes"], r.report.limits


@NEEDS_CGROUPS
def test_a_fork_bomb_is_contained_by_the_defaults(rootfs, progs):
    start = time.monotonic()
    with Sandbox(rootfs=rootfs) as sb:                       # no limits given: the defaults
        r = sb.run(["sh", "-c", "bomb() { bomb | bomb & }; bomb; sleep 3; echo init survived"],
                   text=True, timeout=60)
    took = time.monotonic() - start
    assert took < 30, took
    assert r.report.limits["processes"].startswith("1024 tasks:"), r.report.limits
    assert "refused (EAGAIN)" in r.report.limit_hit["processes"], r.report.limit_hit
    assert "can't fork" in r.stderr
    assert len(r.report.processes) + r.report.more["processes"] > 1000   # it did get going
    assert r.report.usage.get("tasks_peak", 1024) <= 1024    # but no further (pids.peak, Linux 6.13+)
    assert all("status" in p for p in r.report.processes)    # every guest process is gone
    assert subprocess.run(["true"], check=False).returncode == 0   # the host still forks


# ----------------------------------------------------------------- ulimits
OPENER = r"""
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    int n = 0, err = 0;
    while (n < 100 && open("/etc/passwd", O_RDONLY) >= 0) n++;
    if (n < 100) err = errno;
    printf("opened=%d err=%s\n", n, err ? strerrorname_np(err) : "none");
    return 0;
}
"""


def test_ulimit_nofile_from_the_command_line(rootfs, progs, cc):
    prog = cc("opener", "#define _GNU_SOURCE\n" + OPENER)
    r = _cli(rootfs, progs, "--ulimit", "nofile=64", "--", prog)
    assert (r.returncode, r.stdout) == (0, "opened=61 err=EMFILE\n"), r.stderr   # 64 minus stdio


def test_ulimit_soft_and_hard(rootfs, progs, cc):
    prog = cc("opener", "#define _GNU_SOURCE\n" + OPENER)
    with _sb(rootfs, progs, ulimits={"nofile": "16:32", "core": 0}) as sb:
        r = sb.run(["sh", "-c", f"ulimit -Sn; ulimit -Hn; ulimit -c; {prog}"], text=True, timeout=30)
    assert r.stdout == "16\n32\n0\nopened=13 err=EMFILE\n", r.stderr


def test_ulimit_fsize(rootfs, progs):
    with _sb(rootfs, progs, ulimits={"fsize": "1K"}) as sb:
        r = sb.run(["sh", "-c", "head -c 5000 /dev/zero > /tmp/big; wc -c < /tmp/big"],
                   text=True, timeout=30)
    assert r.stdout == "1024\n"


# ------------------------------------------------------- defaults and errors
def test_defaults_are_in_the_report_and_the_help(rootfs, progs):
    with _sb(rootfs, progs) as sb:
        r = sb.run(["true"], timeout=30)
    limits = r.report.limits
    assert limits["processes"].startswith("1024 tasks") and limits["cpu"] == "unlimited", limits
    ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert limits["memory"].split(":")[0] == show("memory", min(ram // 2, 4 << 30)), limits
    help_text = subprocess.run([sys.executable, "-m", "umlpy", "run", "--help"], check=False,
                               capture_output=True, text=True).stdout
    flat = " ".join(help_text.split())
    assert "default 1024" in flat and "at most 4G" in flat and "--ulimit" in flat, help_text


def test_bad_limits_are_clear_errors(rootfs):
    for limits, ulimits, match in (({"bogus": 1}, None, "unknown limit 'bogus'"),
                                   ({"memory": "lots"}, None, "bad limit value"),
                                   ({"open_files": 4}, None, "per-process limit: use --ulimit nofile"),
                                   (None, {"nofile": "6:4"}, "soft limit is above the hard one"),
                                   (None, {"nofiles": 4}, "unknown ulimit 'nofiles'")):
        with pytest.raises(ValueError, match=match):
            Sandbox(rootfs=rootfs, limits=limits, ulimits=ulimits)
    for option in (["--limit", "memory=lots"], ["--limit", "file_size=1K"], ["--ulimit", "nofile=6:4"],
                   ["--ulimit", "nofile"], ["--ulimit", "bogus=1"]):
        r = subprocess.run([sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs), *option,
                            "--", "true"], check=False, capture_output=True, text=True)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and "umlpy: error:" in r.stderr, \
            (option, r.stderr)
