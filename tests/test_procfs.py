"""The guest's /proc (umlpy/fsimpl/procfs/), as guest programs observe it.

Every test runs busybox (or a host dynamic binary of the default rootfs)
inside a sandbox and checks what it read from /proc: guest pids only, guest
paths only, the supervisor invisible.
"""
from __future__ import annotations

import os
import re
import subprocess

import pytest

from umlpy.api import Sandbox, default_rootfs

ROOTFS = default_rootfs()


@pytest.fixture(scope="module")
def sandbox():
    sb = Sandbox()
    yield sb
    close = getattr(sb, "close", None)
    if close:
        close()


def sh(sb: Sandbox, script: str, **kw) -> subprocess.CompletedProcess:
    return sb.run(["sh", "-c", script], timeout=10, **kw)


def out(sb: Sandbox, script: str, **kw) -> str:
    r = sh(sb, script, **kw)
    return r.stdout.decode(errors="replace")


def status_of(text: str) -> dict[str, str]:
    return {k: v.strip() for k, _, v in (l.partition(":") for l in text.splitlines()) if _}


# ------------------------------------------------------------ self
def test_self_status_is_the_shell(sandbox):
    text = out(sandbox, "echo $$; cat /proc/$$/status; echo ==; cat /proc/self/status; true")
    me, rest = text.split("\n", 1)
    shell, selfs = rest.split("==\n")
    st = status_of(shell)
    assert st["Pid"] == me == "1"
    assert st["Tgid"] == "1"
    assert st["PPid"] == "0"               # init: its parent is outside the namespace
    assert st["TracerPid"] == "0"          # the supervisor is invisible
    assert st["Uid"].split() == ["0"] * 4  # virtual root
    assert st["State"].startswith("S")     # waiting for cat, not "t (tracing stop)"
    cat = status_of(selfs)
    assert cat["PPid"] == "1" and int(cat["Pid"]) > 1
    assert cat["State"] == "R (running)"
    assert cat["Seccomp"] == "0" and cat["NoNewPrivs"] == "0"


def test_self_and_thread_self_links(sandbox):
    text = out(sandbox, "readlink /proc/self/exe; readlink /proc/self; readlink /proc/thread-self;"
                        " ls /proc/self/task; readlink /proc/self/root")
    exe, me, thread, tasks, root = text.split()
    assert exe == "/bin/busybox"
    assert re.fullmatch(r"(\d+)/task/\1", thread)
    assert tasks.isdigit() and int(tasks) > 1 and int(me) > 1
    assert root == "/"


def test_cwd_follows_cd(sandbox):
    assert out(sandbox, "cd /tmp && readlink /proc/self/cwd; cd /etc && readlink /proc/$$/cwd").split() \
        == ["/tmp", "/etc"]


def test_stat_has_guest_ids_only(sandbox):
    text = out(sandbox, "echo $$; cat /proc/$$/stat; cat /proc/self/stat; true")
    me, init, cat = text.splitlines()
    f = init[init.rindex(")") + 2:].split()
    assert init.startswith(f"{me} (")
    assert f[1:4] == ["0", "1", "1"]        # ppid, pgrp, session: guest ids
    c = cat[cat.rindex(")") + 2:].split()
    assert cat.split()[0] != me and c[0] == "R" and c[1] == me
    assert len(init.split()) == 52
    assert int(f[19]) < 100 * 30            # started moments after the guest booted


def test_cmdline_of_init(sandbox):
    text = out(sandbox, "cat /proc/1/cmdline | tr '\\0' ' '; echo; cat /proc/self/cmdline | tr '\\0' ' '")
    init, cat = text.splitlines()
    assert init.startswith("sh -c cat /proc/1/cmdline")
    assert cat.strip() == "cat /proc/self/cmdline"


# ---------------------------------------------------------- listing
def test_ls_proc_shows_only_guest_pids(sandbox):
    text = out(sandbox, "sleep 1 & ls /proc; true")
    names = text.split()
    pids = sorted(int(n) for n in names if n.isdigit())
    assert pids[0] == 1 and set(pids) <= set(range(1, 10)) and len(pids) >= 3
    for name in ("self", "thread-self", "cpuinfo", "meminfo", "uptime", "loadavg", "mounts",
                 "version", "filesystems", "stat"):
        assert name in names


def test_ps_lists_guest_processes(sandbox):
    text = out(sandbox, "sleep 1 & ps; true")
    rows = [l.split(None, 2) for l in text.splitlines()[1:]]
    by_pid = {int(r[0]): r for r in rows}
    assert set(by_pid) == {1, 2, 3}       # sh, sleep, ps
    assert by_pid[3][2].startswith("{ps}")
    assert all(r[1] == "root" for r in rows)
    # once sleep has exec'd, its cmdline is its own
    text = out(sandbox, "sleep 1 & sleep 0.2; ps; true")
    rows = [l.split(None, 2) for l in text.splitlines()[1:]]
    assert [r[2] for r in rows if r[0] == "2"][0].endswith("sleep 1")


def test_host_pids_are_enoent(sandbox):
    host = os.getpid()                     # the supervisor itself
    r = sh(sandbox, f"cat /proc/{host}/status; ls -d /proc/{host}; readlink /proc/{host}/exe; echo rc=$?")
    assert b"rc=1" in r.stdout
    assert r.stderr.count(b"No such file") >= 2
    assert b"Name" not in r.stdout


def test_zombie_shows_as_z(sandbox):
    # `sleep 0` is never reaped: its parent (2) became `sleep 1`
    text = out(sandbox, "(sleep 0 & exec sleep 1) & sleep 0.3; ps -o pid,ppid,stat; "
                        "for p in /proc/[0-9]*; do grep -q ') Z' $p/stat 2>/dev/null && "
                        "grep State $p/status && cat $p/stat; done")
    m = re.search(r"^\s*(\d+)\s+2\s+Z", text, re.M)
    assert m
    assert "State:\tZ (zombie)" in text
    assert re.search(rf"^{m.group(1)} \(\S+\) Z 2 ", text, re.M)


# ---------------------------------------------------------- files
def test_mounts(sandbox):
    text = out(sandbox, "cat /proc/mounts; echo ==; cat /proc/self/mountinfo")
    mounts, info = text.split("==\n")
    table = {l.split()[1]: l.split() for l in mounts.splitlines()}
    assert table["/"][:3] == ["overlay", "/", "overlay"]
    assert table["/proc"][2] == "proc"
    assert table["/dev"][2] == "devtmpfs"
    assert table["/tmp"][2] == "tmpfs"
    assert len(info.splitlines()) == len(table)


def test_maps_show_guest_paths_only(sandbox):
    text = out(sandbox, "cat /proc/self/maps; echo ==; /usr/bin/cat /proc/self/maps")
    static, dynamic = text.split("==\n")
    assert "/bin/busybox" in static
    assert re.search(r" /usr/lib/\S*libc\.so\.6$", dynamic, re.M) or \
        re.search(r" /lib\S*/libc\.so\.6$", dynamic, re.M)
    assert "/usr/bin/cat" in dynamic
    for line in (static + dynamic).splitlines():
        parts = line.split(None, 5)
        assert len(parts) >= 5, line
        if len(parts) == 6 and parts[5].startswith("/"):
            path = parts[5].removesuffix(" (deleted)")
            assert (ROOTFS / path.lstrip("/")).exists(), f"not a guest path: {line}"
    assert "rootfs/image" not in text and "umlpy." not in text


def test_fd_links(sandbox):
    text = out(sandbox, "exec 5</etc/passwd; ls -l /proc/self/fd; echo ==; readlink /proc/$$/fd/5")
    listing, link = text.split("==\n")
    fds = {m.group(1): m.group(2) for m in re.finditer(r" (\d+) -> (.*)$", listing, re.M)}
    assert {"0", "1", "2", "5"} <= set(fds)
    assert re.fullmatch(r"pipe:\[\d+\]", fds["1"])      # stdout: the capture pipe
    assert fds["5"] == "/etc/passwd"
    assert link.strip() == "/etc/passwd"
    assert "umlpy." not in listing and "rootfs" not in listing


def test_dev_stdout_and_stderr_reopen_the_pipe(sandbox):
    r = sh(sandbox, "[ -p /dev/stdout ] && echo fifo; echo to-out > /dev/stdout; "
                    "echo to-err > /dev/stderr; cat /proc/self/fd/0 </etc/hostname >/dev/null; "
                    "echo rc=$?")
    assert r.stdout.split() == [b"fifo", b"to-out", b"rc=0"]
    assert b"to-err" in r.stderr


def test_system_files(sandbox):
    text = out(sandbox, "cat /proc/uptime /proc/loadavg /proc/sys/kernel/hostname "
                        "/proc/sys/kernel/pid_max; grep -c processor /proc/cpuinfo; "
                        "grep MemTotal /proc/meminfo; cat /proc/filesystems; cat /proc/version")
    lines = text.splitlines()
    up, idle = map(float, lines[0].split())
    assert 0 <= up < 30
    load = lines[1].split()
    assert len(load) == 5 and re.fullmatch(r"\d+/\d+", load[3]) and int(load[4]) < 10
    assert lines[2] == "umlpy"
    assert lines[3] == "4194304"
    assert int(lines[4]) >= 1
    assert lines[5].startswith("MemTotal:")
    assert "nodev\tproc" in text and "nodev\toverlay" in text
    assert "Linux version" in text


def test_hostname_is_the_sandboxes():
    with Sandbox(hostname="box1") as sb:
        assert out(sb, "cat /proc/sys/kernel/hostname").strip() == "box1"


def test_other_users_cannot_peek(sandbox):
    r = sh(sandbox, "su -s /bin/sh nobody -c 'cat /proc/1/environ; grep CapEff /proc/self/status;"
                    " grep Uid /proc/self/status'; true")
    assert b"Permission denied" in r.stderr
    st = status_of(r.stdout.decode())
    assert st["CapEff"] == "0" * 16
    assert st["Uid"].split() == ["65534"] * 4


def test_read_only(sandbox):
    r = sh(sandbox, "echo x > /proc/uptime; echo rc=$?; echo y > /proc/sys/kernel/ostype; echo rc=$?")
    assert r.stdout.split() == [b"rc=1", b"rc=1"]


def test_hostname_sysctl_is_writable_by_root(sandbox):
    """/proc/sys/kernel/hostname and domainname: guest root writes them (up to the first
    newline), uname follows, sethostname shows in the file; others may not write."""
    text = out(sandbox, "echo box2 > /proc/sys/kernel/hostname; uname -n; hostname box3; "
                        "cat /proc/sys/kernel/hostname; printf 'dom\\nx' > /proc/sys/kernel/domainname; "
                        "cat /proc/sys/kernel/domainname; cat /proc/sys/kernel/tainted; "
                        "su -s /bin/sh nobody -c 'echo no > /proc/sys/kernel/hostname'; echo rc=$?; hostname")
    assert text.split() == ["box2", "box3", "dom", "0", "rc=1", "box3"]


# --------------------------------------------------------- threads
THREADS_C = r"""
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static void *run(void *a) { (void)a; sleep(3); return 0; }
int main(void) {
    pthread_t t;
    pthread_create(&t, 0, run, 0);
    pthread_setname_np(t, "worker");     /* writes /proc/self/task/TID/comm */
    char cmd[200];
    snprintf(cmd, sizeof cmd, "ls /proc/%d/task; cat /proc/%d/task/*/comm; "
             "grep Threads /proc/%d/status", getpid(), getpid(), getpid());
    fflush(stdout);
    return system(cmd);
}
"""


def test_threads_in_task_dir(tmp_path):
    (tmp_path / "t.c").write_text(THREADS_C)
    subprocess.run(["gcc", "-O", "-static", "-pthread", "-o", str(tmp_path / "t"),
                    str(tmp_path / "t.c")], check=True)
    with Sandbox(mounts=[f"{tmp_path}:/mnt:ro"]) as sb:
        r = sb.run(["/mnt/t"], timeout=10)
    text = r.stdout.decode()
    tids = text.split()[:2]
    assert tids == ["1", "2"]
    assert "t\nworker\n" in text
    assert "Threads:\t2" in text


def test_proc_net_is_the_sandbox_network(sandbox):
    """/proc/net shows the guest's own network namespace: loopback only."""
    host_ifaces = set(os.listdir("/sys/class/net")) - {"lo"}
    text = out(sandbox, "cat /proc/net/dev; echo ==; ls /proc/self/net; echo ==; ifconfig -a")
    dev, listing, ifconfig = text.split("==\n")
    names = {l.split(":")[0].strip() for l in dev.splitlines()[2:]}
    assert names == {"lo"}
    assert "dev" in listing.split() and "tcp" in listing.split()
    assert "127.0.0.1" in ifconfig
    assert not any(i in ifconfig for i in host_ifaces)
