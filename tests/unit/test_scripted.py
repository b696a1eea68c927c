"""The real guest kernel, driven through the interception interface by a scripted platform.

No tracer and no privilege: each test makes the events a guest would cause
(ScriptedPlatform.entry, .event), hands them to Kernel.on_stop, and checks the
kernel's answers and what it left in guest memory.  This is the proof that
the kernel depends on the interface only, and it covers dispatch, the table,
the path walk, the overlay and the PID namespace.
"""
from __future__ import annotations

import errno
import os
import stat
import struct
import subprocess

import pytest

from umlpy.abi.numbers import NUMBERS as NR
from umlpy.api import new_kernel
from umlpy.kernel.kernel import Config, Kernel
from umlpy.kernel.table import EMULATE, SyscallTable, serve, syscall
from umlpy.platform.interface import Kind
from umlpy.platform.scripted import ScriptedPlatform

AT_FDCWD = -100


def tiny_elf() -> bytes:
    """The smallest static x86-64 executable the loader accepts: a header and one PT_LOAD."""
    ehdr = struct.pack("<4sBBBBB7xHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, 2, 62, 1,
                       0x400078, 64, 0, 0, 64, 56, 1, 64, 0, 0)
    phdr = struct.pack("<IIQQQQQQ", 1, 5, 0, 0x400000, 0x400000, 0x80, 0x80, 0x1000)
    return ehdr + phdr + b"\xf4" * 8                      # hlt


@pytest.fixture
def rootfs(tmp_path):
    root = tmp_path / "root"
    for d in ("bin", "etc", "tmp", "proc", "dev"):
        (root / d).mkdir(parents=True)
    (root / "bin/init").write_bytes(tiny_elf())
    (root / "bin/init").chmod(0o755)
    (root / "etc/hostname").write_text("scripted\n")
    (root / "etc/secret").write_text("root only\n")
    (root / "etc/secret").chmod(0o600)
    (root / "link").symlink_to("etc")
    return root


@pytest.fixture
def host_procs():
    """Host processes standing in for guest threads (the kernel opens pidfds to them)."""
    procs = [subprocess.Popen(["sleep", "60"]) for _ in range(2)]
    yield [p.pid for p in procs]
    for p in procs:
        p.kill()
        p.wait()


@pytest.fixture
def booted(rootfs, host_procs):
    """(kernel, platform, init's tid) with guest init started from /bin/init."""
    sp = ScriptedPlatform(pid=host_procs[0])
    kernel = new_kernel(Config(rootfs=rootfs, cpu=None))
    kernel.platform = kernel.dispatcher.platform = sp
    kernel.start(["/bin/init"])
    yield kernel, sp, host_procs[0]
    kernel.shutdown()


def call(kernel: Kernel, sp: ScriptedPlatform, tid: int, name: str, *args: int):
    """Make syscall `name` on thread `tid`; the kernel's answer."""
    before = len(sp.answers)
    kernel.on_stop(sp.entry(tid, NR[name], *args))
    return sp.answers[before:][-1]


def result(answer) -> int:
    assert answer[0] == "complete", answer
    return answer[2]


# ------------------------------------------------------------------ dispatch
def test_start_spawns_init_with_the_table_filter(booted):
    kernel, sp, tid = booted
    assert ("spawn", ["/bin/init"]) in sp.answers
    assert NR["read"] in sp.native and NR["getppid"] not in sp.native
    assert kernel.init.pid == 1


def test_emulated_calls_complete_at_entry(booted):
    kernel, sp, tid = booted
    assert call(kernel, sp, tid, "getuid") == ("complete", tid, 0, False)
    assert result(call(kernel, sp, tid, "getppid")) == 0
    buf = sp.buffer(65 * 6)
    assert result(call(kernel, sp, tid, "uname", buf)) == 0
    assert sp.get(buf, 5) == b"Linux"


def test_a_deny_row_gives_its_errno_and_one_report_line(booted):
    kernel, sp, tid = booted
    assert result(call(kernel, sp, tid, "perf_event_open")) == -errno.EPERM
    assert len(kernel.report.denied) == 1 and "perf_event_open" in kernel.report.denied[0]


def test_a_bad_pointer_is_efault_not_an_exception(booted):
    kernel, sp, tid = booted
    assert result(call(kernel, sp, tid, "chdir", 8)) == -errno.EFAULT
    assert result(call(kernel, sp, tid, "uname", 8)) == -errno.EFAULT


def test_a_handler_returning_none_is_refused(rootfs, host_procs):
    @syscall("getpid", EMULATE)
    def forgetful(task):
        pass
    sp = ScriptedPlatform(pid=host_procs[0])
    from umlpy.fsimpl.layout import build_vfs
    from umlpy.trace import format as fmt
    kernel = Kernel(Config(rootfs=rootfs, cpu=None), platform=sp, build_vfs=build_vfs, formatter=fmt,
                    table=SyscallTable([serve(39, "getpid", forgetful)]))
    try:
        kernel.start(["/bin/init"])
        with pytest.raises(TypeError, match="returned None"):
            kernel.on_stop(sp.entry(host_procs[0], 39))
    finally:
        kernel.shutdown()


def test_a_platform_without_argument_rewriting_refuses_cleanly(booted):
    kernel, sp, tid = booted
    # kill(1, 0) must be rewritten (guest pid 1 -> the host pid): this platform cannot
    sp.capabilities = frozenset()
    answer = call(kernel, sp, tid, "kill", 1, 0)
    assert answer == ("complete", tid, -errno.ENOSYS, False)
    sp.capabilities = frozenset({"rewrite_args"})
    answer = call(kernel, sp, tid, "kill", 1, 0)
    assert answer == ("pass_through", tid, {0: tid}, True)       # the exit puts the guest's arguments back


# ----------------------------------------------------------- walk and overlay
def test_the_walk_resolves_dotdot_and_symlinks_in_the_guest_view(booted):
    kernel, sp, tid = booted
    ok = sp.string("/etc/../link/./hostname")
    assert result(call(kernel, sp, tid, "access", ok, os.R_OK)) == 0
    up = sp.string("/../../../../etc/hostname")            # ".." stops at the guest root
    assert result(call(kernel, sp, tid, "access", up, os.R_OK)) == 0
    missing = sp.string("/etc/nonexistent")
    assert result(call(kernel, sp, tid, "access", missing, os.F_OK)) == -errno.ENOENT
    buf = sp.buffer(144)
    assert result(call(kernel, sp, tid, "newfstatat", AT_FDCWD, sp.string("/link"), buf, 0)) == 0
    assert stat.S_ISDIR(struct.unpack_from("<I", sp.get(buf, 144), 24)[0])
    assert result(call(kernel, sp, tid, "newfstatat", AT_FDCWD, sp.string("/link"), buf, 0x100)) == 0
    assert stat.S_ISLNK(struct.unpack_from("<I", sp.get(buf, 144), 24)[0])


def test_open_hands_over_the_rootfs_file(booted):
    kernel, sp, tid = booted
    answer = call(kernel, sp, tid, "openat", AT_FDCWD, sp.string("/etc/hostname"), os.O_RDONLY, 0)
    assert answer[0] == "install_fd"
    assert os.pread(sp.installed[-1], 100, 0) == b"scripted\n"


def test_overlay_writes_never_reach_the_rootfs(booted, rootfs):
    kernel, sp, tid = booted
    assert result(call(kernel, sp, tid, "mkdir", sp.string("/newdir"), 0o755)) == 0
    assert result(call(kernel, sp, tid, "access", sp.string("/newdir"), os.F_OK)) == 0
    assert not (rootfs / "newdir").exists()
    assert result(call(kernel, sp, tid, "unlink", sp.string("/etc/hostname"))) == 0
    assert result(call(kernel, sp, tid, "access", sp.string("/etc/hostname"), os.F_OK)) == -errno.ENOENT
    assert (rootfs / "etc/hostname").read_text() == "scripted\n"


def test_permissions_follow_the_virtual_credentials(booted):
    kernel, sp, tid = booted
    secret = sp.string("/etc/secret")
    assert result(call(kernel, sp, tid, "access", secret, os.R_OK)) == 0           # guest root
    assert result(call(kernel, sp, tid, "setuid", 1000)) == 0
    assert result(call(kernel, sp, tid, "getuid")) == 1000
    assert result(call(kernel, sp, tid, "access", secret, os.R_OK)) == -errno.EACCES


# -------------------------------------------------------------- pid namespace
def test_a_child_killed_before_its_parents_clone_event_is_forgotten(booted, host_procs):
    """A new thread's first stop can come before its parent's clone event, and a SIGKILL of
    the thread group can then take both before the event: the child's death ends the wait
    for it (the fuzzer saw such a child listed as waiting for good)."""
    kernel, sp, tid = booted
    child = host_procs[1]
    call(kernel, sp, tid, "clone", 0x00010000 | 0x00000100 | 0x00000800)   # CLONE_THREAD|VM|SIGHAND
    kernel.on_stop(sp.event(child, Kind.START))
    assert kernel._early == {child}                  # held until the parent's event
    kernel.on_stop(sp.event(child, Kind.KILLED, sig=9))
    assert kernel._early == set()


def test_a_forked_child_gets_guest_pid_2_and_sees_init_as_its_parent(booted, host_procs):
    kernel, sp, tid = booted
    child = host_procs[1]
    # fork(): the host runs it; its result is the child's host pid, translated on the way out
    assert call(kernel, sp, tid, "fork") == ("pass_through", tid, {}, True)
    kernel.on_stop(sp.event(tid, Kind.NEW_THREAD, msg=child))
    kernel.on_stop(sp.exit(tid, child))
    assert sp.answers[-1] == ("complete", tid, 2, True)
    kernel.on_stop(sp.event(child, Kind.START))
    assert result(call(kernel, sp, child, "getppid")) == 1
    # ids outside the sandbox do not exist in it
    assert result(call(kernel, sp, child, "kill", 12345, 0)) == -errno.ESRCH
    kernel.on_stop(sp.event(child, Kind.EXITED, sig=0))
    assert kernel.pidns.processes[2].alive is False
