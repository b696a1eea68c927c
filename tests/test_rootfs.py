"""Tests of umlpy.image: the builder of the default guest userland.

Guest programs are run natively with chroot to check that the tree is
self-sufficient: nothing from the host is reachable inside a chroot.  An
ordinary user chroots in a user namespace of its own (unshare -r), where the
user is root.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from umlpy.image import rootfs

CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"
REPO = Path(__file__).resolve().parent.parent


def chroot(root: Path, *argv: str) -> subprocess.CompletedProcess:
    as_root = [] if os.geteuid() == 0 else ["unshare", "--user", "--map-root-user"]
    return subprocess.run([*as_root, CHROOT, str(root), *argv], capture_output=True, text=True,
                          timeout=20, env={"PATH": "/bin:/usr/bin", "HOME": "/root"})


def has_interp(path: Path) -> bool:
    with open(path, "rb") as f:
        return any(s["p_type"] == "PT_INTERP" for s in ELFFile(f).iter_segments())


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("rootfs") / "image"
    assert rootfs.build(dest, hostname="testbox") == dest
    return dest


def test_default_rootfs_path_is_in_repo():
    assert rootfs.DEFAULT_ROOTFS == REPO / "rootfs" / "image"


def test_busybox_is_static_and_runs(tree):
    bb = tree / "bin" / "busybox"
    st = bb.lstat()
    assert stat.S_ISREG(st.st_mode) and st.st_mode & 0o111
    assert not has_interp(bb)
    out = subprocess.run([str(bb), "echo", "hello"], capture_output=True, text=True)
    assert out.stdout == "hello\n"


def test_applet_symlinks_point_to_busybox(tree):
    listed = subprocess.run([str(tree / "bin/busybox"), "--list-full"],
                            capture_output=True, text=True, check=True).stdout.split()
    listed = [e for e in listed if "/" in e]
    assert len(listed) > 100
    busybox = (tree / "bin/busybox").resolve()
    # busybox applets at the path of a host binary are replaced by it
    host_owned = {"usr/bin/" + n for n in rootfs.DEFAULT_HOST_BINARIES}
    for entry in listed:
        if entry == "bin/busybox":
            continue
        link = tree / entry
        if entry in host_owned:
            assert link.is_file() and not link.is_symlink(), entry
        else:
            assert link.is_symlink(), entry
            # relative links: resolving on the host stays inside the tree
            assert not os.path.isabs(os.readlink(link)), entry
            assert link.resolve() == busybox, entry
    for entry in ("bin/sh", "bin/ls", "sbin/ifconfig", "usr/bin/wc"):
        assert (tree / entry).resolve() == busybox


def test_etc_and_dirs(tree):
    passwd = (tree / "etc/passwd").read_text().splitlines()
    assert "root:x:0:0:root:/root:/bin/sh" in passwd
    assert any(line.startswith("nobody:x:65534:65534:") for line in passwd)
    assert (tree / "etc/hostname").read_text() == "testbox\n"
    assert "testbox" in (tree / "etc/hosts").read_text()
    assert 'NAME="umlpy"' in (tree / "etc/os-release").read_text()
    assert "PS1=" in (tree / "etc/profile").read_text()
    assert "/bin/sh" in (tree / "etc/shells").read_text().split()
    for d in ("root", "proc", "dev", "sys", "home", "mnt", "run", "usr/lib", "var/tmp"):
        assert (tree / d).is_dir() and not (tree / d).is_symlink(), d
    assert stat.S_IMODE((tree / "tmp").stat().st_mode) == 0o1777
    assert (tree / rootfs.MARKER).is_file()


def test_host_binaries_and_libraries_present(tree):
    for name in rootfs.DEFAULT_HOST_BINARIES:
        host = Path(shutil.which(name)).resolve()
        guest = tree / "usr" / "bin" / name
        assert guest.is_file() and not guest.is_symlink(), name
        assert guest.read_bytes() == host.read_bytes(), name
    info = rootfs.elf_info(tree / "usr/bin/bash")
    assert info["interp"]
    interp = rootfs.resolve_in_root(tree, info["interp"])
    assert interp is not None and interp.is_file()
    for lib in info["needed"]:
        assert rootfs.resolve_in_root(tree, "/lib/x86_64-linux-gnu/" + lib) is not None, lib
    # /bin/bash exists (busybox has no bash applet); /bin/ls stays busybox
    assert os.readlink(tree / "bin/bash") == "../usr/bin/bash"
    assert (tree / "bin/ls").resolve() == (tree / "bin/busybox").resolve()


def test_chroot_runs_static_and_dynamic_programs(tree):
    r = chroot(tree, "/bin/ls", "/")
    assert r.returncode == 0 and {"bin", "etc", "tmp", "proc"} <= set(r.stdout.split())
    r = chroot(tree, "/bin/bash", "-c", "echo ok; echo $BASH_VERSION")
    assert r.returncode == 0 and r.stdout.startswith("ok\n"), r.stderr
    r = chroot(tree, "/usr/bin/ls", "-d", "/tmp")  # GNU ls: libselinux, libpcre2
    assert (r.returncode, r.stdout) == (0, "/tmp\n"), r.stderr
    r = chroot(tree, "/usr/bin/id")  # names come from the guest's /etc/passwd
    assert r.stdout.strip() == "uid=0(root) gid=0(root) groups=0(root)", r.stderr
    r = chroot(tree, "/bin/sh", "-lc", 'echo "$PS1|$PATH"')
    assert r.returncode == 0 and "\\u@\\h" in r.stdout and "/usr/bin" in r.stdout


def test_refuses_to_delete_a_foreign_directory(tmp_path):
    victim = tmp_path / "data"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    with pytest.raises(ValueError, match="refusing to delete"):
        rootfs.build(victim, host_binaries=())
    assert (victim / "precious.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # no temp leftovers
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        rootfs.build(afile, host_binaries=())


def test_rebuild_replaces_previous_build(tmp_path):
    dest = tmp_path / "img"
    rootfs.build(dest, host_binaries=())
    (dest / "tmp" / "leftover").write_text("old")
    rootfs.build(dest, host_binaries=(), hostname="second")
    assert not (dest / "tmp" / "leftover").exists()
    assert (dest / "etc/hostname").read_text() == "second\n"
    assert not (dest / "usr/bin/bash").exists()


def test_rejects_dynamic_busybox_and_bad_hostname(tmp_path):
    with pytest.raises(ValueError, match="busybox-static"):
        rootfs.build(tmp_path / "x", busybox=shutil.which("ls"))
    with pytest.raises(ValueError, match="hostname"):
        rootfs.build(tmp_path / "x", hostname="no spaces")
    assert not (tmp_path / "x").exists()


def test_cli_bad_arguments_exit_2(tmp_path):
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "f").write_text("x")
    for args in (["build", str(tmp_path / "junk")], ["build", "--nope"], ["frob"]):
        r = subprocess.run([sys.executable, "-m", "umlpy.image", *args], cwd=REPO,
                           capture_output=True, text=True)
        assert r.returncode == 2, args
        assert len(r.stderr.strip().splitlines()) == 1 and "error" in r.stderr, r.stderr


def test_copy_gcc_program_with_runpath_origin_library(tmp_path):
    """A program whose library is found through RUNPATH=$ORIGIN/../lib keeps
    working when copied to a different guest path; libm/libc come along."""
    src = tmp_path / "src"
    (src / "bin").mkdir(parents=True)
    (src / "lib").mkdir()
    (src / "greet.c").write_text('const char *greet(void) { return "hi from lib"; }\n')
    (src / "main.c").write_text(
        '#include <stdio.h>\n#include <math.h>\nconst char *greet(void);\n'
        'int main(int c, char **v) { printf("%s %.0f\\n", greet(), sqrt(c * 81.0)); return 3; }\n')
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", src / "lib/libgreet.so",
                    src / "greet.c"], check=True)
    subprocess.run(["gcc", "-o", src / "bin/prog", src / "main.c", f"-L{src}/lib", "-lgreet",
                    "-lm", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib"], check=True)
    root = tmp_path / "root"
    rootfs.build(root, host_binaries=())
    copied = rootfs.copy_host_binary(root, src / "bin/prog", "/opt/t/bin/prog")
    assert copied[0] == "/opt/t/bin/prog"
    assert "/opt/t/lib/libgreet.so" in copied
    assert (root / "opt/t/lib/libgreet.so").is_file()
    assert any(p.endswith("/libm.so.6") for p in copied)
    assert any(p.endswith("/libc.so.6") for p in copied)
    assert rootfs.resolve_in_root(root, "/lib64/ld-linux-x86-64.so.2").is_file()
    # Run it the way umlpy does, the guest's ld.so with the program as its
    # argument: a kernel-started ld.so would compute $ORIGIN from
    # /proc/self/exe, and there is no /proc in a bare chroot.
    r = chroot(root, "/lib64/ld-linux-x86-64.so.2", "/opt/t/bin/prog")
    assert (r.returncode, r.stdout) == (3, "hi from lib 9\n"), r.stderr
    # copying again is harmless
    assert rootfs.copy_host_binary(root, src / "bin/prog", "/opt/t/bin/prog") == copied


def test_copy_static_program_and_bad_inputs(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "s.c").write_text("int main(void) { return 7; }\n")
    subprocess.run(["gcc", "-static", "-o", tmp_path / "s", tmp_path / "s.c"], check=True)
    assert rootfs.copy_host_binary(root, tmp_path / "s", "/s") == ["/s"]
    assert (root / "s").stat().st_mode & 0o111
    assert chroot(root, "/s").returncode == 7
    (tmp_path / "script").write_text("#!/bin/sh\n")
    with pytest.raises(ValueError, match="not a readable ELF"):
        rootfs.copy_host_binary(root, tmp_path / "script", "/script")
    with pytest.raises(ValueError, match="no such host file"):
        rootfs.copy_host_binary(root, tmp_path / "missing")
    with pytest.raises(ValueError, match="absolute"):
        rootfs.copy_host_binary(root, tmp_path / "s", "etc/evil")
    # ".." cannot climb out of the tree: it stops at the guest's /
    assert rootfs.copy_host_binary(root, tmp_path / "s", "/../../evil") == ["/evil"]
    assert (root / "evil").is_file() and not (tmp_path / "evil").exists()
