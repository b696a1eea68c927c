"""umlpy installs like any Python package and finds its userland wherever it is installed.

A wheel is built from a copy of the sources (pyproject.toml, the cffi helper
compiled in the build) and installed into a fresh venv; the venv sees the
host's site-packages for the dependencies, so nothing is downloaded.  Its
`umlpy` command must work from any directory, even one holding a `umlpy/`
folder, and its default userland must go to the per-user store
($UMLPY_HOME here), built on first use, never into site-packages.
"""
from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from umlpy import Sandbox
from umlpy.image import rootfs, store

REPO = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "csrc", "umlpy")


def clean_env(home: Path) -> dict[str, str]:
    """The environment with the store at `home` and no rootfs override."""
    env = {k: v for k, v in os.environ.items() if k not in ("UMLPY_ROOTFS", "PYTHONPATH")}
    env["UMLPY_HOME"] = str(home)
    return env


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv with umlpy installed from a wheel built from a copy of the sources."""
    base = tmp_path_factory.mktemp("install")
    src = base / "src"
    src.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.o", "_helper.c"))
        else:
            shutil.copy2(REPO / name, src / name)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    wheels = base / "wheels"
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-index",
                        "--no-build-isolation", "-w", str(wheels), str(src)],
                       capture_output=True, text=True, env=env, timeout=300, check=False)
    assert r.returncode == 0, r.stderr
    (wheel,) = wheels.glob("umlpy-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    if sys.prefix != sys.base_prefix:
        # We run in a venv ourselves (the unprivileged CI pass does): the new one
        # sees the base interpreter's packages only, so hand it ours (umlpy's
        # dependencies) too, behind its own.
        (site_dir,) = venv.glob("lib/python3*/site-packages")
        (site_dir / "outer.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    r = subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "-q", "--no-deps",
                        "--no-index", str(wheel)], capture_output=True, text=True, env=env,
                       timeout=300, check=False)
    assert r.returncode == 0, r.stderr
    return venv


def package_dir(venv: Path) -> Path:
    out = subprocess.run([str(venv / "bin/python"), "-c", "import umlpy; print(umlpy.__file__)"],
                         cwd="/", capture_output=True, text=True, check=True).stdout
    return Path(out.strip()).parent


def listing(top: Path) -> dict[str, int]:
    """path -> size of everything under `top`."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            out[os.path.relpath(p, top)] = os.lstat(p).st_size
    return out


def test_the_wheel_holds_the_helper_and_the_fuzzer_guest_not_the_checkout(venv):
    pkg = package_dir(venv)
    assert pkg.is_relative_to(venv), pkg
    assert list(pkg.glob("_helper*.so")), "the cffi helper was not built into the wheel"
    assert (pkg / "fuzz" / "guest.c").is_file()
    assert not (pkg.parent / "csrc").exists()


@pytest.mark.parametrize("where", ["checkout", "decoy"])
def test_console_script_ignores_the_current_directory(venv, tmp_path, where):
    """`python3 -m umlpy` from the checkout imported ./umlpy (no compiled helper there)."""
    if where == "decoy":
        cwd = tmp_path
        (cwd / "umlpy").mkdir()
        (cwd / "umlpy" / "__init__.py").write_text("raise ImportError('the decoy was imported')\n")
    else:
        cwd = REPO
    env = clean_env(tmp_path / "store")
    for args in (["--version"], ["syscalls"]):
        r = subprocess.run([str(venv / "bin/umlpy"), *args], cwd=cwd, env=env,
                           capture_output=True, text=True, timeout=60, check=False)
        assert r.returncode == 0, r.stderr
    assert r.stdout.count("\n") > 300


def test_store_location(monkeypatch, tmp_path):
    monkeypatch.setenv("UMLPY_HOME", str(tmp_path / "h"))
    assert store.default_path() == tmp_path / "h" / "rootfs" / "default"
    monkeypatch.delenv("UMLPY_HOME")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert store.store_dir() == Path("/var/lib/umlpy")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert store.store_dir() == tmp_path / "data" / "umlpy"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    assert store.store_dir() == tmp_path / "me" / ".local" / "share" / "umlpy"


def test_default_rootfs_is_built_on_first_use_then_reused(tmp_path):
    code = "from umlpy.api import default_rootfs; print(default_rootfs())"
    env = clean_env(tmp_path / "store")
    first = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    dest = tmp_path / "store" / "rootfs" / "default"
    assert first.stdout == f"{dest}\n"
    assert "first use: building the default userland" in first.stderr
    assert (dest / "bin" / "busybox").is_file() and (dest / rootfs.MARKER).is_file()
    stamp = (dest / rootfs.MARKER).stat().st_mtime_ns
    second = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert (second.returncode, second.stdout, second.stderr) == (0, f"{dest}\n", "")
    assert (dest / rootfs.MARKER).stat().st_mtime_ns == stamp


def test_rootfs_build_writes_the_store_and_nothing_in_the_package(venv, tmp_path):
    pkg = package_dir(venv)
    before = listing(pkg)
    env = clean_env(tmp_path / "store")
    r = subprocess.run([str(venv / "bin/umlpy"), "rootfs", "build"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    dest = tmp_path / "store" / "rootfs" / "default"
    assert r.stdout == f"rootfs built at {dest}\n"
    assert f"umlpy: building a userland in {dest}" in r.stderr
    assert (dest / "bin" / "busybox").is_file()
    assert listing(pkg) == before


def test_boot_with_no_argument_uses_the_store(venv, tmp_path):
    env = clean_env(tmp_path / "store")
    r = subprocess.run([str(venv / "bin/umlpy"), "boot"], input="echo pid $$; cat /etc/os-release\n",
                       cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    assert "pid 1\n" in r.stdout and 'NAME="umlpy"' in r.stdout
    assert "first use: building the default userland" in r.stderr
    assert (tmp_path / "store" / "rootfs" / "default" / "bin" / "sh").exists()


def test_without_busybox_the_userland_is_the_hosts_own_programs(tmp_path):
    dest = rootfs.build(tmp_path / "root", busybox=None)
    assert not (dest / "bin" / "busybox").exists()
    assert os.readlink(dest / "bin" / "sh") == "bash"
    with Sandbox(rootfs=dest) as sb:
        r = sb.run(["/bin/sh", "-c", "echo $((6 * 7)); ls /etc/passwd; cat /etc/hostname"],
                   capture_output=True, text=True, timeout=30)
    assert (r.returncode, r.stdout) == (0, "42\n/etc/passwd\numlpy\n"), r.stderr
