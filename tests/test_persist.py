"""The `--persist` directory (umlpy/fsimpl/persist.py and the overlay's metadata).

Bad input is one `umlpy: error:` line and exit status 2: a file instead of a
directory, a corrupt overlay.json, a directory another sandbox holds (the
line names the holder).  The directory is created 0700.  What survives a
killed supervisor: a copy-up interrupted half-way leaves the rootfs file
showing and nothing behind; deletes and renames are on disk when the guest's
call returns; ownership follows renames, also across a crash between the
rename and its record.  tests/test_persist_crash.py kills at random points.
"""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from umlpy import Sandbox
from umlpy.api import ConfigError

REPO = Path(__file__).resolve().parent.parent


def umlpy_run(rootfs: Path, persist: Path | str, *cmd: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs),
                           "--persist", str(persist), "--", *cmd],
                          check=False, capture_output=True, text=True, timeout=timeout, cwd=REPO)


def start(rootfs: Path, persist: Path, *cmd: str) -> subprocess.Popen:
    """`umlpy run` in the background; its stdin is a pipe the test holds open."""
    return subprocess.Popen([sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs),
                             "--persist", str(persist), "--", *cmd], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)


def one_error_line(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("umlpy: error: "), r.stderr
    assert "Traceback" not in r.stderr
    return lines[0]


# ------------------------------------------------------------- bad input
def test_persist_on_a_file_is_one_error_line(rootfs, tmp_path):
    f = tmp_path / "afile"
    f.write_text("not a directory\n")
    line = one_error_line(umlpy_run(rootfs, f, "true"))
    assert str(f) in line and "not a directory" in line
    assert f.read_text() == "not a directory\n"
    # under a file: cannot be created
    line = one_error_line(umlpy_run(rootfs, f / "sub", "true"))
    assert "cannot create" in line


def test_an_empty_persist_path_is_one_error_line(rootfs, tmp_path):
    line = one_error_line(umlpy_run(rootfs, "", "true"))
    assert line == "umlpy: error: bad --persist '': expected a directory"


@pytest.mark.parametrize("content", [b"{bad json", b"\xff\xfe\x00", b"[1, 2]", b'{"whiteouts": 5}',
                                     b'{"attrs": {"/etc/x": [1]}}', b'{"attrs": {"/etc/x": [1, "2", 0]}}', b""])
def test_a_corrupt_overlay_json_is_one_error_line_and_left_alone(rootfs, tmp_path, content):
    persist = tmp_path / "p"
    persist.mkdir()
    (persist / "overlay.json").write_bytes(content)
    line = one_error_line(umlpy_run(rootfs, persist, "cat", "/etc/hostname"))
    assert "overlay.json is corrupt" in line and str(persist) in line
    assert (persist / "overlay.json").read_bytes() == content


def test_upper_that_is_a_file_is_one_error_line(rootfs, tmp_path):
    persist = tmp_path / "p"
    persist.mkdir()
    (persist / "upper").write_text("x")
    line = one_error_line(umlpy_run(rootfs, persist, "true"))
    assert "upper in it is not a directory" in line


def test_the_python_api_raises_config_error(rootfs, tmp_path):
    f = tmp_path / "afile"
    f.write_text("")
    with Sandbox(rootfs=rootfs, persist=f) as sb, pytest.raises(ConfigError, match="not a directory"):
        sb.run(["true"])


# ------------------------------------------------------- mode and layout
def test_persist_dir_is_created_0700_and_upper_looks_like_the_rootfs_root(rootfs, tmp_path):
    persist = tmp_path / "a" / "b"
    r = umlpy_run(rootfs, persist, "stat", "-c", "%a", "/")
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(persist.stat().st_mode) == 0o700
    assert stat.S_IMODE((persist / "work").stat().st_mode) == 0o700
    root_mode = stat.S_IMODE(rootfs.stat().st_mode)
    assert stat.S_IMODE((persist / "upper").stat().st_mode) == root_mode
    assert r.stdout == f"{root_mode:o}\n"            # what the guest sees as "/"
    assert sorted(os.listdir(persist)) == ["lock", "upper", "work"]


def test_leftovers_in_work_are_removed_and_never_seen(rootfs, tmp_path):
    persist = tmp_path / "p"
    assert umlpy_run(rootfs, persist, "true").returncode == 0
    (persist / "work" / "copyup.1.1").write_bytes(b"half a copy")
    (persist / "work" / "copyup.1.2").mkdir()
    r = umlpy_run(rootfs, persist, "sh", "-c", "ls -a / /etc | grep -c copyup; true")
    assert r.stdout == "0\n"
    assert os.listdir(persist / "work") == []


# ------------------------------------------------------------------ lock
def test_a_second_sandbox_gets_one_line_naming_the_holder(rootfs, tmp_path):
    persist = tmp_path / "p"
    holder = start(rootfs, persist, "sh", "-c", "echo ready; read x")
    try:
        assert holder.stdout.readline() == "ready\n"
        r = umlpy_run(rootfs, persist, "sh", "-c", "rm /etc/profile")
        line = one_error_line(r)
        assert f"--persist {persist} is in use by pid {holder.pid}" in line
        assert "echo ready" in line                   # the holder's command line
        with Sandbox(rootfs=rootfs, persist=persist) as sb, pytest.raises(ConfigError, match="in use"):
            sb.run(["true"])
    finally:
        holder.kill()                                 # SIGKILL: the lock goes with the process
        holder.communicate(timeout=10)
    r = umlpy_run(rootfs, persist, "sh", "-c", "rm /etc/profile; ls /etc/profile")
    assert r.returncode == 1 and "No such file" in r.stderr
    assert "/etc/profile" in json.loads((persist / "overlay.json").read_text())["whiteouts"]


def test_one_sandbox_object_runs_again_after_its_run_ends(rootfs, tmp_path):
    with Sandbox(rootfs=rootfs, persist=tmp_path / "p") as sb:
        assert sb.run(["sh", "-c", "echo 1 > /root/n"]).returncode == 0
        r = sb.run(["sh", "-c", "cat /root/n"], text=True)
    assert r.stdout == "1\n"


# ------------------------------------------------------------ durability
def big_rootfs(tmp_path: Path, size: int) -> Path:
    """A tiny rootfs: busybox and /big, `size` bytes of a pattern ending in END."""
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "busybox").write_bytes(Path("/bin/busybox").read_bytes())
    os.chmod(root / "bin" / "busybox", 0o755)
    for name in ("sh", "cat", "wc", "ls", "tail", "echo"):
        os.symlink("busybox", root / "bin" / name)
    unit = b"0123456789abcdef" * 4096
    with open(root / "big", "wb") as f:
        f.writelines(unit for _ in range(size // len(unit)))
        f.write(b"END")
    return root


def test_a_copy_up_killed_half_way_leaves_the_rootfs_file(tmp_path):
    size = 96 << 20
    root = big_rootfs(tmp_path, size)
    persist = tmp_path / "p"
    p = start(root, persist, "sh", "-c", "echo more >> /big; echo appended")
    work = persist / "work"
    seen = []
    deadline = time.monotonic() + 30
    while not seen and time.monotonic() < deadline and p.poll() is None:
        seen = [n for n in (os.listdir(work) if work.is_dir() else []) if n.startswith("copyup.")]
    os.kill(p.pid, signal.SIGKILL)
    out, _ = p.communicate(timeout=10)
    assert seen, "the copy-up was never seen in work/"
    assert out == ""                                     # the append never completed
    assert not (persist / "upper" / "big").exists()      # no piece of a copy in upper/
    r = umlpy_run(root, persist, "sh", "-c", "wc -c < /big; tail -c 3 /big; echo; ls /big")
    assert r.stdout == f"{size + 3}\nEND\n/big\n", r.stderr
    assert os.listdir(work) == []


def test_deletes_and_renames_are_on_disk_when_the_call_returns(rootfs, tmp_path):
    persist = tmp_path / "p"
    p = start(rootfs, persist, "sh", "-c", "rm /etc/profile && mv /etc/hostname /etc/h2 && "
                                           "chown 7:8 /etc/h2 && echo done && read x")
    try:
        assert p.stdout.readline() == "done\n"
        # the guest is still running: what a SIGKILL now would leave
        data = json.loads((persist / "overlay.json").read_text())
        assert {"/etc/profile", "/etc/hostname"} <= set(data["whiteouts"])
        assert data["attrs"]["/etc/h2"][:2] == [7, 8]
        assert (persist / "upper" / "etc" / "h2").is_file()
    finally:
        p.kill()
        p.communicate(timeout=10)
    r = umlpy_run(rootfs, persist, "sh", "-c", "ls /etc/profile /etc/hostname; stat -c '%u:%g' /etc/h2")
    assert r.stdout == "7:8\n"
    assert r.stderr.count("No such file") == 2


# ------------------------------------------------------------- ownership
def test_owners_follow_renames_and_do_not_outlive_their_file(rootfs, tmp_path):
    persist = tmp_path / "p"
    r = umlpy_run(rootfs, persist, "sh", "-c", """
        mkdir -p /srv/d && echo a > /srv/d/a && echo b > /srv/b && echo c > /srv/c
        chown 11:12 /srv/d/a && chown 13:14 /srv/b && chown 15:16 /srv/c
        mv /srv/d /srv/e                # a directory: its child's owner moves with it
        mv /srv/c /srv/b                # over an owned file: the target's owner goes
        echo x > /srv/new && mv /srv/new /srv/c   # a new file where an owned one was
        rm /etc/hostname && echo y > /etc/hostname   # a rootfs name deleted and made again
    """)
    assert r.returncode == 0, r.stderr
    r = umlpy_run(rootfs, persist, "stat", "-c", "%n %u:%g", "/srv/e/a", "/srv/b", "/srv/c", "/etc/hostname")
    assert r.stdout.splitlines() == ["/srv/e/a 11:12", "/srv/b 15:16", "/srv/c 0:0", "/etc/hostname 0:0"]


@pytest.mark.parametrize("done", [True, False])
def test_a_rename_cut_short_by_a_crash_is_resolved_on_the_next_start(rootfs, tmp_path, done):
    """overlay.json as a kill between the host rename and the record after it leaves it."""
    persist = tmp_path / "p"
    assert umlpy_run(rootfs, persist, "sh", "-c", "echo v > /root/old && chown 21:22 /root/old").returncode == 0
    upper = persist / "upper" / "root"
    data = json.loads((persist / "overlay.json").read_text())
    data["pending"] = {"rename": ["/root/old", "/root/new"], "ino": (upper / "old").stat().st_ino}
    (persist / "overlay.json").write_text(json.dumps(data))
    if done:
        os.rename(upper / "old", upper / "new")
    r = umlpy_run(rootfs, persist, "sh", "-c", "cd /root && stat -c '%n %u:%g' old new 2>/dev/null; true")
    assert r.stdout == ("new 21:22\n" if done else "old 21:22\n")
    data = json.loads((persist / "overlay.json").read_text())
    assert "pending" not in data
    assert data["attrs"] == {"/root/new" if done else "/root/old": [21, 22, 0]}


def test_a_rootfs_directory_deleted_and_made_again_stays_empty_across_runs(rootfs, tmp_path):
    persist = tmp_path / "p"
    r = umlpy_run(rootfs, persist, "sh", "-c", "rm -r /etc && mkdir /etc && echo mine > /etc/only")
    assert r.returncode == 0, r.stderr
    r = umlpy_run(rootfs, persist, "ls", "-a", "/etc")
    assert r.stdout.split() == [".", "..", "only"]
    r = umlpy_run(rootfs, persist, "sh", "-c", "rm -r /etc; ls -d /etc")
    assert r.returncode == 1 and "No such file" in r.stderr
    assert (rootfs / "etc" / "hostname").exists()
