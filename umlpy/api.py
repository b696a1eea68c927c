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
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import weakref
from pathlib import Path
from typing import IO, Mapping, Sequence

from umlpy.abi.errno import KernelError
from umlpy.fsimpl.layout import build_vfs
from umlpy.kernel.kernel import NOBODY, Config, Kernel, Report
from umlpy.kernel.limits import parse_limits
from umlpy.platform.ptrace.backend import PtracePlatform
from umlpy.syscalls import linux64
from umlpy.trace import format as trace_format

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


def default_rootfs() -> Path:
    env = os.environ.get("UMLPY_ROOTFS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "rootfs" / "image"


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


SYSCALL_TABLE = linux64.TABLE      # what `umlpy syscalls` prints


def new_kernel(config: Config) -> Kernel:
    """A guest kernel for `config`, wired to the x86-64 table, the sandbox's
    file systems and the strace formatter (the kernel imports none of them)."""
    return Kernel(config, platform=PtracePlatform(), table=SYSCALL_TABLE, build_vfs=build_vfs,
                  formatter=trace_format)


class ConfigError(ValueError):
    """A sandbox setting is wrong (the command line reports it as a usage error)."""


class LaunchError(Exception):
    """The guest could not be started; `status` is what a shell would exit with."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


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


def launch(config: Config, argv: Sequence[str]) -> Kernel:
    """A started guest kernel running `argv` as guest init, ready for `run()`.

    ConfigError for a bad working directory; LaunchError (status 127 for a
    missing program, 126 otherwise) when the guest cannot start.
    """
    kernel = new_kernel(config)
    check_workdir(kernel)
    try:
        kernel.start(list(argv))
    except Exception as e:
        kernel.shutdown()
        raise LaunchError(f"{getattr(e, 'why', '') or e}", 127 if getattr(e, "errno", 0) == 2 else 126) from e
    return kernel


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


class Sandbox:
    """An isolated guest userland to run commands in (see the module docstring)."""

    def __init__(self, rootfs: str | os.PathLike | None = None, *,
                 mounts: Sequence[str | Sequence[str]] = (), env: Mapping[str, str] | None = None,
                 cwd: str = "/", hostname: str = "umlpy", persist: str | os.PathLike | None = None,
                 trace: IO[str] | None = None, strict: bool = False, cpu: int | str | None = "auto",
                 host_uid: int = NOBODY, limits: Mapping[str, int | str] | None = None) -> None:
        self.rootfs = Path(rootfs) if rootfs is not None else default_rootfs()
        if not self.rootfs.is_dir():
            raise SandboxError(f"rootfs {self.rootfs} is not a directory "
                               "(build the default one with: python3 -m umlpy.image build)")
        self.binds = [parse_mount(m) for m in mounts]
        self.limits = parse_limits(limits)
        self.env = dict(DEFAULT_ENV if env is None else env)
        self.cwd, self.hostname, self.trace, self.strict = cwd, hostname, trace, strict
        self.cpu, self.host_uid = cpu, host_uid
        self._own_persist = persist is None
        self.persist = Path(persist) if persist is not None else Path(
            tempfile.mkdtemp(prefix="umlpy-sandbox.", dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
        # The private writable layer goes when the Sandbox is closed, collected,
        # or at the latest when the interpreter exits.
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.persist), ignore_errors=True) \
            if self._own_persist else None

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

    def config(self, stdio: tuple[int, int, int], **overrides) -> Config:
        cfg = Config(rootfs=self.rootfs, binds=self.binds, env=self.env, cwd=self.cwd,
                     hostname=self.hostname, persist=self.persist, trace=self.trace,
                     strict=self.strict or self.trace is not None, stdio=stdio, cpu=self.cpu,
                     host_uid=self.host_uid, limits=self.limits)
        for k, v in overrides.items():
            setattr(cfg, k, v)
        return cfg

    def run(self, args: Sequence[str], *, input: bytes | str | None = None, stdin=None,
            stdout=PIPE, stderr=PIPE, capture_output: bool | None = None,
            timeout: float | None = None, text: bool = False, check: bool = False,
            env: Mapping[str, str] | None = None, cwd: str | None = None) -> CompletedProcess:
        """Run `args` as guest init; like subprocess.run, output captured as bytes by default."""
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

        def supervise() -> None:
            # The tracer is this one thread: it forks guest init, and its
            # waitpid(__WNOTHREAD) sees only the guest, never other children
            # of the calling program.
            try:
                kernel.start(list(args))
            except Exception as e:
                kernel.shutdown()
                outcome["error"] = e
                return
            started.set()
            outcome["status"] = kernel.run()

        started = threading.Event()
        supervisor = threading.Thread(target=supervise, name="umlpy-supervisor", daemon=True)
        timer = None
        try:
            supervisor.start()
            while supervisor.is_alive() and not started.wait(0.05):
                pass
            if "error" in outcome:
                e = outcome["error"]
                raise SandboxError(f"cannot start {args[0]!r}: {getattr(e, 'why', '') or e}") from e
            io.start()
            if timeout is not None:
                timer = threading.Timer(timeout, kernel.timeout)
                timer.daemon = True
                timer.start()
            supervisor.join()
            status = outcome.get("status", 0)
        finally:
            if timer is not None:
                timer.cancel()
            out, err = io.finish()
        if kernel.killed_by_timeout:
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
        for name, spec, default in (("stdout", stdout, 1), ("stderr", stderr, 2)):
            if spec == PIPE:
                r, w = os.pipe()
                self.fds.append(w)
                self.close_after_start.append(w)
                self._readers.append((name, r))
            else:
                self.fds.append(self._fd(spec, default))

    def _fd(self, spec, default: int) -> int:
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
        for t in self.threads:
            t.start()

    def abort(self) -> None:
        for fd in self.close_after_start:
            os.close(fd)
        for _, r in self._readers:
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
