"""`umlpy check`: which host features umlpy needs are here, and which mode it will run in.

Each probe tries the feature the way umlpy uses it and changes no host
setting: the seccomp flags are offered with no filter (the kernel checks them
before it reads one, so EFAULT means "accepted"), pidfd_getfd duplicates one of
our own descriptors, the detached tmpfs is made and closed at once, ptrace
seizes a child of ours, and unshare(), chroot() and the uid drop to nobody
happen in forked children that exit.  The cgroup hierarchies are found the way
platform/cgroup.py finds them and only looked at (os.access), never written.

    report = check()            # a Report: features by name, mode, can_run
    print_report(report)        # one line per feature, then "mode: ..." or "cannot run: ..."

As root, umlpy runs in root mode; as any other user, in rootless mode, where
a user namespace of the guest's own lends what takes privilege (user
namespaces must be allowed).  The summary names the mode, or what it lacks.
"""
from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import signal
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import IO

from umlpy.abi.linux import CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWUSER
from umlpy.platform import cgroup, host

NOBODY = 65534
SYS_SECCOMP = 317                        # x86-64
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_GET_NOTIF_SIZES = 3
SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3
SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 1 << 5   # Linux 5.19
PTRACE_SEIZE = 0x4206
PR_SET_DUMPABLE = 4
UID_MAP_FAILED = 250                     # a child's exit status: unshare worked, the uid map did not
ROOT = "root"
ROOTLESS = "rootless"

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.ptrace.restype = ctypes.c_long
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]


@dataclass
class Feature:
    """One host feature: is it here, what was seen, which modes need it, and what controls it."""
    name: str
    present: bool
    detail: str
    needed_by: tuple[str, ...] = ()       # ROOT, ROOTLESS; () for what only helps (or only bench uses)
    control: str = ""                     # the sysctl or package that turns it on


@dataclass
class Report:
    features: dict[str, Feature]
    kernel: str
    root: bool
    mode: str                             # "root", "rootless", or "" when umlpy cannot run here
    can_run: bool
    summary: str

    def as_json(self) -> dict:
        d = asdict(self)
        d["features"] = {name: {k: v for k, v in f.items() if k != "name"}
                         for name, f in d["features"].items()}
        return d


# ------------------------------------------------------------------ helpers

def _sysctl(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def _in_child(work: Callable[[], int], timeout: float = 2.0) -> int:
    """Run `work` in a forked child that exits with its result: 0, an errno, or 255 if it raised."""
    pid = os.fork()
    if pid == 0:                                       # pragma: no cover (the child)
        code = 255
        try:
            code = work()
        except OSError as e:
            code = e.errno or 255
        finally:
            os._exit(code)                             # whatever happened: the child never returns
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 255


def _unshare(flags: int) -> int:
    return 0 if _libc.unshare(flags) == 0 else ctypes.get_errno()


def _why(code: int) -> str:
    if code == 0:
        return "ok"
    if code == UID_MAP_FAILED:
        return "unshare worked, writing /proc/self/uid_map did not"
    if 0 < code < 255:
        return f"{errno_name(code)} ({os.strerror(code)})"
    return "failed"


def errno_name(code: int) -> str:
    return errno.errorcode.get(code, str(code))


# ------------------------------------------------------------------ probes

def probe_kernel() -> Feature:
    u = os.uname()
    return Feature("kernel", True, f"{u.sysname} {u.release} {u.machine}")


def probe_root() -> Feature:
    euid = os.geteuid()
    return Feature("root", euid == 0, f"euid {euid}" + ("" if euid == 0 else ": rootless mode"), (ROOT,))


def probe_seccomp() -> Feature:
    """The seccomp user-notification listener, with the flags csrc/spawn.c installs it with."""
    avail = _sysctl("/proc/sys/kernel/seccomp/actions_avail")
    control = "/proc/sys/kernel/seccomp/actions_avail (CONFIG_SECCOMP_FILTER)"
    needed = (ROOT, ROOTLESS)
    if avail is not None and "user_notif" not in avail.split():
        return Feature("seccomp listener", False, f"no user_notif in actions_avail: {avail}", needed, control)
    sizes = (ctypes.c_uint16 * 3)()
    if _libc.syscall(SYS_SECCOMP, SECCOMP_GET_NOTIF_SIZES, 0, ctypes.byref(sizes)) < 0:
        e = ctypes.get_errno()
        return Feature("seccomp listener", False, f"SECCOMP_GET_NOTIF_SIZES: {_why(e)}", needed, control)
    # No filter (NULL): the kernel checks the flags first, then fails to read
    # the filter with EFAULT.  EINVAL: a flag it does not know.
    flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
    r = _libc.syscall(SYS_SECCOMP, SECCOMP_SET_MODE_FILTER, flags, None)
    e = ctypes.get_errno() if r < 0 else 0
    if e != errno.EFAULT:
        why = "not known to this kernel (Linux 5.19 and later)" if e == errno.EINVAL else _why(e)
        return Feature("seccomp listener", False,
                       f"SECCOMP_FILTER_FLAG_NEW_LISTENER|WAIT_KILLABLE_RECV: {why}", needed, control)
    return Feature("seccomp listener", True,
                   f"user_notif; NEW_LISTENER|WAIT_KILLABLE_RECV accepted; notif sizes "
                   f"{sizes[0]}/{sizes[1]}/{sizes[2]}", needed)


def probe_pidfd() -> Feature:
    """pidfd_open and pidfd_getfd, as the supervisor takes the guest's listener and descriptors."""
    needed = (ROOT, ROOTLESS)
    try:
        pidfd = host.pidfd_open(os.getpid())
    except OSError as e:
        return Feature("pidfd_getfd", False, f"pidfd_open: {_why(e.errno or 255)} (Linux 5.3 and later)",
                       needed)
    try:
        fd = host.pidfd_getfd(pidfd, pidfd)
    finally:
        os.close(pidfd)
    if fd < 0:
        return Feature("pidfd_getfd", False, f"pidfd_getfd: {_why(-fd)} (Linux 5.6 and later)", needed)
    os.close(fd)
    return Feature("pidfd_getfd", True, "pidfd_open and pidfd_getfd on our own pidfd", needed)


def probe_ptrace() -> Feature:
    """ptrace: Yama's scope, and PTRACE_SEIZE of a child of ours, as the supervisor seizes guest init."""
    scope = _sysctl("/proc/sys/kernel/yama/ptrace_scope")
    control = "kernel.yama.ptrace_scope (/proc/sys/kernel/yama/ptrace_scope) at most 1"
    needed = (ROOT, ROOTLESS)
    words = {"0": "classic", "1": "restricted to descendants", "2": "admin only", "3": "no attach"}
    yama = f"yama ptrace_scope {scope} ({words.get(scope, '?')})" if scope is not None else "no Yama"
    r, w = os.pipe()
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:                                       # pragma: no cover (the child)
        os.close(w)
        _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)       # as csrc/spawn.c's child: we may not be
        os.write(ready_w, b"r")
        os.read(r, 1)
        os._exit(0)
    os.close(r)
    os.close(ready_w)
    os.read(ready_r, 1)
    os.close(ready_r)
    e = 0
    try:
        if _libc.ptrace(PTRACE_SEIZE, pid, None, None) < 0:
            e = ctypes.get_errno()
    finally:
        os.kill(pid, signal.SIGKILL)
        os.close(w)
        os.waitpid(pid, 0)
    if e:
        return Feature("ptrace", False, f"{yama}; PTRACE_SEIZE of a child: {_why(e)}", needed, control)
    return Feature("ptrace", True, f"{yama}; PTRACE_SEIZE of a child works", needed)


def probe_netns() -> Feature:
    """unshare(CLONE_NEWNET|CLONE_NEWIPC) and chroot, as csrc/spawn.c does for guest init (root mode)."""
    def work() -> int:
        e = _unshare(CLONE_NEWNET | CLONE_NEWIPC)
        if e:
            return e
        os.chroot("/")
        return 0
    code = _in_child(work)
    if code:
        return Feature("netns+chroot", False, f"unshare(CLONE_NEWNET|CLONE_NEWIPC), chroot: {_why(code)}",
                       (ROOT,), "CAP_SYS_ADMIN and CAP_SYS_CHROOT (run as root)")
    return Feature("netns+chroot", True, "unshare(CLONE_NEWNET|CLONE_NEWIPC) and chroot in a child", (ROOT,))


USERNS_SYSCTLS = ("kernel.unprivileged_userns_clone", "user.max_user_namespaces",
                  "kernel.apparmor_restrict_unprivileged_userns")


def probe_userns() -> Feature:
    """Unprivileged user namespaces (rootless mode): unshare(CLONE_NEWUSER) and a uid map, in a child."""
    sysctls = {name: _sysctl("/proc/sys/" + name.replace(".", "/")) for name in USERNS_SYSCTLS}
    shown = ", ".join(f"{n}={v}" for n, v in sysctls.items() if v is not None) or "no sysctl"
    control = ", ".join(
        f"{n}={want}" for n, want in (("kernel.unprivileged_userns_clone", "1"),
                                      ("user.max_user_namespaces", "a number above 0"),
                                      ("kernel.apparmor_restrict_unprivileged_userns", "0"))
        if sysctls[n] is not None)

    def as_user(uid: int | None) -> Callable[[], int]:
        def work() -> int:
            if uid is not None:
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
                _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)   # a uid change cleared it: /proc/self is root's
            outer = os.geteuid()
            e = _unshare(CLONE_NEWUSER)
            if e:
                return e
            try:
                with open("/proc/self/uid_map", "w") as f:
                    f.write(f"0 {outer} 1\n")
            except OSError:
                return UID_MAP_FAILED
            return 0
        return work
    tried = []
    if os.geteuid() == 0:
        tried.append(f"as root: {_why(_in_child(as_user(None)))}")
        code = _in_child(as_user(NOBODY))
        tried.append(f"as nobody: {_why(code)}")
    else:
        code = _in_child(as_user(None))
        tried.append(f"as uid {os.geteuid()}: {_why(code)}")
    return Feature("user namespaces", code == 0, f"unshare(CLONE_NEWUSER) {'; '.join(tried)}; {shown}",
                   (ROOTLESS,), "" if code == 0 else control or "CONFIG_USER_NS")


def probe_fsopen() -> Feature:
    """fsopen/fsmount of a tmpfs mounted nowhere (platform.host.detached_tmpfs): the disk limit."""
    try:
        fd = host.detached_tmpfs(1 << 20)
    except OSError as e:
        return Feature("fsopen tmpfs", False,
                       f"detached tmpfs: {_why(e.errno or 255)}; the writable layer goes to /dev/shm, "
                       "with no disk limit", (), "Linux 5.2 and later, CAP_SYS_ADMIN")
    os.close(fd)
    return Feature("fsopen tmpfs", True, "a 1M detached tmpfs made and closed (--limit disk)")


def probe_cgroups() -> list[Feature]:
    """The controllers the sandbox's limits use, found as platform/cgroup.py finds them; only looked at."""
    found = cgroup.hierarchies()
    use, missing = cgroup.plan(found, set(cgroup.RESOURCES))
    out = []
    for res in cgroup.RESOURCES:
        name = f"cgroup {res}"
        if res in missing:
            out.append(Feature(name, False, missing[res] + "; the guest kernel counts instead", (),
                               "mount cgroup2 (or a v1 hierarchy) with the controller"))
            continue
        h = use[res]
        ctrl = res if h.version == 2 or res != "cpu" else "cpuacct"
        # Where make() would put the sandbox's cgroup (cgroup.py): under our own
        # cgroup, or for v2 with controllers to hand down, under the root too.
        bases = [h.own] if h.version == 1 or res == "cpu" else list(dict.fromkeys([h.own, ""]))
        where = next((h.path(b) for b in bases if os.access(h.path(b), os.W_OK | os.X_OK)), None)
        if where is None:
            out.append(Feature(name, False, f"cgroup v{h.version} {ctrl} at {h.path(bases[0])}, not writable; "
                               "the guest kernel counts instead", (), "a writable (delegated) cgroup"))
        else:
            out.append(Feature(name, True, f"cgroup v{h.version} {ctrl}, writable at {where}"))
    return out


TOOLS = (("pasta", "bench only (an engine compared with slirp4netns)", "the passt package"),
         ("slirp4netns", "--network user's engine, root and rootless", "the slirp4netns package"),
         ("runsc", "bench only (gVisor)", "the runsc package"),
         ("proot", "bench only", "the proot package"))


def probe_tools() -> list[Feature]:
    out = []
    for name, use, package in TOOLS:
        path = shutil.which(name)
        out.append(Feature(name, path is not None, f"{path or 'not on PATH'}: {use}", (),
                           "" if path else package))
    return out


PROBES: list[Callable[[], Feature | list[Feature]]] = [
    probe_kernel, probe_root, probe_seccomp, probe_pidfd, probe_ptrace, probe_netns, probe_userns,
    probe_fsopen, probe_cgroups, probe_tools,
]


# ------------------------------------------------------------------ the verdict

def _missing(features: dict[str, Feature], mode: str) -> list[Feature]:
    return [f for f in features.values() if mode in f.needed_by and not f.present]


def _named(missing: list[Feature]) -> str:
    return ", ".join(f.name + (f" ({f.control})" if f.control else "") for f in missing)


def check() -> Report:
    """Probe every feature (the functions in PROBES, looked up at call time) and decide the mode."""
    features: dict[str, Feature] = {}
    for probe in PROBES:
        found = globals()[probe.__name__]()            # so that a test may monkeypatch a probe
        for f in found if isinstance(found, list) else [found]:
            features[f.name] = f
    root = os.geteuid() == 0
    if root:
        need = [f for f in _missing(features, ROOT) if f.name != "root"]
    else:
        need = [features["root"]] if "root" in features else []
    rootless = _missing(features, ROOTLESS)
    if root and not need:
        mode, summary = ROOT, "mode: root (full isolation)"
        optional = [f.name for f in features.values()
                    if not f.present and f.name.startswith(("cgroup", "fsopen"))]
        if optional:
            summary += f"; without {', '.join(optional)}: the guest kernel enforces those limits itself"
    elif root:
        mode, summary = "", f"cannot run: {_named(need)}"
    elif rootless:
        mode, summary = "", f"cannot run: rootless mode needs {_named(rootless)}"
    else:
        mode = ROOTLESS
        summary = "mode: rootless (a user namespace of the guest's own; the guest runs as your uid)"
        optional = [f.name for f in features.values()
                    if not f.present and f.name.startswith(("cgroup", "fsopen"))]
        if optional:
            summary += f"; without {', '.join(optional)}: the guest kernel enforces those limits itself"
    kernel = features["kernel"].detail if "kernel" in features else os.uname().release
    return Report(features, kernel, root, mode, bool(mode), summary)


def print_report(report: Report, out: IO[str] | None = None) -> None:
    out = out or sys.stdout
    width = max(len(n) for n in report.features) if report.features else 0
    for f in report.features.values():
        need = f"  [{', '.join(f.needed_by)}]" if f.needed_by else ""
        fix = f"  (needs {f.control})" if f.control and not f.present else ""
        out.write(f"{f.name:{width}}  {'present' if f.present else 'missing':7}  {f.detail}{need}{fix}\n")
    out.write(report.summary + "\n")


def main(as_json: bool = False, out: IO[str] | None = None) -> int:
    """`umlpy check [--json]`: 0 if umlpy can run here, 1 if it cannot."""
    out = out or sys.stdout
    report = check()
    if as_json:
        json.dump(report.as_json(), out, indent=2)
        out.write("\n")
    else:
        print_report(report, out)
    return 0 if report.can_run else 1
