"""The Python API: run programs in a sandbox the way subprocess runs them on the host.

    from umlpy import Sandbox
    with Sandbox(rootfs="rootfs/image", mounts=[("/data", "/mnt", "ro")]) as sb:
        r = sb.run(["sh", "-c", "echo hi > /tmp/x; cat /tmp/x"], timeout=5)
        r.returncode, r.stdout, r.report.files_written

A Sandbox is a guest userland whose writable layer lives as long as the
Sandbox does (or in `persist` across Sandboxes); each run() boots a fresh
guest kernel on it whose init is the command, and returns a
`CompletedProcess` with a `report` of what the guest did.  A timeout kills
the whole sandbox and raises `SandboxTimeout`.

`Stopper` stops a running sandbox the way `docker stop` stops a container;
the command line (umlpy run, trace, boot) and Sandbox.run share it.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import weakref
from pathlib import Path
from typing import IO, Callable, Mapping, Sequence

from umlpy.abi.errno import KernelError
from umlpy.fsimpl.devfs import Devpts
from umlpy.fsimpl.layout import build_vfs
from umlpy.fsimpl import persist as _persist
from umlpy.fsimpl.persist import PersistError
from umlpy.abi.linux import RESOLVE_IN_ROOT
from umlpy.kernel.creds import Creds
from umlpy.kernel.kernel import NOBODY, REPORT_CAP, Config, Kernel, Report
from umlpy.kernel.network import (  # noqa: F401 (parse_*: for cli)
    NetworkError,
    NetworkSpec,
    parse_mode,
    parse_publish,
    parse_rule,
)
from umlpy.kernel.limits import (  # noqa: F401 (help: for cli)
    LIMITS_HELP,
    ULIMITS_HELP,
    parse_limits,
    parse_size,
    parse_ulimits,
)
from umlpy.platform import cgroup as cgroups
from umlpy.platform import host
from umlpy.platform.interface import HostFeatureMissing
from umlpy.platform.ptrace.backend import PtracePlatform
from umlpy.platform.ptrace.seccomp import build_filter
from umlpy.syscalls import linux64

PIPE = subprocess.PIPE
DEVNULL = subprocess.DEVNULL
DEFAULT_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "HOME": "/root", "TERM": "dumb"}


class SandboxError(RuntimeError):
    """The sandbox could not start the command (bad rootfs, missing program, ...)."""


class SandboxTimeout(subprocess.TimeoutExpired):
    """The command ran past its timeout; the whole sandbox was killed."""


class CompletedProcess(subprocess.CompletedProcess):
    """subprocess.CompletedProcess plus `report`: what the guest did."""

    def __init__(self, args, returncode, stdout=None, stderr=None, report: Report | None = None):
        super().__init__(args, returncode, stdout, stderr)
        self.report = report if report is not None else Report()


def default_rootfs(*, rebuild: bool = False) -> Path:
    """The default userland: $UMLPY_ROOTFS if set, else the per-user store's.

    The store's (umlpy.image.store: $UMLPY_HOME, /var/lib/umlpy for root,
    else ~/.local/share/umlpy) is built on first use, with progress lines on
    stderr, and rebuilt when `rebuild` is true (then $UMLPY_ROOTFS is ignored).
    """
    env = os.environ.get("UMLPY_ROOTFS")
    if env and not rebuild:
        return Path(env)
    from umlpy.image import store  # deferred: only a sandbox without a rootfs needs it
    return store.build_default() if rebuild else store.ensure_default()


def resolve_rootfs(value: str | os.PathLike) -> Path:
    """A rootfs argument: the NAME of a rootfs in the store (a value without '/' that
    names one: ``umlpy rootfs import NAME ...``), else a directory."""
    if isinstance(value, str) and "/" not in value:
        from umlpy.image import importer  # deferred, as in default_rootfs
        found = importer.lookup(value)
        if found is not None:
            return found
    return Path(value)


DEFAULT_TMPFS_SIZE = 64 << 20


def parse_mount(spec: str | Sequence[str]) -> tuple[str, str, bool]:
    """("HOST", "GUEST"[, "ro"|"rw"]) or "HOST:GUEST[:ro]" -> (host, guest, readonly)."""
    parts = spec.split(":") if isinstance(spec, str) else list(spec)
    if len(parts) not in (2, 3) or not parts[0] or not parts[1].startswith("/"):
        raise ValueError(f"bad mount {spec!r}: expected HOST:GUEST[:ro] with an absolute GUEST")
    if len(parts) == 3 and parts[2] not in ("ro", "rw"):
        raise ValueError(f"bad mount option {parts[2]!r}: expected ro or rw")
    host = os.path.abspath(parts[0])
    if not os.path.isdir(host):
        raise ValueError(f"bad mount {spec!r}: {host} is not a directory")
    return host, parts[1], len(parts) == 3 and parts[2] == "ro"


def parse_tmpfs(spec: str) -> tuple[str, int, int]:
    """docker's --tmpfs PATH[:OPTIONS] -> (guest path, size, mode).

    OPTIONS is a comma list of size=SIZE (64M, 1G; default 64M), mode=OCTAL
    (default 1777) and the flags rw, nosuid, nodev, noexec which change
    nothing (a tmpfs is always nosuid and nodev on the host)."""
    path, _, opts = spec.partition(":")
    if not path.startswith("/"):
        raise ValueError(f"bad --tmpfs {spec!r}: expected an absolute PATH[:size=SIZE,mode=MODE]")
    size, mode = DEFAULT_TMPFS_SIZE, 0o1777
    for opt in filter(None, opts.split(",")):
        key, _, value = opt.partition("=")
        if key == "size" and value:
            try:
                size = parse_size(value)
            except ValueError:
                size = None
            if size is None:
                raise ValueError(f"bad --tmpfs size {value!r}: expected a size like 64M or 1G")
        elif key == "mode" and value and all(c in "01234567" for c in value):
            mode = int(value, 8) & 0o7777
        elif opt not in ("rw", "nosuid", "nodev", "noexec", "exec", "suid", "dev"):
            raise ValueError(f"bad --tmpfs option {opt!r}: expected size=SIZE or mode=OCTAL")
    return path, size, mode


def _rootfs_table(rootfs: Path, name: str) -> list[list[str]]:
    """The lines of the rootfs's /etc/NAME (passwd, group) split at ':', read inside the
    rootfs (openat2 RESOLVE_IN_ROOT: a symlink in it cannot point at the host's)."""
    try:
        root = os.open(rootfs, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            fd = host.openat2(root, f"etc/{name}", os.O_RDONLY | os.O_CLOEXEC, 0, RESOLVE_IN_ROOT)
        finally:
            os.close(root)
        with open(fd, "rb") as f:
            text = f.read(1 << 20).decode(errors="replace")
    except OSError:
        return []
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def parse_user(rootfs: str | os.PathLike, spec: str) -> tuple[Creds, str | None]:
    """docker's --user: NAME|UID[:GROUP|GID] -> (the guest credentials, the home directory).

    A name must be in the rootfs's /etc/passwd, which gives the uid, the
    group and the home; a number needs no entry (its group is then 0, as in
    docker).  The supplementary groups are the user's in /etc/group."""
    who, _, group = str(spec).partition(":")
    if not who:
        raise ValueError(f"bad user {spec!r}: expected NAME|UID[:GROUP|GID]")
    users = {e[0]: e for e in _rootfs_table(Path(rootfs), "passwd") if len(e) >= 7}
    by_uid = {e[2]: e for e in reversed(list(users.values()))}
    entry = users.get(who) if not who.isdigit() else by_uid.get(who)
    if entry is None and not who.isdigit():
        raise ValueError(f"unknown user {who!r}: not in the rootfs's /etc/passwd")
    uid = int(who) if who.isdigit() else int(entry[2])
    gid = int(entry[3]) if entry is not None and entry[3].isdigit() else 0
    groups = _rootfs_table(Path(rootfs), "group")
    if group:
        if group.isdigit():
            gid = int(group)
        else:
            match = [g for g in groups if len(g) >= 3 and g[0] == group and g[2].isdigit()]
            if not match:
                raise ValueError(f"unknown group {group!r}: not in the rootfs's /etc/group")
            gid = int(match[0][2])
    if uid > 0xFFFFFFFE or gid > 0xFFFFFFFE:
        raise ValueError(f"bad user {spec!r}: ids go up to 4294967294")
    name = entry[0] if entry is not None else None
    extra = sorted({int(g[2]) for g in groups if len(g) >= 4 and g[2].isdigit() and name
                    and name in g[3].split(",")} - {gid})
    creds = Creds(uid, uid, uid, gid, gid, gid, [gid, *extra] if extra else [])
    return creds, (entry[5] if entry is not None else None)


SYSCALL_TABLE = linux64.TABLE      # what `umlpy syscalls` prints


def console_ptys() -> tuple[Devpts, Callable[[], tuple[int, int, str]]]:
    """The sandbox's devpts instance, made before the sandbox, and the console's pty
    maker (terminal.Console's `openpty`): a pty of that instance, which the guest
    sees as /dev/pts/0 as in a container; a host pty where the host gives no
    instance (the guest then sees its terminal as /dev/console).  Pass the
    instance on as Config.devpts."""
    devpts = Devpts()

    def openpty() -> tuple[int, int, str]:
        try:
            return devpts.openpty()
        except (OSError, KernelError):
            master, slave = os.openpty()
            return master, slave, os.ttyname(slave)
    return devpts, openpty


class _LazyFormatter:
    """umlpy.trace.format, imported on first use: it loads python-ptrace's
    prototype and flag tables (about 16 ms), which only a traced run, or a run
    that logs a denied call, ever reads."""

    def __getattr__(self, name: str):
        from umlpy.trace import format as trace_format
        return getattr(trace_format, name)


def new_kernel(config: Config) -> Kernel:
    """A guest kernel for `config`, wired to the x86-64 table, the sandbox's
    file systems and the strace formatter (the kernel imports none of them).
    A persist directory that cannot be used (not a directory, corrupt, in use
    by another sandbox) is a ConfigError."""
    try:
        return Kernel(config, platform=PtracePlatform(), table=SYSCALL_TABLE, build_vfs=build_vfs,
                      formatter=_LazyFormatter())
    except (PersistError, NetworkError) as e:
        raise ConfigError(str(e)) from None


class ConfigError(ValueError):
    """A sandbox setting is wrong (the command line reports it as a usage error)."""


class LaunchError(Exception):
    """The guest could not be started; `status` is what a shell would exit with."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def network_spec(network: str = "none", publish: Sequence[str] = (), allow_net: Sequence[str] = (),
                 deny_net: Sequence[str] = ()) -> NetworkSpec:
    """The sandbox's network from the command line's words: --network MODE, -p SPEC...,
    --allow-net RULE..., --deny-net RULE... (kernel/network.py).  ConfigError if one is bad."""
    try:
        spec = NetworkSpec(parse_mode(network), [parse_publish(p) for p in publish],
                           [parse_rule(r) for r in allow_net], [parse_rule(r) for r in deny_net])
    except NetworkError as e:
        raise ConfigError(str(e)) from None
    if spec.mode == "none" and (spec.allow or spec.deny):
        raise ConfigError("--allow-net and --deny-net need --network user: with --network none "
                          "nothing leaves the sandbox")
    return spec


def check_workdir(kernel: Kernel) -> None:
    """The configured working directory must be a directory in the guest's view."""
    cwd = kernel.config.cwd
    try:
        lk = kernel.vfs.resolve(cwd)
        ok = lk.st is not None and lk.st.is_dir
    except KernelError:
        ok = False
    if not ok:
        kernel.shutdown()
        raise ConfigError(f"bad --workdir {cwd!r}: not a directory in the guest")


def warm_up() -> None:
    """Do ahead, once, the work every sandbox of the default table repeats: assemble its
    seccomp filter.  A warm server (warm.py) calls it before it forks supervisors."""
    build_filter(SYSCALL_TABLE.native_numbers(), strict=False)


def starting() -> None:
    """A sandbox will start in this process or a child of it in a few ms: begin the wait
    for the host's first cgroup move now (platform/cgroup.py Warmer; it stops itself)."""
    cgroups.warmer()


def keep_warm(seconds: float) -> None:
    """Sandboxes come in a row here (a warm server's runs): keep the host's cgroup lock
    warm for `seconds` more, so that the next one's cgroup move does not wait for a
    fresh RCU grace period (platform/cgroup.py Warmer: 10-20 ms on this VM)."""
    cgroups.warmer(seconds)


def serving(pid: int) -> None:
    """This process is the supervisor of the umlpy command `pid` (a warm server's
    child, warm.py): what names a sandbox's holder (a --persist lock) names that command."""
    _persist.SERVING = pid


def launch(config: Config, argv: Sequence[str]) -> Kernel:
    """A started guest kernel running `argv` as guest init, ready for `run()`.

    ConfigError for a bad working directory; LaunchError (status 127 for a
    missing program, 126 otherwise) when the guest cannot start.
    """
    kernel = new_kernel(config)
    check_workdir(kernel)
    _LAUNCHED.add(kernel)
    try:
        kernel.start(list(argv))
    except Exception as e:
        kernel.shutdown()
        if isinstance(e, HostFeatureMissing):
            raise ConfigError(e.strerror) from None
        raise LaunchError(why(e), 127 if getattr(e, "errno", 0) == 2 else 126) from e
    return kernel


_LAUNCHED: weakref.WeakSet[Kernel] = weakref.WeakSet()    # kernels launch() made here


def abandon() -> None:
    """Whoever this process runs sandboxes for is gone (a warm server's client was killed),
    and this process is about to end as abruptly: kill every guest of every kernel launch()
    made and remove their cgroups, from any thread.  The rest (a copy-up half done, the
    state directory) is left as a killed supervisor leaves it, for the next start."""
    for kernel in list(_LAUNCHED):
        kernel.kill_all()
        kernel.enforcement.close()


def why(e: BaseException) -> str:
    """A failure in words: a KernelError's reason, or its errno's, never a raw tuple."""
    if isinstance(e, KernelError):
        return e.why or os.strerror(e.errno)
    return str(e)


def exit_code(status: int) -> int:
    """A wait status as a shell would report it: the code, or 128+N for signal N."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def print_report(report: Report, out: IO[str] | None = None) -> None:
    """The run report as text (`umlpy run --report`)."""
    w = (out or sys.stderr).write
    w(f"umlpy report: {sum(report.syscalls.values())} stopped syscalls, "
      f"{len(report.processes)} processes\n")
    for p in report.processes:
        runs = "; ".join(" ".join(e[1:]) or e[0] for e in p["execs"]) or "(no exec)"
        w(f"  pid {p['pid']:<4} ppid {p['ppid']:<4} status {p.get('status', '?')!s:<4} {runs}\n")
    for name, n in report.syscalls.most_common(10):
        w(f"  {name:20} {n}\n")
    for path in sorted(report.files_written):
        w(f"  wrote {path}\n")
    for line in report.denied:
        w(f"  denied {line}\n")
    for what, n in report.more.items():
        w(f"  ... and {n} more {what.replace('_', ' ')} (the report keeps the first {REPORT_CAP})\n")
    if report.mode:
        w(f"  mode {report.mode}\n")
    for d in report.network:
        w(f"  net {d['verdict']:7} {d['proto']} {d['address']}:{d['port']}  "
          f"{d['packets']} packets, {d['bytes']} bytes out\n")
    for name, how in report.limits.items():
        w(f"  limit {name:10} {how}\n")
    for name, what in report.limit_hit.items():
        w(f"  limit hit: {name}: {what}\n")
    used = []
    if "cpu_seconds" in report.usage:
        used.append(f"{report.usage['cpu_seconds']:.2f} s of CPU")
    if "memory_peak" in report.usage:
        used.append(f"{report.usage['memory_peak'] / (1 << 20):.1f} MiB of memory at the peak")
    if "tasks_peak" in report.usage:
        used.append(f"{report.usage['tasks_peak']} tasks at the peak")
    if used:
        w(f"  used {', '.join(used)}\n")


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
DEFAULT_STOP_TIMEOUT = 10.0
_REKILL_EVERY = 0.05


class Stopper:
    """Stops a running sandbox the way `docker stop` stops a container.

    The first `request(sig)` sends `sig` to guest init and gives the guest
    `grace` seconds to end.  When the grace period ends, or when a second
    request comes, `kill()` kills the whole sandbox.  The guest's status is
    then its own if it ended in time, or "killed by SIGKILL".

    The grace timer and the killing run in threads, not in a SIGALRM
    handler.  Sandbox.run supervises from a thread of its own, and signal
    handlers run only in the main thread.  A library must not take SIGALRM
    from its caller, either.  A SIGKILL sent from another thread still ends
    the stop loop's blocking waitpid, through the deaths it causes.  A signal
    handler calls `request` and `kill`; they never wait for a lock, and they
    only set flags, send signals and start threads.
    """

    def __init__(self, grace: float = DEFAULT_STOP_TIMEOUT) -> None:
        self.grace = grace
        self.kernel: Kernel | None = None
        self.tracer = 0                  # host tid of the supervising thread (the ptrace tracer)
        self.requests: list[int] = []    # stop signals received, in order
        self.killed = ""                 # why the sandbox was killed: "stop", "timeout", ...
        self._kill_early = ""            # kill() before attach(): kill at once when attached
        self._kill_once = threading.Lock()
        self._done = threading.Event()
        self._timer: threading.Timer | None = None

    def attach(self, kernel: Kernel) -> None:
        """Called by the supervising thread before it runs `kernel`; applies early requests."""
        self.kernel, self.tracer = kernel, threading.get_native_id()
        if self._kill_early:
            self.kill(self._kill_early)
        elif len(self.requests) > 1:
            self.kill()
        elif self.requests:
            self._ask(self.requests[0])

    def request(self, sig: int) -> None:
        """A stop signal for the sandbox (SIGTERM to `umlpy run`, ...)."""
        self.requests.append(sig)
        if self.kernel is None:
            return                       # not started yet: attach() applies it
        if len(self.requests) == 1:
            self._ask(sig)
        else:
            self.kill()

    def _ask(self, sig: int) -> None:
        init = self.kernel.init
        if init is not None and init.alive:
            try:
                os.kill(init.host_pid, sig)
            except ProcessLookupError:
                pass
        self._timer = threading.Timer(max(self.grace, 0.0), self.kill)
        self._timer.daemon = True
        self._timer.start()

    def kill(self, reason: str = "stop") -> bool:
        """Kill every guest process now, and again every 50 ms until `close()`.

        False if the sandbox is already being killed, or its stop loop has ended."""
        if self.kernel is None:
            self._kill_early = reason
            return False
        if self._done.is_set() or not self._kill_once.acquire(blocking=False):
            return False
        self.killed = reason
        threading.Thread(target=self._kill_until_done, name="umlpy-kill", daemon=True).start()
        return True

    def _kill_until_done(self) -> None:
        # One round is not always enough: a child forked just before the kill
        # is first seen after it, and its parent's fork event never comes, so
        # the guest kernel may never hear of it.  Every guest thread is
        # traced by the supervising thread, though, so each round also kills
        # every process whose TracerPid is that thread, and the rounds go on
        # until the stop loop has seen the last one die.  The supervising
        # thread calls close() before it ends, so its tid is never looked for
        # after another thread may have taken it.
        while not self._done.is_set():
            self.kill_round()
            self._done.wait(_REKILL_EVERY)

    def kill_round(self) -> None:
        """SIGKILL to every guest thread the guest kernel knows and every process the tracer traces."""
        self.kernel.kill_all()
        for pid in traced_by(self.tracer):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close(self) -> None:
        """The stop loop has ended: no more timers and no more killing."""
        self._done.set()
        if self._timer is not None:
            self._timer.cancel()


def traced_by(tracer: int) -> list[int]:
    """Host pids of the processes whose leader is traced by thread `tracer`.

    Run from another thread than the tracer, a pid found here may die and be
    reaped before it is killed; it would take a full wrap of the pid space in
    between for the kill to reach another process.
    """
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as f:
                for line in f:
                    if line.startswith(b"TracerPid:"):
                        if int(line.split()[1]) == tracer:
                            pids.append(int(name))
                        break
        except (OSError, ValueError):
            pass
    return pids


def _remove_stale_layers(parent: str) -> None:
    """Writable layers of Sandboxes whose process died without removing them (SIGKILL)."""
    for name in os.listdir(parent):
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "umlpy-sandbox" and parts[1].isdigit() \
                and not os.path.exists(f"/proc/{parts[1]}"):
            shutil.rmtree(os.path.join(parent, name), ignore_errors=True)


_LIVE: weakref.WeakSet[Sandbox] = weakref.WeakSet()   # Sandboxes with a private layer


def _on_sigterm(sig: int, _frame) -> None:
    """SIGTERM at its default action ends the process with no cleanup at all.
    So while a Sandbox with a private layer lives, this handler stands in:
    it kills their guests, removes their layers, and then ends the process
    by SIGTERM at its default action, as the caller expected."""
    for sb in list(_LIVE):
        sb._abandon()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _watch_sigterm() -> None:
    # Only in place of the default action, and only from the main thread
    # (signal.signal's rule): a handler of the caller's own is left alone,
    # and it decides how the process ends (SystemExit runs the finalizers).
    if threading.current_thread() is threading.main_thread() \
            and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


def _unwatch_sigterm() -> None:
    if threading.current_thread() is threading.main_thread() \
            and signal.getsignal(signal.SIGTERM) is _on_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


class Sandbox:
    """An isolated guest userland to run commands in (see the module docstring)."""

    def __init__(self, rootfs: str | os.PathLike | None = None, *,
                 mounts: Sequence[str | Sequence[str]] = (), env: Mapping[str, str] | None = None,
                 cwd: str = "/", hostname: str = "umlpy", persist: str | os.PathLike | None = None,
                 trace: IO[str] | None = None, strict: bool = False, cpu: int | str | None = "auto",
                 host_uid: int = NOBODY, limits: Mapping[str, int | str | None] | None = None,
                 ulimits: Mapping[str, int | str | tuple] | None = None,
                 tmpfs: Sequence[str] = (), user: str | int | None = None,
                 network: str = "none", publish: Sequence[str] = (), allow_net: Sequence[str] = (),
                 deny_net: Sequence[str] = ()) -> None:
        self.rootfs = resolve_rootfs(rootfs) if rootfs is not None else default_rootfs()
        if not self.rootfs.is_dir():
            raise SandboxError(f"rootfs {self.rootfs} is not a directory "
                               "(build the default one with: python3 -m umlpy.image build)")
        self.binds = [parse_mount(m) for m in mounts]
        self.limits = parse_limits(limits)          # sandbox-wide, defaults filled in
        self.ulimits = parse_ulimits(ulimits)       # per process
        self.tmpfs = [parse_tmpfs(t) for t in tmpfs]   # "PATH[:size=SIZE,mode=MODE]": a tmpfs of its own
        self.env = dict(DEFAULT_ENV if env is None else env)
        self.user, home = parse_user(self.rootfs, str(user)) if user is not None else (None, None)
        if home is not None and env is None:           # the user's own HOME, as su - would
            self.env["HOME"] = home
        self.cwd, self.hostname, self.trace, self.strict = cwd, hostname, trace, strict
        self.cpu, self.host_uid = cpu, host_uid
        # "none" (lo only), "user" (outbound through slirp4netns, under the policy);
        # publish: ["[HOSTIP:]HOSTPORT:GUESTPORT[/tcp|/udp]", ...] (kernel/network.py)
        self.network = network_spec(network, publish, allow_net, deny_net)
        self._own_persist = persist is None
        self._running: set[Stopper] = set()
        if self._own_persist:
            self.persist, self._cleanup, self._storage = self._private_layer()
            _LIVE.add(self)
            _watch_sigterm()
        else:
            self.persist = Path(persist)
            self._cleanup = self._storage = None

    def _private_layer(self) -> tuple[Path, weakref.finalize, str | None]:
        """The writable layer every run of this Sandbox shares: in a tmpfs of the disk
        limit's size that is mounted nowhere (platform.host.detached_tmpfs), which
        dies with this process however it ends; each run keeps its /tmp there
        too (the third value, Config.storage), so that one limit holds both.  Where the host will not make one,
        a directory in /dev/shm, removed when the Sandbox is closed, collected, at
        interpreter exit or on SIGTERM (_watch_sigterm), and after a SIGKILL by
        the next Sandbox made on this host."""
        try:
            fd = host.detached_tmpfs(self.limits.get("disk") or 0)
        except OSError:
            shm = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
            _remove_stale_layers(shm)
            layer = tempfile.mkdtemp(prefix=f"umlpy-sandbox.{os.getpid()}.", dir=shm)
            return Path(layer), weakref.finalize(self, shutil.rmtree, layer, ignore_errors=True), None
        storage = host.fd_path(fd)
        layer = os.path.join(storage, "layer")
        os.mkdir(layer, 0o700)

        def drop() -> None:
            shutil.rmtree(layer, ignore_errors=True)       # the pages go now, even if an fd stays
            os.close(fd)
        return Path(layer), weakref.finalize(self, drop), storage

    # context manager: the private writable layer goes away with the sandbox
    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._cleanup is not None:
            self._cleanup()
        if self._own_persist:
            self.persist = None
            _LIVE.discard(self)
            if not _LIVE:
                _unwatch_sigterm()

    def _abandon(self) -> None:
        """The process is going (SIGTERM): kill what runs and remove what this Sandbox made."""
        for stopper in list(self._running):
            if stopper.kernel is not None:
                stopper.kill_round()
                shutil.rmtree(stopper.kernel.state_dir, ignore_errors=True)
                stopper.kernel.end_limits()         # its cgroups too
        self.close()

    def config(self, stdio: tuple[int, int, int], **overrides) -> Config:
        cfg = Config(rootfs=self.rootfs, binds=self.binds, env=self.env, cwd=self.cwd,
                     hostname=self.hostname, persist=self.persist, trace=self.trace,
                     strict=self.strict or self.trace is not None, stdio=stdio, cpu=self.cpu,
                     host_uid=self.host_uid, limits=self.limits, ulimits=self.ulimits, tmpfs=self.tmpfs,
                     storage=self._storage, user=self.user, network=self.network)
        for k, v in overrides.items():
            setattr(cfg, k, v)
        return cfg

    def run(self, args: Sequence[str], *, input: bytes | str | None = None, stdin=None,
            stdout=PIPE, stderr=PIPE, capture_output: bool | None = None,
            timeout: float | None = None, text: bool = False, check: bool = False,
            env: Mapping[str, str] | None = None, cwd: str | None = None) -> CompletedProcess:
        """Run `args` as guest init; like subprocess.run, output captured as bytes by default.

        The caller's terminal is never handed to the guest, which could change
        its modes or read keys behind job control's back: an inherited stdin
        that is a terminal becomes /dev/null, and inherited stdout/stderr
        terminals are fed through pipes (pass stdin=sys.stdin to hand it over)."""
        if isinstance(args, str):
            raise TypeError("args must be a list of strings, e.g. ['sh', '-c', 'echo hi']")
        if capture_output is False:
            stdout = stderr = None
        if self.persist is None:
            raise SandboxError("sandbox is closed")
        io = _GuestIO(input, stdin, stdout, stderr, text)
        overrides = {}
        if env is not None:
            overrides["env"] = dict(env)
        if cwd is not None:
            overrides["cwd"] = cwd
        try:
            kernel = new_kernel(self.config(io.child_fds(), **overrides))
        except Exception:
            io.abort()
            raise
        outcome: dict = {}
        stopper = Stopper()

        def supervise() -> None:
            # The tracer is this one thread: it forks guest init, and its
            # waitpid(__WNOTHREAD) sees only the guest, never other children
            # of the calling program.
            stopper.attach(kernel)
            try:
                try:
                    kernel.start(list(args))
                except Exception as e:
                    kernel.shutdown()
                    outcome["error"] = e
                    return
                started.set()
                outcome["status"] = kernel.run()
            finally:
                stopper.close()       # while this thread, the tracer, still holds its tid

        def on_timeout() -> None:
            if stopper.kill("timeout"):
                kernel.killed_by_timeout = True

        started = threading.Event()
        supervisor = threading.Thread(target=supervise, name="umlpy-supervisor", daemon=True)
        timer = None
        self._running.add(stopper)
        try:
            supervisor.start()
            while supervisor.is_alive() and not started.wait(0.05):
                pass
            if "error" in outcome:
                e = outcome["error"]
                raise SandboxError(f"cannot start {args[0]!r}: {why(e)}") from e
            io.start()
            if timeout is not None:
                timer = threading.Timer(timeout, on_timeout)
                timer.daemon = True
                timer.start()
            supervisor.join()
            status = outcome.get("status", 0)
        except BaseException:
            # KeyboardInterrupt, or SystemExit from the caller's signal
            # handler: the guest must not outlive this call.
            stopper.kill()
            supervisor.join(timeout=10)
            raise
        finally:
            stopper.close()
            self._running.discard(stopper)
            if timer is not None:
                timer.cancel()
            out, err = io.finish()
        if stopper.killed == "timeout":
            raise SandboxTimeout(list(args), timeout, output=out, stderr=err)
        rc = os.waitstatus_to_exitcode(status)
        result = CompletedProcess(list(args), rc, out, err, kernel.report)
        if check and rc != 0:
            raise subprocess.CalledProcessError(rc, list(args), out, err)
        return result


class _GuestIO:
    """The guest init's stdin/stdout/stderr, with threads feeding and draining pipes."""

    def __init__(self, input, stdin, stdout, stderr, text: bool) -> None:
        self.text = text
        self.threads: list[threading.Thread] = []
        self.close_after_start: list[int] = []
        self.results: dict[str, bytes] = {}
        if input is not None:
            data = input.encode() if isinstance(input, str) else input
            r, w = os.pipe()
            self.fds = [r]
            self.close_after_start.append(r)
            self._writer = (w, data)
        else:
            self._writer = None
            self.fds = [self._fd(stdin, 0)]
        self._readers = []
        self._forwards: list[tuple[int, int]] = []    # (pipe read end, the caller's terminal fd)
        for name, spec, default in (("stdout", stdout, 1), ("stderr", stderr, 2)):
            if spec == PIPE:
                r, w = os.pipe()
                self.fds.append(w)
                self.close_after_start.append(w)
                self._readers.append((name, r))
            elif spec is None and os.isatty(default):
                # The caller's terminal is not handed over: the guest could
                # change its modes (TCSETS) behind the caller's back.  Its
                # output reaches the terminal through a pipe instead.
                r, w = os.pipe()
                self.fds.append(w)
                self.close_after_start.append(w)
                self._forwards.append((r, default))
            else:
                self.fds.append(self._fd(spec, default))

    def _fd(self, spec, default: int) -> int:
        if spec is None and default == 0 and os.isatty(0):
            spec = DEVNULL          # never the caller's terminal unless stdin= names it (see below)
        if spec is None:
            return default
        if spec == DEVNULL:
            fd = os.open(os.devnull, os.O_RDONLY if default == 0 else os.O_WRONLY)
            self.close_after_start.append(fd)
            return fd
        if isinstance(spec, int):
            return spec
        return spec.fileno()

    def child_fds(self) -> tuple[int, int, int]:
        return self.fds[0], self.fds[1], self.fds[2]

    def start(self) -> None:
        for fd in self.close_after_start:
            os.close(fd)
        self.close_after_start = []
        if self._writer is not None:
            w, data = self._writer
            def feed() -> None:
                try:
                    with open(w, "wb", closefd=True) as f:
                        f.write(data)
                except (BrokenPipeError, OSError):
                    pass
            self.threads.append(threading.Thread(target=feed, daemon=True))
        for name, r in self._readers:
            def drain(name=name, r=r) -> None:
                with open(r, "rb", closefd=True) as f:
                    self.results[name] = f.read()
            self.threads.append(threading.Thread(target=drain, daemon=True))
        for r, to in self._forwards:
            def forward(r=r, to=to) -> None:
                with open(r, "rb", buffering=0, closefd=True) as f:
                    while chunk := f.read(1 << 16):
                        try:
                            os.write(to, chunk)
                        except OSError:
                            pass
            self.threads.append(threading.Thread(target=forward, daemon=True))
        for t in self.threads:
            t.start()

    def abort(self) -> None:
        for fd in self.close_after_start:
            os.close(fd)
        for _, r in self._readers:
            os.close(r)
        for r, _ in self._forwards:
            os.close(r)
        if self._writer is not None:
            os.close(self._writer[0])

    def finish(self):
        if self.close_after_start:          # never started
            self.abort()
            self.close_after_start = []
            return None, None
        for t in self.threads:
            t.join(timeout=10)
        out = self.results.get("stdout")
        err = self.results.get("stderr")
        if self.text:
            out = out.decode(errors="replace") if out is not None else None
            err = err.decode(errors="replace") if err is not None else None
        return out, err
