"""UTS and mount namespaces inside the sandbox, and the sandbox's own system figures.

Guest root makes new UTS and mount namespaces on the guest kernel's own
tables (kernel/namespaces.py, syscalls/namespace.py): util-linux's unshare
and nsenter from the Debian rootfs, busybox's unshare in the default one.
What the tests assert is what the guest printed: a hostname set in a new UTS
namespace is not the parent's, a tmpfs mounted in a new mount namespace is
not in the parent's, /proc/PID/ns links are equal exactly for processes that
share a namespace, and the guest's /proc/meminfo and sysinfo(2) show the
sandbox's memory limit (kernel/figures.py).
"""
from __future__ import annotations

import os
import re
import subprocess

import pytest

from conftest import debian_rootfs
from umlpy import Sandbox


def sh(sb: Sandbox, script: str, timeout: float = 20) -> subprocess.CompletedProcess:
    return sb.run(["sh", "-c", script], timeout=timeout)


def out(sb: Sandbox, script: str) -> str:
    r = sh(sb, script)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    return r.stdout.decode()


@pytest.fixture(scope="module")
def busybox():
    with Sandbox(hostname="box") as sb:
        yield sb


@pytest.fixture(scope="module")
def debian():
    with Sandbox(rootfs=debian_rootfs("unshare", "nsenter"), hostname="box") as sb:
        yield sb


# ------------------------------------------------------------------ UTS
def test_unshare_uts_busybox(busybox):
    text = out(busybox, "unshare -u sh -c 'hostname inner; hostname; uname -n; "
                        "cat /proc/sys/kernel/hostname'; hostname")
    assert text.split() == ["inner"] * 3 + ["box"]


def test_unshare_uts_util_linux(debian):
    text = out(debian, "unshare -u sh -c 'hostname x; hostname'; hostname")
    assert text.split() == ["x", "box"]


def test_nsenter_joins_a_uts_namespace(debian):
    """nsenter opens /proc/PID/ns/uts and calls setns(2) with it."""
    text = out(debian, "unshare -u sh -c 'hostname other; sleep 3' & sleep 0.5; "
                       "nsenter -t $! -u hostname; hostname; kill $!")
    assert text.split() == ["other", "box"]


def test_unprivileged_unshare_is_eperm(debian):
    r = sh(debian, "su -s /bin/sh nobody -c 'unshare -u true'; echo rc=$?")
    assert b"rc=1" in r.stdout and b"Operation not permitted" in r.stderr


def test_other_namespace_kinds_are_refused(debian):
    """(IPC namespaces are made: tests/test_ipc_namespaces.py.)"""
    r = sh(debian, "unshare -n true; echo rc=$?; unshare -p -f true; echo rc=$?")
    assert r.stdout.split() == [b"rc=1"] * 2
    assert r.stderr.count(b"Operation not permitted") == 2


# ---------------------------------------------------------------- mount
def test_unshare_mount_util_linux(debian):
    text = out(debian, """
        unshare -m sh -c 'mount -t tmpfs t /mnt && touch /mnt/inside && ls /mnt &&
                          grep -c " /mnt " /proc/self/mounts'
        ls /mnt | wc -l; grep -c " /mnt " /proc/self/mounts; true""")
    assert text.split() == ["inside", "1", "0", "0"]


def test_nsenter_joins_a_mount_namespace(debian):
    """nsenter -m: setns(2) with /proc/PID/ns/mnt; the caller then sees that namespace's mounts."""
    text = out(debian, "unshare -m sh -c 'mount -t tmpfs t /mnt && touch /mnt/z && sleep 3' & sleep 0.5; "
                       "nsenter -t $! -m ls /mnt; ls /mnt | wc -l; kill $!")
    assert text.split() == ["z", "0"]


# ------------------------------------------------------------------ pivot_root: bubblewrap
@pytest.fixture(scope="module")
def bwrap_box():
    with Sandbox(rootfs=debian_rootfs("bwrap"), hostname="box") as sb:
        yield sb


def test_bwrap_as_root_binds_the_root_with_its_own_dev_proc_tmp(bwrap_box):
    """bubblewrap as guest root (no user namespace): a new mount namespace, a tmpfs it
    pivot_roots into, binds from the old root, devtmpfs-like /dev with devpts, a new
    /proc, then pivot_root(".", ".") and umount2(".", MNT_DETACH).  Its /tmp is its
    own; the sandbox's is unchanged afterwards."""
    text = out(bwrap_box, "bwrap --bind / / --dev /dev --proc /proc --tmpfs /tmp -- "
                          "sh -c 'echo hi; ls /tmp; touch /tmp/inside; ls /tmp; ls /dev/pts; "
                          "test -c /dev/null && echo null'; "
                          "test -e /tmp/inside && echo leaked; echo done")
    assert text.split() == ["hi", "inside", "ptmx", "null", "done"]


def test_bwrap_minimal_root(bwrap_box):
    """A root made of a read-only bind of /usr, symlinks, /proc and /dev only."""
    text = out(bwrap_box, "bwrap --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib64 /lib64 "
                          "--symlink usr/lib /lib --proc /proc --dev /dev -- "
                          "/bin/sh -c 'ls /; touch /usr/x 2>/dev/null || echo ro; readlink /bin'")
    assert text.split() == ["bin", "dev", "lib", "lib64", "proc", "usr", "ro", "usr/bin"]


def test_bwrap_cap_drop_all_holds_across_exec(bwrap_box):
    """bwrap --cap-drop ALL as root: capset to nothing, no_new_privs, exec; under
    no_new_privs root's exec gains nothing back (kernel/creds.py), so mount is EPERM."""
    text = out(bwrap_box, "bwrap --bind / / --proc /proc --cap-drop ALL -- "
                          "sh -c 'grep -E \"CapPrm|CapEff\" /proc/self/status; "
                          "mount -t tmpfs t /mnt 2>/dev/null || echo refused'")
    assert text.split() == ["CapPrm:", "0000000000000000", "CapEff:", "0000000000000000", "refused"]


def test_rbind_brings_the_mounts_below(bwrap_box):
    """MS_BIND|MS_REC (mount --rbind, bwrap --bind): the mounts below the source come
    along; a lazy umount takes them all away again."""
    text = out(bwrap_box, "unshare -m sh -c 'mkdir -p /srv/a; mount --rbind / /srv/a; "
                          "test -e /srv/a/proc/self/status && echo proc; test -c /srv/a/dev/null && echo dev; "
                          "umount -l /srv/a; grep -c \" /srv/a\" /proc/self/mounts'; "
                          "bwrap --bind / / -- sh -c 'test -e /proc/self/status && echo inner'")
    assert text.split() == ["proc", "dev", "0", "inner"]


def test_a_bound_file_outlives_its_name(bwrap_box):
    """A bind mount of a file binds the file, not its name: bwrap --ro-bind-data binds
    a temporary file and unlinks it; mount --bind of a file that is then removed."""
    text = out(bwrap_box, "echo data > /tmp/d; "
                          "bwrap --bind / / --ro-bind-data 5 /mnt/g -- sh -c 'cat /mnt/g; "
                          "echo x 2>/dev/null >> /mnt/g || echo ro' 5</tmp/d; "
                          "echo plain > /tmp/p; touch /tmp/q; unshare -m sh -c "
                          "'mount --bind /tmp/p /tmp/q; rm /tmp/p; cat /tmp/q; stat -c %h /tmp/q; "
                          "umount /tmp/q; wc -c < /tmp/q'; rm /tmp/q /tmp/d")
    assert text.split() == ["data", "ro", "plain", "0", "0"]


def test_unshare_mount_busybox_umount_stays_inside(busybox):
    """An umount in the new namespace leaves the parent's mount where it was."""
    text = out(busybox, "unshare -m sh -c 'umount /tmp && grep -c \" /tmp \" /proc/mounts'; "
                        "grep -c ' /tmp ' /proc/mounts; true")
    assert text.split() == ["0", "1"]


def test_ns_links(busybox):
    """Equal ids for processes sharing a namespace; a new one after unshare; stat's inode is the id."""
    text = out(busybox, "readlink /proc/self/ns/uts; readlink /proc/$$/ns/uts; unshare -u readlink /proc/self/ns/uts; "
                        "readlink /proc/self/ns/mnt; unshare -m readlink /proc/self/ns/mnt; "
                        "stat -L -c %i /proc/$$/ns/uts; ls /proc/self/ns | tr '\\n' ' '")
    lines = text.splitlines()
    uts1, uts2, uts3, mnt1, mnt2, ino, kinds = lines
    assert uts1 == uts2 and re.fullmatch(r"uts:\[\d+\]", uts1)
    assert uts3 != uts1 and uts3.startswith("uts:[")
    assert mnt1 != mnt2 and mnt1.startswith("mnt:[")
    assert ino == uts1[5:-1]
    assert kinds.split() == ["cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time",
                             "time_for_children", "user", "uts"]


# ------------------------------------------------------- system figures
def test_meminfo_and_sysinfo_show_the_memory_limit():
    with Sandbox(limits={"memory": "256M"}) as sb:
        text = out(sb, "grep MemTotal /proc/meminfo; free | sed -n 2p; grep -c . /proc/loadavg")
    lines = text.splitlines()
    assert lines[0].split() == ["MemTotal:", "262144", "kB"]
    assert lines[1].split()[1] == "262144"           # busybox free reads sysinfo(2)
    assert lines[2] == "1"


def test_loadavg_names_the_guests_last_pid(busybox):
    """The last field is the pid handed out last, even when that process is gone."""
    text = out(busybox, "sh -c 'echo $$'; read l < /proc/loadavg; echo $l")
    gone, fields = text.splitlines()
    running, total = fields.split()[3].split("/")
    assert 1 <= int(running) <= int(total)
    assert fields.split()[4] == gone


def test_cpus_and_uptime_are_the_sandboxes(busybox):
    """/proc/cpuinfo and /proc/stat list the CPUs the sandbox may use (by host number);
    /proc/uptime counts from the sandbox's start."""
    allowed = sorted(os.sched_getaffinity(0))
    text = out(busybox, "grep ^processor /proc/cpuinfo | tr -d ' \\t'; grep -o '^cpu[0-9]*' /proc/stat; "
                        "cut -d' ' -f1 /proc/uptime")
    lines = text.split()
    assert [l for l in lines if l.startswith("processor")] == [f"processor:{n}" for n in allowed]
    assert [l for l in lines if l.startswith("cpu")] == ["cpu"] + [f"cpu{n}" for n in allowed]
    assert 0 <= float(lines[-1]) < 60
