"""`umlpy rootfs import|ls|rm` and `umlpy run --rootfs NAME`: container images into the store.

Images are made here with tarfile from the session's test rootfs (no network, no
podman): a docker-export tar, a docker-save archive of two layers (the second
whites out a file and makes a directory opaque) with an image config, and an OCI
layout directory.  Unsafe members (``../evil``, ``/etc/x``, a member through a
symlink) and truncated archives are refused with one error line and status 2,
leaving nothing behind.  The store is a temporary $UMLPY_HOME.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

CONFIG = {"architecture": "amd64", "os": "linux", "config": {
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hi"],
    "WorkingDir": "/app",
    "Entrypoint": ["sh", "-c"],
    "Cmd": ["echo $GREETING from $(pwd); cat hello.txt"],
}}


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def umlpy(home):
    def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k != "UMLPY_ROOTFS"}
        env["UMLPY_HOME"] = str(home)
        return subprocess.run([sys.executable, "-m", "umlpy", *args], check=False, capture_output=True,
                              text=True, timeout=timeout, cwd=REPO, env=env)
    return run


def _add(tar: tarfile.TarFile, name: str, data: bytes | None = None, *, kind: bytes = tarfile.REGTYPE,
         linkname: str = "", mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, linkname, mode
    info.size = len(data) if data is not None else 0
    tar.addfile(info, io.BytesIO(data) if data is not None else None)


def _tar_bytes(fill, compress: bool = False) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        fill(tar)
    raw = buf.getvalue()
    return gzip.compress(raw, compresslevel=1) if compress else raw


def _layer1(rootfs: Path):
    def fill(tar: tarfile.TarFile) -> None:
        tar.add(rootfs, arcname=".")
        _add(tar, "etc/gone.txt", b"whited out\n")
        _add(tar, "opq", kind=tarfile.DIRTYPE, mode=0o755)
        _add(tar, "opq/lower.txt", b"lower\n")
        _add(tar, "bin/suid", b"#!/bin/sh\n", mode=0o4755)
    return fill


def _layer2(tar: tarfile.TarFile) -> None:
    _add(tar, "etc/.wh.gone.txt")
    _add(tar, "opq/upper.txt", b"upper\n")        # before the opaque marker: still kept
    _add(tar, "opq/.wh..wh..opq")
    _add(tar, "app", kind=tarfile.DIRTYPE, mode=0o755)
    _add(tar, "app/hello.txt", b"hello from layer 2\n")


@pytest.fixture(scope="module")
def export_tar(rootfs, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("img") / "export.tar.gz"
    path.write_bytes(_tar_bytes(_layer1(rootfs), compress=True))
    return path


@pytest.fixture(scope="module")
def save_tar(rootfs, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("img") / "save.tar"
    config = json.dumps(CONFIG).encode()
    layers = [_tar_bytes(_layer1(rootfs)), _tar_bytes(_layer2)]

    def fill(tar: tarfile.TarFile) -> None:
        _add(tar, "cfg.json", config)
        for i, data in enumerate(layers):
            _add(tar, f"l{i}", kind=tarfile.DIRTYPE, mode=0o755)
            _add(tar, f"l{i}/layer.tar", data)
        _add(tar, "manifest.json", json.dumps([{"Config": "cfg.json", "RepoTags": ["t:1"],
                                                "Layers": ["l0/layer.tar", "l1/layer.tar"]}]).encode())
    path.write_bytes(_tar_bytes(fill))
    return path


@pytest.fixture(scope="module")
def oci_dir(rootfs, tmp_path_factory) -> Path:
    top = tmp_path_factory.mktemp("img") / "oci"
    (top / "blobs" / "sha256").mkdir(parents=True)

    def blob(data: bytes, media: str) -> dict:
        digest = hashlib.sha256(data).hexdigest()
        (top / "blobs" / "sha256" / digest).write_bytes(data)
        return {"mediaType": media, "digest": f"sha256:{digest}", "size": len(data)}
    layers = [blob(_tar_bytes(_layer1(rootfs), compress=True), "application/vnd.oci.image.layer.v1.tar+gzip"),
              blob(_tar_bytes(_layer2), "application/vnd.oci.image.layer.v1.tar")]
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": blob(json.dumps(CONFIG).encode(), "application/vnd.oci.image.config.v1+json"),
                "layers": layers}
    desc = blob(json.dumps(manifest).encode(), "application/vnd.oci.image.manifest.v1+json")
    (top / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [desc]}))
    (top / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return top


def _leftovers(home: Path) -> list[str]:
    top = home / "rootfs"
    return sorted(n for n in os.listdir(top)) if top.is_dir() else []


# ----------------------------------------------------------------- imports ---

def test_docker_export_tar_imports_and_runs(umlpy, home, export_tar):
    r = umlpy("rootfs", "import", "plain", str(export_tar))
    assert r.returncode == 0, r.stderr
    assert "plain" in r.stdout
    tree = home / "rootfs" / "plain"
    assert (tree / "etc" / "gone.txt").read_text() == "whited out\n"
    assert (tree / "bin" / "suid").stat().st_mode & 0o7777 == 0o755      # no set-uid
    assert not (tree / "plain.json").exists()                         # config beside, not inside
    meta = json.loads((home / "rootfs" / "plain.json").read_text())
    assert meta["format"] == "docker-export" and meta["source"] == str(export_tar)
    r = umlpy("run", "--rootfs", "plain", "--", "sh", "-c", "cat /opq/lower.txt /etc/gone.txt")
    assert (r.returncode, r.stdout) == (0, "lower\nwhited out\n"), r.stderr


@pytest.mark.parametrize("form", ["save", "oci"])
def test_layers_whiteouts_and_config(umlpy, home, save_tar, oci_dir, form):
    src = save_tar if form == "save" else oci_dir
    r = umlpy("rootfs", "import", "img", str(src))
    assert r.returncode == 0, r.stderr
    meta = json.loads((home / "rootfs" / "img.json").read_text())
    assert meta["format"] == ("docker-save" if form == "save" else "oci")
    assert meta["config"] == CONFIG["config"]
    r = umlpy("run", "--rootfs", "img", "-w", "/", "--", "sh", "-c",
              "cat /app/hello.txt; ls /opq; test -e /etc/gone.txt || echo gone; echo $GREETING; pwd")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello from layer 2\nupper.txt\ngone\nhi\n/\n"
    # No command: the image's Entrypoint + Cmd, in its WorkingDir, with its Env.
    r = umlpy("run", "--rootfs", "img")
    assert (r.returncode, r.stdout) == (0, "hi from /app\nhello from layer 2\n"), r.stderr
    r = umlpy("run", "--rootfs", "img", "-e", "GREETING=yo", "--", "sh", "-c", "echo $GREETING; pwd")
    assert r.stdout == "yo\n/app\n", r.stderr


def test_oci_layout_as_a_tar(umlpy, home, oci_dir, tmp_path):
    path = tmp_path / "oci.tar"
    with tarfile.open(path, "w") as tar:
        tar.add(oci_dir, arcname=".")
    r = umlpy("rootfs", "import", "ocitar", str(path))
    assert r.returncode == 0, r.stderr
    assert (home / "rootfs" / "ocitar" / "app" / "hello.txt").is_file()
    assert not (home / "rootfs" / "ocitar" / "etc" / "gone.txt").exists()


def test_existing_name_needs_force_then_ls_and_rm(umlpy, home, export_tar, save_tar):
    assert umlpy("rootfs", "import", "x", str(export_tar)).returncode == 0
    r = umlpy("rootfs", "import", "x", str(save_tar))
    assert r.returncode == 2 and r.stderr.startswith("umlpy: error:") and "--force" in r.stderr
    assert (home / "rootfs" / "x" / "etc" / "gone.txt").exists()    # untouched
    r = umlpy("rootfs", "import", "--force", "x", str(save_tar))
    assert r.returncode == 0, r.stderr
    assert not (home / "rootfs" / "x" / "etc" / "gone.txt").exists()
    r = umlpy("rootfs", "ls")
    assert r.returncode == 0, r.stderr
    line = r.stdout.splitlines()[0]
    assert line.startswith("x ") and str(save_tar) in line and "MB" in line
    assert '"WorkingDir"' not in r.stdout and 'WorkingDir: "/app"' in r.stdout
    r = umlpy("rootfs", "rm", "x")
    assert r.returncode == 0, r.stderr
    assert _leftovers(home) == []
    assert umlpy("rootfs", "ls").stdout == ""
    r = umlpy("rootfs", "rm", "x")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "no rootfs" in r.stderr


def test_sandbox_takes_a_store_name(umlpy, home, save_tar, monkeypatch):
    from umlpy import Sandbox
    assert umlpy("rootfs", "import", "img", str(save_tar)).returncode == 0
    monkeypatch.setenv("UMLPY_HOME", str(home))
    with Sandbox(rootfs="img") as sb:
        assert sb.rootfs == home / "rootfs" / "img"
        r = sb.run(["cat", "/app/hello.txt"], text=True)
    assert (r.returncode, r.stdout) == (0, "hello from layer 2\n"), r.stderr


def test_a_directory_rootfs_still_works(umlpy, rootfs):
    r = umlpy("run", "--rootfs", str(rootfs), "--", "sh", "-c", "echo ok")
    assert (r.returncode, r.stdout) == (0, "ok\n"), r.stderr


# ----------------------------------------------------------------- refusals ---

def _sh(tar: tarfile.TarFile) -> None:
    _add(tar, "bin", kind=tarfile.DIRTYPE, mode=0o755)
    _add(tar, "bin/sh", b"#!x\n", mode=0o755)


@pytest.mark.parametrize("evil", ["dotdot", "absolute", "symlink", "hardlink"])
def test_unsafe_members_are_refused(umlpy, home, tmp_path, evil):
    outside = tmp_path / "outside"
    outside.mkdir()

    def fill(tar: tarfile.TarFile) -> None:
        _sh(tar)
        if evil == "dotdot":
            _add(tar, "../../../../../../../../../../" + str(outside / "evil")[1:], b"x")
            _add(tar, "etc/../../evil", b"x")
        elif evil == "absolute":
            _add(tar, str(outside / "x"), b"x")
        elif evil == "symlink":
            _add(tar, "link", kind=tarfile.SYMTYPE, linkname=str(outside))
            _add(tar, "link/evil", b"x")
        else:
            _add(tar, "hl", kind=tarfile.LNKTYPE, linkname="../../../etc/passwd")
    path = tmp_path / "evil.tar"
    path.write_bytes(_tar_bytes(fill))
    r = umlpy("rootfs", "import", "evil", str(path))
    assert r.returncode == 2
    assert r.stderr.startswith("umlpy: error: unsafe member") and r.stderr.count("\n") == 1, r.stderr
    assert os.listdir(outside) == []
    assert _leftovers(home) == []


@pytest.mark.parametrize("compress", [False, True])
def test_truncated_archive_leaves_nothing(umlpy, home, export_tar, tmp_path, compress):
    data = export_tar.read_bytes() if compress else gzip.decompress(export_tar.read_bytes())
    path = tmp_path / "cut.tar"
    path.write_bytes(data[:len(data) // 2 + 100])
    r = umlpy("rootfs", "import", "cut", str(path))
    assert r.returncode == 2
    assert r.stderr.startswith("umlpy: error:") and r.stderr.count("\n") == 1, r.stderr
    assert _leftovers(home) == []


def test_no_bin_sh_and_bad_names(umlpy, home, tmp_path):
    path = tmp_path / "nosh.tar"
    path.write_bytes(_tar_bytes(lambda tar: _add(tar, "etc/hostname", b"x\n")))
    r = umlpy("rootfs", "import", "nosh", str(path))
    assert r.returncode == 2 and "/bin/sh" in r.stderr and r.stderr.count("\n") == 1
    assert _leftovers(home) == []
    for name in ("../up", "a/b", ".hidden", "default"):
        r = umlpy("rootfs", "import", name, str(path))
        assert r.returncode == 2 and r.stderr.count("\n") == 1, (name, r.stderr)
    r = umlpy("rootfs", "import", "x", str(tmp_path / "missing.tar"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1


# ------------------------------------------------- an image podman saved ---

@pytest.fixture
def podman(tmp_path):
    """podman with storage of its own (vfs: no mounts), or a skip saying why it cannot run."""
    import shutil
    import tempfile
    exe = shutil.which("podman")
    if exe is None:
        pytest.skip("podman is not installed (apt-get install podman; .ci/debian-rootfs does)")
    runroot = tempfile.mkdtemp(prefix="umlpy-pm-")        # podman wants it under 50 characters
    base = [exe, "--root", str(tmp_path / "storage"), "--runroot", runroot, "--storage-driver", "vfs"]

    def run(*args: str) -> subprocess.CompletedProcess:
        r = subprocess.run(base + list(args), check=False, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            last = (r.stderr.strip().splitlines() or ["no message"])[-1]
            pytest.skip(f"podman cannot run on this host: `podman {args[0]}` failed: {last}")
        return r
    yield run
    shutil.rmtree(runroot, ignore_errors=True)


@pytest.mark.parametrize("fmt", ["docker-archive", "oci-archive"])
def test_podman_save_archive_imports_and_runs(umlpy, home, tmp_path, podman, fmt):
    """`podman import` of a tarfile-made busybox tree, `podman save`, `umlpy rootfs import`, run."""
    busybox = "/bin/busybox"                      # busybox-static, as install.sh installs it
    src = tmp_path / "busybox.tar"
    with tarfile.open(src, "w") as tar:
        tar.add(busybox, arcname="bin/busybox")
        _add(tar, "bin/sh", kind=tarfile.SYMTYPE, linkname="busybox")
    podman("import", "--change", "ENV=GREETING=from-podman", "--change", "WORKDIR=/bin",
           "--change", 'CMD ["sh", "-c", "echo $GREETING in $(pwd)"]', str(src), "localhost/umlpy-bb:1")
    archive = tmp_path / f"saved-{fmt}.tar"
    podman("save", "--format", fmt, "-o", str(archive), "localhost/umlpy-bb:1")

    r = umlpy("rootfs", "import", "bb", str(archive))
    assert r.returncode == 0, r.stderr
    assert (home / "rootfs" / "bb" / "bin" / "busybox").stat().st_size == os.path.getsize(busybox)
    r = umlpy("run", "--rootfs", "bb", "--", "sh", "-c", "echo hello from $(busybox | head -1 | cut -c1-7)")
    assert (r.returncode, r.stdout) == (0, "hello from BusyBox\n"), r.stderr
    r = umlpy("run", "--rootfs", "bb")                           # the image's Cmd, Env, WorkingDir
    assert (r.returncode, r.stdout) == (0, "from-podman in /bin\n"), r.stderr


# ------------------------------------------------------- umlpy rootfs create ---

def test_create_from_busybox_runs_and_needs_force_to_replace(umlpy, home):
    r = umlpy("rootfs", "create", "bb", "--from", "busybox")
    assert r.returncode == 0, r.stderr
    assert "umlpy: busybox:" in r.stderr and "rootfs bb created (busybox" in r.stdout
    r = umlpy("run", "--rootfs", "bb", "--", "sh", "-c", "echo made by create")
    assert (r.returncode, r.stdout) == (0, "made by create\n"), r.stderr
    r = umlpy("rootfs", "create", "bb", "--from", "host")
    assert r.returncode == 2 and r.stderr == "umlpy: error: rootfs 'bb' already exists (--force replaces it)\n"
    r = umlpy("rootfs", "create", "bb", "--from", "host", "--force")
    assert r.returncode == 0, r.stderr
    r = umlpy("rootfs", "ls")
    assert "umlpy rootfs create --from host" in r.stdout
    assert _leftovers(home) == ["bb", "bb.json"]


@pytest.mark.parametrize("args, message", [
    (["../up", "--from", "busybox"], "bad rootfs name '../up'"),
    (["default", "--from", "busybox"], "'default' is the default userland's name"),
    (["x", "--from", "alpine"], "bad --from 'alpine': expected busybox, host or debian[:SUITE]"),
    (["x", "--from", "debian:Bad"], "bad Debian suite 'Bad'"),
    (["x", "--from", "host", "--packages", "gcc"], "--packages is for --from debian[:SUITE] only"),
    (["x", "--from", "debian", "--packages", "gcc,rm -rf"], "bad package name 'rm -rf'"),
    (["x"], "the following arguments are required: --from"),
])
def test_create_bad_input_is_one_line(umlpy, home, args, message):
    r = umlpy("rootfs", "create", *args)
    assert r.returncode == 2 and r.stderr.startswith("umlpy: error: ") and r.stderr.count("\n") == 1
    assert message in r.stderr
    assert _leftovers(home) == []


def test_create_debian_failure_leaves_nothing(umlpy, home):
    """Needs root: debootstrap is root's tool (an ordinary user's, mmdebstrap, needs
    subordinate ids, which are tested by monkeypatching below)."""
    import shutil
    if os.geteuid() != 0:
        pytest.skip("needs root: debootstrap runs as root only")
    if shutil.which("debootstrap") is None and not os.path.exists("/usr/sbin/debootstrap"):
        pytest.skip("debootstrap is not installed (apt-get install debootstrap)")
    r = umlpy("rootfs", "create", "deb", "--from", "debian:nosuchsuite")
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines()[-1].startswith("umlpy: error: debootstrap failed (status 1)")
    assert "umlpy: debootstrap: E:" in r.stderr                       # its lines pass through
    assert _leftovers(home) == []


def test_create_debian_errors_name_the_package(monkeypatch, tmp_path):
    """No debootstrap for root, no mmdebstrap or no subuids for a user: one line saying what to do."""
    from umlpy.image import create
    monkeypatch.setenv("UMLPY_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(create.shutil, "which", lambda name: None)
    monkeypatch.setattr(create.os, "access", lambda path, mode: False)
    monkeypatch.setattr(create.os, "geteuid", lambda: 0)
    with pytest.raises(create.CreateError, match=r"^debootstrap is not installed: apt-get install debootstrap$"):
        create.create("d", "debian")
    monkeypatch.setattr(create.os, "geteuid", lambda: 1000)
    with pytest.raises(create.CreateError, match=r"^mmdebstrap is not installed: apt-get install mmdebstrap$"):
        create.create("d", "debian")
    monkeypatch.setattr(create, "_tool", lambda name, package: "/usr/bin/" + name)
    monkeypatch.setattr(create, "_SUBIDS", (str(tmp_path / "subuid"), str(tmp_path / "subgid")))
    with pytest.raises(create.CreateError, match=r"^mmdebstrap --mode=unshare needs subordinate ids: "
                       r"no entry for \S+ in \S+subuid, .*no newuidmap \(apt-get install uidmap\)"):
        create.create("d", "debian")
    assert os.listdir(tmp_path / "home" / "rootfs") == []


def test_create_debian_takes_the_mirror_from_the_host_apt_sources(monkeypatch, tmp_path):
    from umlpy.image import create
    d = tmp_path / "sources.list.d"
    d.mkdir()
    (d / "debian.sources").write_text(
        "Types: deb\n# a comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main\n\nTypes: deb\nURIs: http://security.example/debian-security\n"
        "Suites: bookworm-security\nComponents: main\n")
    (d / "extra.list").write_text("deb [arch=amd64] http://other.example/debian trixie main\n")
    monkeypatch.setattr(create, "_SOURCES", (str(d), str(tmp_path / "sources.list")))
    assert create.apt_mirror("bookworm") == "http://mirror.example/debian"
    assert create.apt_mirror("trixie") == "http://other.example/debian"
    assert create.apt_mirror("sid") == "http://mirror.example/debian"      # the first plain suite's
    (d / "debian.sources").unlink()
    (d / "extra.list").unlink()
    with pytest.raises(create.CreateError, match="no Debian mirror in the host's apt sources"):
        create.apt_mirror("bookworm")


def test_create_debian_as_an_ordinary_user(umlpy, home):
    """An ordinary user with no subordinate ids gets a Debian tree from mmdebstrap
    --mode=fakechroot, and a program in it runs (rootless).  Needs the network, and
    mmdebstrap, fakechroot and fakeroot (.ci/debian-rootfs installs them); as root
    this is the debootstrap path, tested by the Debian rootfs the suite uses."""
    import shutil
    if os.geteuid() == 0:
        pytest.skip("for an ordinary user: root's path is debootstrap (.ci/debian-rootfs)")
    if not all(shutil.which(t) for t in ("mmdebstrap", "fakechroot", "fakeroot")):
        pytest.skip("needs mmdebstrap, fakechroot and fakeroot (apt-get install them)")
    r = umlpy("rootfs", "create", "mini", "--from", "debian:bookworm", "--packages", "bash", timeout=600)
    assert r.returncode == 0, r.stderr
    assert "umlpy: mmdebstrap: " in r.stderr                       # its progress passes through
    r = umlpy("run", "--rootfs", "mini", "--", "/bin/bash", "-c",
              ". /etc/os-release; echo $VERSION_CODENAME; id -u; stat -c %U /usr/bin/bash")
    assert (r.returncode, r.stdout) == (0, "bookworm\n0\nroot\n"), r.stderr
