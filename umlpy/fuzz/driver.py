"""The fuzzer's driver: batches of guest fuzzing, the checks after each, and the report.

`fuzz()` compiles guest.c (gcc -static) into a work directory with the spec file
(specs.py, corpus.py) and runs batches, `jobs` at a time, each in a process of its own
(a supervisor is one Python thread: parallel batches need processes).  A batch is one
sandbox booted through the public API (`umlpy.api.launch`, as `umlpy run` does) with
the work directory at /fz (read-only) and a fresh host directory at /rw, whose init is
`/fz/guest run ...`.  Around the run the batch

  * records every internal error of the supervisor with the syscall that raised it: its
    strace-like line, raw arguments, what each descriptor argument was on the host, and
    the innermost umlpy frame (Kernel.internal_error is wrapped on the instance);
  * notes a supervisor crash (Kernel.run raising), a timeout, a guest init that did not
    exit 0, and the guest's own reports (a worker killed inside a call, a call stuck for
    20 s);
  * checks host invariants: no setuid/setgid file, device node or security xattr in the
    mapped directories, the persist directory or the sandbox's state directory (scanned
    just before the sandbox removes it); no process left in the sandbox's network
    namespace; no /dev/shm entry of this supervisor left; no new host mount.

The report adds the batches up: calls, calls per second, the internal errors
deduplicated by (exception type, syscall, raising frame), and the coverage of the served
rows of the syscall table (called at least once, succeeded at least once).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import multiprocessing
import multiprocessing.connection
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import umlpy.fuzz.corpus as corpus
import umlpy.fuzz.specs as specs
from umlpy.api import DEFAULT_ENV, Config, ConfigError, LaunchError, default_rootfs, launch, parse_limits

HERE = Path(__file__).resolve().parent
GUEST_SOURCE = HERE / "guest.c"
ARENA = (0x100000000000, 0x100000000000 + 0x100000)      # guest.c's ARENA .. past its last page
NAMES = {e.nr: e.name for e in specs.entries()}
KINDS = {e.nr: e.spec.kinds for e in specs.entries()}


# ------------------------------------------------------------------ preparing
class UsageError(ValueError):
    """A bad setting of the fuzzer (the command line reports it with status 2)."""


def build_workdir(workdir: Path, skip: frozenset[str] = frozenset(), only: frozenset[str] = frozenset()) -> Path:
    """guest (compiled) and spec.txt in `workdir`, which the batches mount at /fz."""
    workdir.mkdir(parents=True, exist_ok=True)
    source = GUEST_SOURCE.read_bytes()
    exe = workdir / "guest"
    stamp = workdir / "guest.sha256"
    digest = hashlib.sha256(source).hexdigest()
    if not exe.exists() or not stamp.exists() or stamp.read_text() != digest:
        cmd = ["gcc", "-static", "-O2", "-pthread", "-o", str(exe), str(GUEST_SOURCE)]
        r = subprocess.run(cmd, check=False, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"cannot compile the fuzz guest ({' '.join(cmd)}):\n{r.stderr}")
        stamp.write_text(digest)
    (workdir / "spec.txt").write_text(specs.render_spec(specs.entries(skip=skip, only=only), corpus.setup()))
    os.chmod(workdir, 0o755)
    return workdir


# ------------------------------------------------------------------ one batch
@dataclass
class BatchJob:
    """What one batch runs: a seed, a number of calls, the mode and the guest's shape."""
    index: int
    seed: int
    calls: int
    mode: str               # "normal", "strict" (every syscall stops) or "trace" (strict, and --trace)
    workdir: str
    procs: int = 3
    threads: int = 3
    quota: int = 5000
    timeout: float = 600.0
    rootfs: str | None = None


@dataclass
class BatchResult:
    """What a batch saw; plain data, so that it crosses back from the batch's process."""
    index: int
    mode: str
    seed: int
    calls: int = 0
    elapsed: float = 0.0
    per_nr: dict[int, list[int]] = field(default_factory=dict)      # nr -> [calls, ok]
    errnos: dict[int, dict[int, int]] = field(default_factory=dict)  # nr -> errno -> count
    internal: list[dict] = field(default_factory=list)
    guest_events: list[str] = field(default_factory=list)    # DEATH / STUCK / NOPROGRESS lines
    violations: list[str] = field(default_factory=list)      # host invariants
    problems: list[str] = field(default_factory=list)        # crash, timeout, bad exit
    setup_failures: list[str] = field(default_factory=list)
    stopped: int = 0
    hung: bool = False


def _umlpy_frame(e: BaseException) -> str:
    root = str(HERE.parent.parent)
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename.startswith(root)]
    if not frames:
        return "?"
    f = frames[-1]
    return f"{os.path.relpath(f.filename, root)}:{f.lineno} in {f.name}"


def _describe_fd(host_tid: int, fd: int) -> str | None:
    if not 0 <= fd < 1 << 20:
        return None
    try:
        return os.readlink(f"/proc/{host_tid}/fd/{fd}")
    except OSError:
        return None


def _capture(kernel, ev, e: BaseException, mode: str) -> dict:
    """Everything about an internal error that helps to reproduce it."""
    task = kernel.pidns.tasks.get(ev.tid)
    call = getattr(task, "call", None)
    kind = getattr(ev.kind, "name", str(ev.kind))
    if call is not None:
        nr, args = call.nr, tuple(call.args)
    elif kind in ("ENTRY", "EXIT"):
        nr, args = ev.nr, tuple(ev.args)
    else:
        nr, args = -1, ()
    line = None
    if task is not None and call is not None:
        with contextlib.suppress(Exception):
            line = kernel.format_call(task, call)
    memory, fds = {}, {}
    kinds = KINDS.get(nr, ())
    for i, a in enumerate(args):
        if ARENA[0] <= a < ARENA[1]:
            data = None
            with contextlib.suppress(Exception):
                data = kernel.platform.read(ev.tid, a, 128) or kernel.platform.read(ev.tid, a, 16)
            if data is not None:
                memory[i] = data.hex()
        elif a < 1 << 16 and i < len(kinds) and kinds[i] in ("fd", "dirfd", "any"):
            what = _describe_fd(ev.tid, a)
            if what is not None:
                fds[i] = what
    return {
        "type": type(e).__name__, "message": str(e)[:300], "nr": nr,
        "syscall": NAMES.get(nr, f"syscall_{nr}") if nr >= 0 else f"(event {kind})",
        "event": kind, "args": [hex(a) for a in args], "call": line, "memory": memory, "fds": fds,
        "site": _umlpy_frame(e), "mode": mode,
        "traceback": "".join(traceback.format_exception(e))[-4000:],
    }


def _bad_files(root: str) -> list[str]:
    """Files under `root` that would mean privilege on the host."""
    bad = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            shown = f"{p!r} {stat.filemode(st.st_mode)} uid {st.st_uid}"
            if not stat.S_ISDIR(st.st_mode) and st.st_mode & (stat.S_ISUID | stat.S_ISGID):
                bad.append(f"setuid/setgid bit on a host file: {shown}")
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                bad.append(f"device node on the host: {shown} rdev {st.st_rdev:#x}")
            with contextlib.suppress(OSError):
                xs = [x for x in os.listxattr(p, follow_symlinks=False)
                      if x.startswith(("security.", "trusted."))]
                if xs:
                    bad.append(f"security/trusted xattr on a host file: {shown} {xs}")
    return bad


def _proc_state(pid: str) -> str:
    """State, wait channel and tracer of a host process, for a hang report."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
        with open(f"/proc/{pid}/wchan") as f:
            wchan = f.read()
        with open(f"/proc/{pid}/syscall") as f:
            sysc = f.read().split()[:4]
    except OSError:
        return "(gone)"
    return (f"state {fields.get('State', '?')}, wchan {wchan or '-'}, syscall {' '.join(sysc) or '-'}, "
            f"tracer {fields.get('TracerPid', '?')}, ppid {fields.get('PPid', '?')}, "
            f"threads {fields.get('Threads', '?')}, pending {fields.get('SigPnd', '?')}/{fields.get('ShdPnd', '?')}")


def _processes_in_netns(ino: int, detail: bool = False) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.stat(f"/proc/{pid}/ns/net").st_ino != ino:
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            found.append(f"host pid {pid}: {cmd.strip()}" + (f" [{_proc_state(pid)}]" if detail else ""))
        except OSError:
            continue
    return found


def _mounts() -> set[str]:
    with open("/proc/self/mountinfo") as f:
        return {" ".join(line.split()[3:5]) for line in f}


_WORDS = "RESULT|NR|DEATH|STUCK|NOPROGRESS|GIVEUP|NOEXIT|WORKER_SIGNAL|SETUP"
_GUEST_LINE = re.compile(rf"({_WORDS}) (?!.*(?:{_WORDS}) )")


def _parse_guest(text: str, res: BatchResult) -> None:
    """Init's report.  A worker may write into init's stdout too (say through /proc/1/fd/1),
    so a line is taken from its last keyword on."""
    for raw in text.splitlines():
        m = _GUEST_LINE.search(raw)
        if m is None:
            continue
        line = raw[m.start():]
        word, _, rest = line.partition(" ")
        try:
            _parse_line(word, rest, line, res)
        except (ValueError, IndexError):
            continue


def _parse_line(word: str, rest: str, line: str, res: BatchResult) -> None:
    if word == "NR":
        nr, n, ok, *errs = rest.split()
        res.per_nr[int(nr)] = [int(n), int(ok)]
        res.errnos[int(nr)] = {int(e): int(c) for e, c in (x.split(":") for x in errs)}
    elif word == "RESULT":
        res.calls = int(rest.split()[0].split("=")[1])
    elif word in ("DEATH", "STUCK"):
        res.guest_events.append(_guest_event(word, rest.split()))
    elif word in ("NOPROGRESS", "NOEXIT", "WORKER_SIGNAL", "GIVEUP"):
        res.guest_events.append(line)
    elif word == "SETUP":
        res.setup_failures.append(rest)


def _guest_event(word: str, f: list[str]) -> str:
    extra, _nr, name, *rest = f
    args, strs = rest[:6], [bytes.fromhex(s) if s != "-" else b"" for s in rest[6:8]]
    how = f"signal {extra}" if word == "DEATH" else f"{extra} ms"
    shown = ", ".join("0x" + a for a in args)
    paths = " ".join(repr(s) for s in strs if s)
    return f"{word} ({how}) in {name}({shown}) {paths}".rstrip()


def run_batch(job: BatchJob, cpu: int | str | None = "auto") -> BatchResult:
    """One sandbox: the guest fuzzes `job.calls` calls; then the checks (module docstring).

    The supervisor runs in a thread of its own, watched from this one: a sandbox that
    makes no stop for `STALL` seconds, or runs past `job.timeout`, is killed, and if the
    supervisor thread still does not come back, its Python stack and the guest call it
    was serving are the finding (`hung` is then set: the caller should exit its process).
    """
    res = BatchResult(job.index, job.mode, job.seed)
    scratch = Path(tempfile.mkdtemp(prefix="umlpy-fuzz-batch."))
    rw, persist = scratch / "rw", scratch / "persist"
    rw.mkdir()
    persist.mkdir()
    os.chmod(scratch, 0o755)
    os.chown(rw, 65534, 65534)
    mounts_before = _mounts()
    mine = f"umlpy.{os.getpid()}."
    argv = ["/fz/guest", "run", "/fz/spec.txt", str(job.seed), str(job.calls), str(job.procs),
            str(job.threads), str(job.quota)]
    t0 = time.monotonic()
    # The guest's stdout is a pipe: a fuzzed lseek, ftruncate or write on a shared file
    # description cannot clobber what init prints (workers also move 0-2 to /dev/null).
    out_r, out_w = os.pipe()
    chunks: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(out_r, chunks), daemon=True)
    devnull = os.open(os.devnull, os.O_RDONLY)
    cfg = Config(rootfs=Path(job.rootfs) if job.rootfs else default_rootfs(),
                 binds=[(job.workdir, "/fz", True), (str(rw), "/rw", False)],
                 env=dict(DEFAULT_ENV), persist=persist, strict=job.mode != "normal",
                 limits=parse_limits({}),     # the front ends' defaults (Sandbox, umlpy run)
                 trace=_NullTrace() if job.mode == "trace" else None,
                 stdio=(devnull, out_w, out_w), cpu=cpu)
    box: dict = {}
    started = threading.Event()

    def supervise() -> None:
        # ptrace: the thread that starts the guest is its tracer, so it also runs the loop.
        try:
            kernel = launch(cfg, argv)
        except (LaunchError, ConfigError, OSError) as e:
            box["error"] = e
            started.set()
            return
        box["kernel"] = kernel
        _instrument(kernel, res, job.mode)
        started.set()
        try:
            box["status"] = kernel.run()
        except Exception as e:  # noqa: BLE001 -- a supervisor crash is a finding, not the end of the run
            box["crash"] = "".join(traceback.format_exception(e))[-3000:]
            kernel.kill_all()
            with contextlib.suppress(Exception):
                kernel.shutdown()

    with contextlib.redirect_stderr(io.StringIO()):
        sup = threading.Thread(target=supervise, name="umlpy-fuzz-supervisor", daemon=True)
        sup.start()
        started.wait()
        os.close(out_w)
        os.close(devnull)
        if "error" in box:
            res.problems.append(f"cannot start the guest: {box['error']!r}")
            os.close(out_r)
            shutil.rmtree(scratch, ignore_errors=True)
            return res
        kernel = box["kernel"]
        reader.start()
        # Held open, so that no other sandbox's namespace can take its inode number meanwhile.
        netns_fd = os.open(f"/proc/{kernel.init.host_pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        netns = os.fstat(netns_fd).st_ino
        _watch(sup, kernel, job, res, t0, netns)
    res.elapsed = time.monotonic() - t0
    res.stopped = sum(kernel.report.syscalls.values())
    seen = kernel.__dict__.get("_fuzz_seen", set())
    for i, text in enumerate(list(kernel.report.internal_errors)):
        if i not in seen:         # errors not raised through internal_error (parked threads, cgroups)
            res.internal.append({"type": text.strip().splitlines()[-1].split(":")[0].split("(")[0][:60],
                                 "message": text[-300:], "nr": -1, "syscall": "(not a syscall stop)",
                                 "event": "report", "args": [], "call": None, "memory": {}, "fds": {},
                                 "site": "?", "mode": job.mode, "traceback": text[-4000:]})
    if "crash" in box:
        res.problems.append(f"supervisor crashed: {box['crash']}")
    unannounced = sorted(getattr(kernel, "_early", ()))
    if unannounced and not res.hung:
        res.problems.append(f"{len(unannounced)} new guest task(s) stopped at their first stop for good: their "
                            f"parent's clone event never came (host tids {unannounced[:5]}); the cgroup kill "
                            "at the end hid it")
    status = box.get("status")
    if not res.hung and not kernel.killed_by_timeout and status is not None and status != 0:
        res.problems.append(f"guest init ended with wait status {status:#x}")
    reader.join(timeout=1 if res.hung else 10)
    text = b"".join(chunks).decode(errors="replace")
    _parse_guest(text, res)
    if res.calls == 0 and not res.problems:
        res.problems.append("the guest reported no calls: " + text[-500:])
    # host invariants
    res.violations += _bad_files(str(rw)) + _bad_files(str(persist)) + _bad_files(job.workdir)
    time.sleep(0.05)
    if not res.hung:      # a hung tracer keeps its zombies and state until its process exits
        res.violations += [f"guest process left after the sandbox ended: {p}" for p in _processes_in_netns(netns)]
        res.violations += [f"supervisor state left in /dev/shm: {n}" for n in os.listdir("/dev/shm")
                           if n.startswith(mine)]
    else:
        shutil.rmtree(kernel.state_dir, ignore_errors=True)
    os.close(netns_fd)
    new_mounts = _mounts() - mounts_before
    res.violations += [f"new host mount (maybe not ours): {m}" for m in sorted(new_mounts)]
    shutil.rmtree(scratch, ignore_errors=True)
    return res


class _NullTrace:
    """Where the trace of a "trace" batch goes: formatted, then dropped."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


STALL = 40.0        # seconds without a single stop: the sandbox is wedged


def _watch(sup: threading.Thread, kernel, job: BatchJob, res: BatchResult, t0: float, netns: int) -> None:
    """Wait for the supervisor thread; on a stall or timeout, kill the sandbox and say why."""
    last, last_change = -1, time.monotonic()
    while sup.is_alive():
        sup.join(1.0)
        now = time.monotonic()
        stops = sum(list(kernel.report.syscalls.values()))
        if stops != last:
            last, last_change = stops, now
        stalled = now - last_change > STALL
        if not (stalled or now - t0 > job.timeout) or not sup.is_alive():
            continue
        why = f"no stop for {now - last_change:.0f} s" if stalled else f"past the {job.timeout:.0f} s timeout"
        stack = _thread_stack(sup)
        doing = _current_call(kernel)
        site = stack.strip().splitlines()[-2].strip() if stack.strip() else "?"
        guests = _processes_in_netns(netns, detail=True)
        known = set(getattr(kernel.pidns, "tasks", {}))
        early = set(getattr(kernel, "_early", ()))
        guests = [g + (" (a task the guest kernel knows)" if int(g.split()[2].rstrip(":")) in known else
                       " (a first stop waiting for its parent's clone event)"
                       if int(g.split()[2].rstrip(":")) in early else " (unknown to the guest kernel)")
                  for g in guests]
        stack += "guest processes then:\n" + "".join(f"  {g}\n" for g in guests[:20])
        kernel.timeout()
        sup.join(15)
        if sup.is_alive():
            res.hung = True
            res.problems.append(f"supervisor hung ({why}; still blocked 15 s after the guest was killed) "
                                f"serving {doing}:\n{stack}")
            res.internal.append({"type": "SupervisorHang", "message": why, "nr": -1,
                                 "syscall": doing.split("(")[0].split("] ")[-1], "event": "hang",
                                 "args": [], "call": doing, "memory": {}, "fds": {},
                                 "site": site,
                                 "mode": job.mode, "traceback": stack})
        else:
            res.problems.append(f"sandbox killed ({why}); the supervisor was serving {doing}:\n{stack}")
        return


def _thread_stack(t: threading.Thread) -> str:
    frame = sys._current_frames().get(t.ident)
    return "".join(traceback.format_stack(frame)[-12:]) if frame is not None else "(no stack)"


def _current_call(kernel) -> str:
    task = getattr(kernel, "current_task", None)
    call = getattr(task, "call", None)
    if call is None:
        return "(no call)"
    try:
        return kernel.format_call(task, call)
    except Exception:  # noqa: BLE001 -- the guest may be gone: fall back to the raw numbers
        return f"{NAMES.get(call.nr, call.nr)}({', '.join(hex(a) for a in call.args)})"


def _drain(fd: int, chunks: list[bytes]) -> None:
    with open(fd, "rb", closefd=True) as f:
        while data := f.read1(65536):
            chunks.append(data)


def _instrument(kernel, res: BatchResult, mode: str) -> None:
    """Wrap two methods of this kernel object: one records internal errors, one scans state."""
    internal_error, shutdown = kernel.internal_error, kernel.shutdown
    seen = kernel._fuzz_seen = set()

    def recording_internal_error(ev, e):
        try:
            res.internal.append(_capture(kernel, ev, e, mode))
        except Exception as inner:  # noqa: BLE001 -- never let the recorder hide the error
            res.internal.append({"type": type(e).__name__, "message": f"{e} (recorder: {inner!r})",
                                 "nr": -1, "syscall": "?", "event": "?", "args": [], "call": None,
                                 "memory": {}, "fds": {}, "site": _umlpy_frame(e), "mode": mode,
                                 "traceback": "".join(traceback.format_exception(e))[-4000:]})
        internal_error(ev, e)
        seen.add(len(kernel.report.internal_errors) - 1)

    def scanning_shutdown():
        with contextlib.suppress(Exception):
            res.violations.extend(_bad_files(kernel.state_dir))
        shutdown()

    kernel.internal_error = recording_internal_error
    kernel.shutdown = scanning_shutdown


# ------------------------------------------------------------------ many batches
def _batch_process(job: BatchJob, cpu: int | str | None, conn) -> None:
    """The body of a batch's own process: run it, send the result, leave at once.

    os._exit, not a return: after a hang the supervisor thread is still blocked in the host
    kernel, and interpreter shutdown would wait for it."""
    try:
        res = run_batch(job, cpu)
        conn.send(asdict(res))
    except BaseException as e:  # noqa: BLE001 -- whatever happened, the parent hears of it
        with contextlib.suppress(Exception):
            conn.send({"error": "".join(traceback.format_exception(e))[-3000:]})
    finally:
        conn.close()
        sys.stdout.flush()
        os._exit(0)


def _run_parallel(todo: list[BatchJob], jobs: int, report: FuzzReport, t0: float, progress) -> None:
    """Each batch in a fresh process, `jobs` at a time, each pinned to a CPU of its own."""
    ctx = multiprocessing.get_context("spawn")
    cpus = sorted(os.sched_getaffinity(0))
    free = list(cpus)
    running: dict = {}              # connection -> (process, job, cpu, started)
    queue = list(todo)
    while queue or running:
        while queue and len(running) < jobs:
            job = queue.pop(0)
            cpu = free.pop(0) if free else None
            parent, child = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_batch_process, args=(job, cpu, child), daemon=True)
            proc.start()
            child.close()
            running[parent] = (proc, job, cpu, time.monotonic())
        ready = multiprocessing.connection.wait(list(running), timeout=1.0)
        now = time.monotonic()
        for conn in list(running):
            proc, job, cpu, began = running[conn]
            data = None
            if conn in ready:
                try:
                    data = conn.recv()
                except EOFError:
                    data = {"error": f"the batch process died (exit code {proc.exitcode})"}
            elif now - began > job.timeout + 120:
                proc.kill()
                data = {"error": f"the batch process did not answer in {job.timeout + 120:.0f} s"}
            else:
                continue
            del running[conn]
            conn.close()
            proc.join(5)
            if cpu is not None:
                free.append(cpu)
            if "error" in data:
                r = BatchResult(job.index, job.mode, job.seed, problems=[data["error"]])
            else:
                r = BatchResult(**data)
            _done(report, r, t0, len(todo), progress)


@dataclass
class Finding:
    """One distinct internal error: (type, syscall, raising frame), how often, and an example."""
    type: str
    syscall: str
    site: str
    count: int
    modes: set[str]
    example: dict


@dataclass
class FuzzReport:
    """The sum of the batches."""
    calls: int = 0
    wall: float = 0.0
    batches: int = 0
    stopped: int = 0
    per_nr: dict[int, list[int]] = field(default_factory=dict)
    errnos: dict[int, dict[int, int]] = field(default_factory=dict)
    findings: dict[tuple[str, str, str], Finding] = field(default_factory=dict)
    guest_events: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    setup_failures: set[str] = field(default_factory=set)
    internal_total: int = 0
    skipped: set[str] = field(default_factory=set)

    def add(self, r: BatchResult) -> None:
        mode = r.mode
        self.batches += 1
        self.calls += r.calls
        self.stopped += r.stopped
        for nr, (n, ok) in r.per_nr.items():
            acc = self.per_nr.setdefault(int(nr), [0, 0])
            acc[0] += n
            acc[1] += ok
        for nr, errs in r.errnos.items():
            acc = self.errnos.setdefault(int(nr), {})
            for e, c in errs.items():
                acc[int(e)] = acc.get(int(e), 0) + c
        for err in r.internal:
            self.internal_total += 1
            key = (err["type"], err["syscall"], err["site"])
            f = self.findings.get(key)
            if f is None:
                self.findings[key] = Finding(err["type"], err["syscall"], err["site"], 1, {mode},
                                             dict(err, seed=r.seed, batch=r.index))
            else:
                f.count += 1
                f.modes.add(mode)
        tag = f"[batch {r.index} {mode} seed {r.seed}] "
        self.guest_events += [tag + e for e in r.guest_events]
        self.violations += [tag + v for v in r.violations]
        self.problems += [tag + p for p in r.problems]
        self.setup_failures.update(r.setup_failures)

    def coverage(self) -> tuple[dict[int, str], set[int], set[int]]:
        served = specs.served_rows()
        called = {nr for nr in served if self.per_nr.get(nr, [0, 0])[0] > 0}
        succeeded = {nr for nr in served if self.per_nr.get(nr, [0, 0])[1] > 0}
        return served, called, succeeded

    @property
    def clean(self) -> bool:
        return not (self.findings or self.violations or self.problems)


def plan(calls: int, batch: int, modes: list[str], seed: int, workdir: str, **shape) -> list[BatchJob]:
    """The batches of a run: `calls` split into batches of `batch`, modes taking turns."""
    jobs, left, i = [], calls, 0
    while left > 0:
        n = min(batch, left)
        jobs.append(BatchJob(i, seed + i, n, modes[i % len(modes)], workdir, **shape))
        left -= n
        i += 1
    return jobs


def fuzz(calls: int = 1_000_000, *, jobs: int = 2, modes: tuple[str, ...] = ("normal", "strict"),
         seed: int = 1, batch: int = 50_000, procs: int = 3, threads: int = 3, quota: int = 5000,
         workdir: str | os.PathLike | None = None, rootfs: str | None = None, skip: tuple[str, ...] = (),
         only: tuple[str, ...] = (), progress: Callable[[str], None] | None = None) -> FuzzReport:
    """Run `calls` fuzzed syscalls in batches, `jobs` sandboxes at a time; the summed report.

    `skip` names syscalls never to make (to get past a known hang, say); `only`, if given,
    the only ones to make (to reproduce a finding)."""
    own = workdir is None
    wd = Path(tempfile.mkdtemp(prefix="umlpy-fuzz.")) if own else Path(workdir)
    try:
        unknown = (set(skip) | set(only)) - {e.name for e in specs.entries()}
        if unknown:
            raise UsageError(f"not a syscall the fuzzer makes: {', '.join(sorted(unknown))}")
        build_workdir(wd, frozenset(skip), frozenset(only))
        timeout = max(120.0, batch / 200.0)
        todo = plan(calls, batch, list(modes), seed, str(wd), procs=procs, threads=threads,
                    quota=quota, timeout=timeout, rootfs=rootfs)
        report = FuzzReport(skipped=set(skip) | ({n for n in NAMES.values() if n not in only} if only else set()))
        t0 = time.monotonic()
        _run_parallel(todo, jobs, report, t0, progress)
        report.wall = time.monotonic() - t0
        return report
    finally:
        if own:
            shutil.rmtree(wd, ignore_errors=True)


def _done(report: FuzzReport, r: BatchResult, t0: float, n: int, progress) -> None:
    report.add(r)
    if progress is None:
        return
    rate = r.calls / r.elapsed if r.elapsed else 0.0
    wall = time.monotonic() - t0
    progress(f"batch {report.batches}/{n} ({r.mode}, seed {r.seed}): "
             f"{r.calls} calls in {r.elapsed:.1f} s ({rate:.0f}/s), {len(r.internal)} internal errors; "
             f"total {report.calls} calls, {report.calls / wall:.0f}/s, "
             f"{len(report.findings)} distinct findings")


# ------------------------------------------------------------------ the report
def c_reproducer(example: dict) -> str:
    """A C sketch that makes the failing call again with the bytes it had (fds need recreating)."""
    nr, args = example["nr"], [int(a, 16) for a in example["args"]]
    memory = {int(k): bytes.fromhex(v) for k, v in example.get("memory", {}).items()}
    decls, shown = [], []
    for i, a in enumerate(args):
        if i in memory:
            data = ", ".join(f"0x{b:02x}" for b in memory[i])
            decls.append(f"    static unsigned char a{i}[] = {{{data}}};")
            shown.append(f"a{i}")
        else:
            fd = example.get("fds", {}).get(str(i)) or example.get("fds", {}).get(i)
            shown.append(f"{a:#x}" + (f" /* fd: {fd} */" if fd else ""))
    return ("#define _GNU_SOURCE\n#include <unistd.h>\n#include <sys/syscall.h>\nint main(void) {\n"
            + "\n".join(decls) + ("\n" if decls else "")
            + f"    syscall({nr} /* {example['syscall']} */, {', '.join(shown)});\n    return 0;\n}}\n")


def format_report(rep: FuzzReport, *, verbose: bool = False) -> str:
    """The text `python3 -m umlpy.fuzz` prints at the end."""
    served, called, succeeded = rep.coverage()
    w = []
    rate = rep.calls / rep.wall if rep.wall else 0.0
    w.append(f"umlpy fuzz: {rep.calls} syscalls in {rep.batches} batches, {rep.wall:.1f} s wall, "
             f"{rate:.0f} calls/s ({rep.stopped} stops at the supervisor)")
    w.append(f"coverage: {len(called)}/{len(served)} served rows called, "
             f"{len(succeeded)}/{len(served)} succeeded at least once")
    never = sorted(served[nr] for nr in set(served) - called)
    if never:
        w.append(f"  never called: {', '.join(n + (' (skipped)' if n in rep.skipped else '') for n in never)}")
    failing = sorted(set(called) - succeeded)
    if failing:
        parts = []
        for nr in failing:
            errs = rep.errnos.get(nr, {})
            top = max(errs, key=errs.get) if errs else 0
            parts.append(f"{served[nr]} ({os.strerror(top).split(' (')[0] if top else '?'})")
        w.append(f"  never succeeded: {', '.join(parts)}")
    w.append(f"internal errors: {rep.internal_total}, {len(rep.findings)} distinct "
             "(exception type, syscall, raising frame)")
    for f in sorted(rep.findings.values(), key=lambda f: (-f.count, f.syscall)):
        ex = f.example
        w.append(f"  [{f.count}x, {'/'.join(sorted(f.modes))}] {f.type} in {f.syscall} at {f.site}")
        w.append(f"      {ex['message'][:200]}")
        if ex.get("call"):
            w.append(f"      call: {ex['call'][:300]}")
        else:
            w.append(f"      args: {', '.join(ex['args'])}")
        for i, what in sorted(ex.get("fds", {}).items(), key=lambda kv: int(kv[0])):
            w.append(f"      arg {i} is fd -> {what}")
        if verbose:
            w.append("      " + ex["traceback"].replace("\n", "\n      "))
            w.append("      " + c_reproducer(ex).replace("\n", "\n      "))
    groups: dict[str, list[str]] = {}
    for v in rep.violations:
        tag, _, rest = v.partition("] ")
        cat, _, detail = rest.partition(": ")
        groups.setdefault(cat, []).append(f"{tag}] {detail}")
    w.append(f"host invariant violations: {len(rep.violations)}, {len(groups)} distinct")
    for cat, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        w.append(f"  [{len(items)}x] {cat}")
        w.extend(f"      {x}" for x in items[:3])
    for title, items in (("run problems", rep.problems),
                         ("guest reports (deaths inside a call, stuck calls)", rep.guest_events)):
        w.append(f"{title}: {len(items)}")
        w.extend(f"  {x}" for x in items[:50])
        if len(items) > 50:
            w.append(f"  ... and {len(items) - 50} more")
    if rep.setup_failures:
        w.append(f"corpus set-up failures (guest init): {len(rep.setup_failures)}")
    return "\n".join(w)


def main_progress(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
