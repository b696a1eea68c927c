"""`umlpy check`: the host features umlpy needs, probed, and the mode it will run in.

As the command line runs it (`python -m umlpy check [--json]` in a subprocess): one
line per feature with present/missing, a summary line, status 0 here (root); the
JSON object has the same.  In-process (umlpy.check): the fsopen, seccomp, pidfd and
ptrace probes agree with what this root machine can do; a probe forced missing (a
monkeypatched probe function) gives the right summary and status 1 when the
feature is one umlpy needs, and only a note when it is not; checking changes no
host setting, mount, cgroup or /dev/shm entry.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from umlpy import check

REPO = Path(__file__).resolve().parent.parent
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="this machine's tests run as root")
FEATURES = ["kernel", "root", "seccomp listener", "pidfd_getfd", "ptrace", "netns+chroot",
            "user namespaces", "fsopen tmpfs", "cgroup memory", "cgroup pids", "cgroup cpu",
            "pasta", "slirp4netns", "runsc", "proot"]


def umlpy_check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "umlpy", "check", *args], check=False,
                          capture_output=True, text=True, timeout=30, cwd=REPO)


def in_process(as_json: bool = False) -> tuple[int, str]:
    out = io.StringIO()
    return check.main(as_json=as_json, out=out), out.getvalue()


# ---------------------------------------------------------------- the command line

@ROOT_ONLY
def test_check_prints_every_feature_and_exits_0_as_root():
    r = umlpy_check()
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[-1] == "mode: root (full isolation)" or lines[-1].startswith("mode: root (full isolation);")
    by_name = {}
    for line in lines[:-1]:
        name = next(n for n in FEATURES if line.startswith(n + " "))
        state = line[len(name):].split()[0]
        assert state in ("present", "missing"), line
        by_name[name] = state
    assert list(by_name) == FEATURES
    for name in ("root", "seccomp listener", "pidfd_getfd", "ptrace", "netns+chroot", "fsopen tmpfs"):
        assert by_name[name] == "present", r.stdout
    assert r.stderr == ""


@ROOT_ONLY
def test_check_json_has_the_same():
    r = umlpy_check("--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert set(d) >= {"features", "kernel", "root", "mode", "can_run", "summary"}
    assert d["root"] is True and d["can_run"] is True and d["mode"] == "root"
    assert d["summary"].startswith("mode: root (full isolation)")
    assert list(d["features"]) == FEATURES
    for f in d["features"].values():
        assert set(f) == {"present", "detail", "needed_by", "control"}
        assert isinstance(f["present"], bool)
    assert d["kernel"].split()[1] == os.uname().release
    assert d["features"]["seccomp listener"]["needed_by"] == ["root", "rootless"]


def test_check_takes_no_other_argument():
    r = umlpy_check("--frobnicate")
    assert r.returncode == 2 and r.stderr.startswith("umlpy: error:") and r.stdout == ""


def test_check_is_fast():
    start = time.monotonic()
    check.check()
    assert time.monotonic() - start < 1.0


# ---------------------------------------------------------------- the probes agree with reality

@ROOT_ONLY
def test_fsopen_probe_agrees_with_detached_tmpfs():
    from umlpy.platform import host
    fd = host.detached_tmpfs(1 << 20)          # root here: the real thing works ...
    os.close(fd)
    f = check.probe_fsopen()                   # ... and the probe says so
    assert f.present and f.name == "fsopen tmpfs"


@ROOT_ONLY
def test_seccomp_probe_agrees_with_the_kernel():
    with open("/proc/sys/kernel/seccomp/actions_avail") as fh:
        assert "user_notif" in fh.read().split()
    major, minor = (int(x) for x in os.uname().release.split(".")[:2])
    assert (major, minor) >= (5, 19)           # SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, as spawn.c uses
    f = check.probe_seccomp()
    assert f.present, f.detail
    # The probe offered flags with no filter: nothing was installed on us.
    with open("/proc/self/status") as fh:
        assert "Seccomp:\t0" in fh.read()


@ROOT_ONLY
def test_pidfd_ptrace_and_namespace_probes_agree():
    assert check.probe_pidfd().present
    assert check.probe_ptrace().present
    assert check.probe_netns().present
    userns = check.probe_userns()
    assert "as root: ok" in userns.detail and "as nobody:" in userns.detail


def test_a_failing_probe_step_is_reported_not_raised(monkeypatch):
    monkeypatch.setattr(check, "_unshare", lambda flags: 1)            # EPERM
    f = check.probe_netns()
    assert not f.present and "EPERM" in f.detail and f.control


def test_cgroup_probe_uses_the_discovery_of_platform_cgroup():
    from umlpy.platform import cgroup
    use, missing = cgroup.plan(cgroup.hierarchies(), set(cgroup.RESOURCES))
    found = {f.name: f for f in check.probe_cgroups()}
    assert set(found) == {f"cgroup {r}" for r in cgroup.RESOURCES}
    for r in cgroup.RESOURCES:
        if r in missing:
            assert not found[f"cgroup {r}"].present
        else:
            assert f"cgroup v{use[r].version}" in found[f"cgroup {r}"].detail


# ---------------------------------------------------------------- the verdict

def missing(name: str, needed_by: tuple[str, ...], control: str = "sysctl x.y=1"):
    return lambda: check.Feature(name, False, "forced missing by the test", needed_by, control)


@ROOT_ONLY
@pytest.mark.parametrize("probe, name, control", [
    ("probe_seccomp", "seccomp listener", "/proc/sys/kernel/seccomp/actions_avail"),
    ("probe_pidfd", "pidfd_getfd", ""),
    ("probe_ptrace", "ptrace", "kernel.yama.ptrace_scope at most 1"),
    ("probe_netns", "netns+chroot", ""),
])
def test_a_missing_required_feature_means_cannot_run(monkeypatch, probe, name, control):
    monkeypatch.setattr(check, probe, missing(name, (check.ROOT, check.ROOTLESS), control))
    status, out = in_process()
    assert status == 1
    want = f"cannot run: {name}" + (f" ({control})" if control else "")
    assert out.splitlines()[-1] == want
    assert any(line.startswith(name) and " missing " in line for line in out.splitlines())
    status, out = in_process(as_json=True)
    d = json.loads(out)
    assert status == 1 and d["can_run"] is False and d["mode"] == "" and d["summary"] == want
    assert d["features"][name]["present"] is False


@ROOT_ONLY
def test_two_missing_features_are_both_named(monkeypatch):
    monkeypatch.setattr(check, "probe_seccomp", missing("seccomp listener", (check.ROOT,), "s=1"))
    monkeypatch.setattr(check, "probe_ptrace", missing("ptrace", (check.ROOT,), "p=1"))
    status, out = in_process()
    assert status == 1 and out.splitlines()[-1] == "cannot run: seccomp listener (s=1), ptrace (p=1)"


@ROOT_ONLY
def test_a_missing_optional_feature_only_notes_it(monkeypatch):
    monkeypatch.setattr(check, "probe_fsopen", missing("fsopen tmpfs", ()))
    monkeypatch.setattr(check, "probe_userns", missing("user namespaces", (check.ROOTLESS,)))
    monkeypatch.setattr(check, "probe_tools", lambda: [missing("pasta", ())()])
    status, out = in_process()
    assert status == 0
    last = out.splitlines()[-1]
    assert last.startswith("mode: root (full isolation); without fsopen tmpfs")


def test_not_root_runs_rootless_or_says_what_it_lacks(monkeypatch):
    monkeypatch.setattr(check.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(check, "probe_root",
                        lambda: check.Feature("root", False, "euid 1000", (check.ROOT,)))
    monkeypatch.setattr(check, "probe_netns", missing("netns+chroot", (check.ROOT,)))
    monkeypatch.setattr(check, "probe_userns", missing(
        "user namespaces", (check.ROOTLESS,), "kernel.unprivileged_userns_clone=1"))
    status, out = in_process()
    assert status == 1
    assert out.splitlines()[-1] == (
        "cannot run: rootless mode needs user namespaces (kernel.unprivileged_userns_clone=1)")
    monkeypatch.setattr(check, "probe_userns", lambda: check.Feature("user namespaces", True, "ok",
                                                                     (check.ROOTLESS,)))
    status, out = in_process()
    assert status == 0 and out.splitlines()[-1].startswith(
        "mode: rootless (a user namespace of the guest's own; the guest runs as your uid)"), out


# ---------------------------------------------------------------- no host change

def test_check_changes_no_sysctl_and_leaves_no_child(progs):
    sysctls = ["/proc/sys/kernel/yama/ptrace_scope", "/proc/sys/user/max_user_namespaces",
               "/proc/sys/kernel/unprivileged_userns_clone",
               "/proc/sys/kernel/apparmor_restrict_unprivileged_userns"]

    def read() -> dict[str, str | None]:
        out = {}
        for p in sysctls:
            try:
                out[p] = Path(p).read_text()
            except OSError:
                out[p] = None
        return out
    sys.path.insert(0, str(REPO / "tests"))
    from security.hostcheck import HostState
    before, state = read(), HostState.take(progs)
    with open("/proc/self/mountinfo") as fh:
        mounts = fh.read()
    check.check()
    assert read() == before
    assert state.changes() == []
    with open("/proc/self/mountinfo") as fh:
        assert fh.read() == mounts
    children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
    assert children == []
