"""Shared fixtures: a test rootfs, C programs compiled by gcc, and sandboxes.

`rootfs` is built once per session from the host (busybox-static plus host
dynamic binaries and their libraries).  `cc` compiles a C source into a
directory that tests bind-mount at /t, statically or dynamically linked (the
dynamic ones use the rootfs's own ld.so and libc).  `sandbox` is a fresh
Sandbox on that rootfs with /t mounted read-only.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from umlpy import Sandbox
from umlpy.image import build

HERE = Path(__file__).resolve().parent


def pytest_sessionstart(session) -> None:
    """The suite needs what ./install.sh provides; say so plainly instead of skipping tests.

    tests/unit/ needs none of it (the kernel driven by a scripted platform, no guest)."""
    unit = HERE / "unit"
    if session.config.args and all(Path(a.split("::")[0]).resolve().is_relative_to(unit)
                                   for a in session.config.args):
        return
    missing = [what for what, ok in (
        ("gcc", shutil.which("gcc") is not None),
        ("busybox-static (/bin/busybox)", os.path.isfile("/bin/busybox")),
        ("Debian's python3 (/usr/bin/python3)", os.path.exists("/usr/bin/python3")),
    ) if not ok]
    if missing:
        raise pytest.UsageError("missing: " + ", ".join(missing) + " -- run ./install.sh first")


def debian_rootfs(*programs: str) -> Path:
    """The Debian rootfs the tests share (store name `debian`, built by .ci/debian-rootfs),
    holding `programs` (names in /usr/bin, /bin or /usr/sbin).  Missing, it fails the
    test in CI, where .ci/run builds it, and skips it elsewhere."""
    from umlpy.image import importer
    root = importer.lookup("debian")
    missing = ["apt-get", *programs] if root is None else [
        p for p in ("apt-get", *programs)
        if not any((root / d / p).exists() for d in ("usr/bin", "bin", "usr/sbin"))]
    if missing:
        why = (f"no Debian rootfs with {', '.join(missing)} in {importer.rootfs_dir()}: "
               "run .ci/debian-rootfs")
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return root


@pytest.fixture(scope="session")
def rootfs(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("rootfs") / "root"
    build(dest)
    return dest


@pytest.fixture(scope="session")
def progs(tmp_path_factory) -> Path:
    """Directory of compiled test programs (bind-mounted at /t)."""
    return tmp_path_factory.mktemp("progs")


@pytest.fixture(scope="session")
def cc(progs):
    """cc(name, source, static=False, flags=()) -> guest path /t/NAME of the compiled program."""

    def compile_(name: str, source: str, *, static: bool = False, flags: tuple[str, ...] = ()) -> str:
        out = progs / name
        if not out.exists():
            src = progs / f"{name}.c"
            src.write_text(textwrap.dedent(source))
            cmd = ["gcc", "-O1", "-o", str(out), str(src), "-lpthread", *flags]
            if static:
                cmd.insert(1, "-static")
            subprocess.run(cmd, check=True, capture_output=True)
        return f"/t/{name}"
    return compile_


@pytest.fixture
def sandbox(rootfs, progs):
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")]) as sb:
        yield sb


def sh(sb: Sandbox, script: str, **kw):
    """Run a shell script in the sandbox; the CompletedProcess with text output."""
    return sb.run(["/bin/sh", "-c", script], text=True, timeout=kw.pop("timeout", 20), **kw)


# ------------------------------------------------- helpers for C guest programs
C_PRELUDE = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/sched.h>
#include <sys/auxv.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#define ERR(r) ((long)(r) < 0 ? strerrorname_np(errno) : "OK")
#define BAD ((void *)1)
static pid_t gettid_(void) { return syscall(SYS_gettid); }
extern char **environ;
"""

LINKS = [pytest.param(True, id="static"), pytest.param(False, id="dynamic")]


def builder(cc, prefix: str = "", prelude: str = C_PRELUDE):
    """build(name, body, static=False, flags=()) -> guest path of prelude+body compiled."""
    def build(name: str, body: str, static: bool = False, flags: tuple[str, ...] = ()) -> str:
        tag = f"{prefix}{name}_{'s' if static else 'd'}" if prefix else name
        return cc(tag, prelude + body, static=static, flags=flags)
    return build


def run(sb, argv, **kw):
    """sb.run with text output and a default timeout of 20 s."""
    return sb.run(argv, text=True, timeout=kw.pop("timeout", 20), **kw)


def kv(out: str) -> dict[str, str]:
    """'key=value' lines of guest output as a dict (later lines win)."""
    d = {}
    for line in out.splitlines():
        k, sep, v = line.partition("=")
        if sep:
            d[k.strip()] = v.strip()
    return d


@pytest.fixture(autouse=True)
def host_unchanged(request):
    """tests/security/: every attack must also leave the host as it was (hostcheck.py):
    no set-id file under the test's directories, no guest process, mount, cgroup or
    /dev/shm entry left behind."""
    if "security" not in request.path.parts:
        yield
        return
    from security.hostcheck import HostState
    before = HostState.take(request.getfixturevalue("progs"))
    yield
    assert before.changes() == []


@pytest.fixture(autouse=True)
def no_supervisor_errors(monkeypatch):
    """Whatever a test's guest does, the supervisor must not hit an internal error."""
    from umlpy.kernel.kernel import Kernel
    seen: list[str] = []
    original = Kernel.internal_error

    def record(self, st, e):
        seen.append(f"{type(e).__name__}: {e}")
        return original(self, st, e)
    monkeypatch.setattr(Kernel, "internal_error", record)
    yield
    assert seen == [], f"supervisor internal errors: {seen}"
