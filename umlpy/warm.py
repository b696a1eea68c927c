"""The warm start-up server: the umlpy command's fast path to a new supervisor.

A front end, beside cli.py.  Starting a sandbox costs the host little (a
spawn, a filter, a cgroup), but the Python that serves it must first be
imported: about 80 ms of the umlpy command's 130 ms before this module,
against proot's 2 ms.  Python cannot snapshot an interpreter, so umlpy does
what Android's zygote and build daemons do: a per-user server imports the
guest kernel once and forks a supervisor per run.  The umlpy command is then
a thin client: csrc/launcher.c, which install.sh builds, or main() below,
which imports almost nothing (no socket module, no enum) and is what the C
client execs for everything it does not serve itself:

    client                               server (imported, idle)
    connect(warm-KEY.sock) ------------> accept; check the client is us
    argv, environ, fds 0 1 2, cwd -----> fork: the child is the supervisor;
                                         it takes the fds, cwd, umask,
                                         rlimits and signal state, then
                                         runs cli.main(argv)
                         <-------------- "ok PID" from the child
    forwards SIGINT, SIGTERM, ... -----> child
    exits with the run's status <------- "exit CODE" from the child, or
                                         "signal N" from the server

The messages are NUL-separated words (request()), so that C writes them
as easily as Python; the C client computes KEY as _key() does, from the
identity install.sh baked into it.

Who gets served, and why it gives nothing away:
* Only `run` and `trace` with no terminal on fds 0-2: a terminal run needs
  the supervisor in the terminal's session (terminal.py obeys job control),
  and an interactive start-up of 130 ms is not what anyone waits on.
* The socket lives in a 0700 directory of the user's own, and its name
  carries KEY: a digest of umlpy's code (files' sizes and mtimes), the
  interpreter and sys.path (less the current directory), and the client's
  privileges.  A client with
  other code or other privileges finds no server and starts its own.
* The server checks each client anyway, against itself, from /proc at the
  moment of connect (SO_PEERPIDFD pins the process, so a pid reused in the
  meantime is caught): same uid and gids, capability sets, no_new_privs,
  seccomp, namespaces, cgroups, LSM label, root directory and hard
  rlimits.  The child then takes the client's own
  umask, rlimits, ignored and blocked signals, environment and cwd, so the
  supervisor it becomes is the one the client would have been.
* A client that dies (SIGKILL, a test's timeout) ends its supervisor as
  abruptly: the child watches the connection, and at EOF kills every guest
  and removes the sandbox's cgroups (api.abandon), then SIGKILLs itself
  (what it was doing, a copy-up say, is left half done, as by a killed
  supervisor; the guests would die with it anyway, PTRACE_O_EXITKILL).
* The server exits after IDLE_SECONDS with nothing to do, or once idle
  when umlpy's code changed under it (no client has its key any more).  UMLPY_SERVER=0
  turns it off (the run is done in the command's own process, as before);
  UMLPY_SERVER=wait waits for a server it had to start, and says why one
  refused (tests and bench/ use it, to know which path they measure).

The first run after a change starts a server and runs in its own process
meanwhile; the next finds the server ready.
"""
from __future__ import annotations

import os
import sys

import _socket

IDLE_SECONDS = 300
KEEP_WARM_SECONDS = 1.0            # the host's cgroup lock, kept warm after each run (api.keep_warm)
STALE_CHECK_SECONDS = 20           # how often an idle server looks for a changed umlpy
PROTOCOL = 2                       # the request's and replies' format (request(), _reply())
SO_PEERPIDFD = 77                  # Linux 6.5: a pidfd of the peer as it was at connect()
SERVED = ("run", "trace")
# /proc/PID/status lines that make up a process's privileges.
PRIVILEGE_FIELDS = (b"Uid:", b"Gid:", b"Groups:", b"CapInh:", b"CapPrm:", b"CapEff:", b"CapBnd:",
                    b"CapAmb:", b"NoNewPrivs:", b"Seccomp:", b"Seccomp_filters:")
NAMESPACES = ("cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time",
              "time_for_children", "user", "uts")


# ----------------------------------------------------------------- both sides
def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b"?"


def privileges(pid: int | str = "self") -> bytes:
    """What a process may do, as text: equal for two processes of equal privilege."""
    proc = f"/proc/{pid}"
    status = _read(f"{proc}/status").splitlines()
    out = [line for line in status if line.startswith(PRIVILEGE_FIELDS)]
    for ns in NAMESPACES:
        try:
            out.append(os.readlink(f"{proc}/ns/{ns}").encode())
        except OSError:
            out.append(b"-")
    try:
        st = os.stat(f"{proc}/root")
        out.append(b"root %d %d" % (st.st_dev, st.st_ino))
    except OSError:
        out.append(b"root ?")
    out += [_read(f"{proc}/cgroup"), _read(f"{proc}/attr/current"), _read(f"{proc}/loginuid")]
    # Hard rlimits, a ceiling the process cannot raise (columns of "%-25s %-20s %-20s").
    out += [line[:25] + line[46:66] for line in _read(f"{proc}/limits").splitlines()[1:]]
    return b"\n".join(out)


def _code_stamp(top: str) -> bytes:
    """Sizes and mtimes of every file of umlpy's code, sorted, as 8-byte little-endian
    numbers (csrc/launcher.c computes the same): a new version gets a new server."""
    stamp: list[int] = []
    todo = [top]
    while todo:
        with os.scandir(todo.pop()) as it:
            for e in it:
                if e.name == "__pycache__":
                    continue
                if e.is_dir(follow_symlinks=False):
                    todo.append(e.path)
                elif e.name.endswith((".py", ".so")):
                    st = e.stat()
                    stamp += (st.st_size, st.st_mtime_ns)
    return b"".join(n.to_bytes(8, "little") for n in sorted(stamp))


def _import_path() -> list[str]:
    """Where this client imports from: sys.path less the current directory that `python -m`
    and `-c` put first (runs from two directories share a server), with umlpy's own first.
    A script's directory stays: it is the same from any directory (install.sh's launcher)."""
    home = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # where umlpy came from
    path = list(sys.path)
    main = sys.modules.get("__main__")
    if path and (getattr(main, "__spec__", None) is not None or sys.argv[:1] == ["-c"]):
        del path[0]
    return [home] + [p for p in path if p not in ("", ".", home)]


def identity() -> int:
    """The digest of what makes this client's server the right one, short of umlpy's
    code and the client's privileges: the protocol, the interpreter and the import path.
    install.sh bakes it into the C launcher (UMLPY_SERVER=identity prints it)."""
    import zlib                     # built in: a stable digest without hashlib's import
    words = [b"umlpy-warm %d" % PROTOCOL, os.fsencode(sys.executable), *map(os.fsencode, _import_path())]
    return zlib.crc32(b"\0".join(words))


def _key() -> str:
    """The socket's name: the identity and the code stamp, then the client's privileges
    (csrc/launcher.c computes the same name from the identity it was built with)."""
    import zlib
    code = zlib.crc32(_code_stamp(os.path.dirname(__file__)), identity())
    return f"{code << 32 | zlib.crc32(privileges()):016x}"


def _rundir() -> str | None:
    """The user's private directory for the socket, made 0700 if new; None if it is not safely ours."""
    uid = os.getuid()
    base = os.environ.get("XDG_RUNTIME_DIR") or "/tmp"
    path = f"{base}/umlpy-warm-{uid}"
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    st = os.lstat(path)
    if (st.st_mode & 0o170777) != 0o040700 or st.st_uid != uid:
        return None                 # not a directory of ours that only we can enter
    return path


# -------------------------------------------------------------------- client
def main() -> int:
    """The umlpy command: the run is handed to a warm server, or done here."""
    code = None
    mode = os.environ.get("UMLPY_SERVER", "1")
    if mode == "identity":          # install.sh asks, for the C launcher it builds
        print(identity(), os.path.dirname(os.path.abspath(__file__)))
        return 0
    if mode != "0":
        code = _client(sys.argv[1:])
    if code is not None:
        return code
    from umlpy.cli import main as cli_main
    return cli_main()


def _client(argv: list[str]) -> int | None:
    """The run's exit status from a warm server, or None: run it here."""
    if not argv or argv[0] not in SERVED:
        return None
    try:
        if any(os.isatty(fd) for fd in (0, 1, 2)):
            return None
        for fd in (0, 1, 2):
            os.fstat(fd)            # a closed standard fd: let the command itself say so
        rundir = _rundir()
        if rundir is None:
            return None
        path = f"{rundir}/warm-{_key()}.sock"
        if len(os.fsencode(path)) >= 108:
            return None             # longer than sockaddr_un's sun_path: no server can bind it
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_SEQPACKET | _socket.SOCK_CLOEXEC)
    except OSError:
        return None
    try:
        sock.connect(path)
    except OSError:
        _start_server(path)
        if os.environ.get("UMLPY_SERVER") != "wait" or not _connect_soon(sock, path):
            sock.close()
            return None
    try:
        return _ask(sock, argv)
    finally:
        sock.close()


def _connect_soon(sock: _socket.socket, path: str, seconds: float = 20.0) -> bool:
    """UMLPY_SERVER=wait: connect once the server just started is listening."""
    import time
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.02)
        try:
            sock.connect(path)
            return True
        except OSError:
            pass
    return False


def _ask(sock: _socket.socket, argv: list[str]) -> int | None:
    try:
        cwd = os.open(".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fds = b"".join(fd.to_bytes(4, sys.byteorder) for fd in (0, 1, 2, cwd))
        env = [k + b"=" + v for k, v in os.environb.items()]
        sock.sendmsg([request(list(map(os.fsencode, argv)), env)],
                     [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
        reply = _reply(sock.recv(4096))
    except (OSError, ValueError):
        return None
    finally:
        os.close(cwd)
    if reply[0] == "no":
        if os.environ.get("UMLPY_SERVER") == "wait":
            sys.stderr.write(f"umlpy: warm server refused: {reply[1]}\n")
        return None
    return _wait(sock, reply)


def request(argv: list[bytes], env: list[bytes]) -> bytes:
    """A run's request, as csrc/launcher.c writes it too: NUL-separated words, the
    protocol, argc, the arguments, then the environment's NAME=VALUE strings."""
    return b"\0".join([b"umlpy-warm %d" % PROTOCOL, b"%d" % len(argv), *argv, *env])


def _reply(msg: bytes) -> tuple[str, int | str]:
    """A server's reply: ok PID, exit CODE, signal N (numbers), or no WHY."""
    kind, _, value = msg.decode(errors="replace").partition(" ")
    if kind == "no":
        return kind, value
    if kind in ("ok", "exit", "signal"):
        return kind, int(value)
    raise ValueError(f"a reply this client cannot read: {msg[:40]!r}")


def _wait(sock: _socket.socket, first: tuple) -> int:
    """Forward signals to the supervisor until it is done; its status becomes ours."""
    import _signal
    if first[0] != "ok":            # the child failed before it could start
        return _status(first)
    child = first[1]
    def forward(signum, frame):
        try:
            os.kill(child, signum)
        except OSError:
            pass
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM"):
        signum = getattr(_signal, name)
        if _signal.getsignal(signum) != _signal.SIG_IGN:
            _signal.signal(signum, forward)
    try:
        msg = sock.recv(4096)
        last = _reply(msg) if msg else ("lost", 0)
    except (OSError, ValueError):
        last = ("lost", 0)
    return _status(last)


def _status(last: tuple) -> int:
    import _signal
    kind, value = last
    if kind == "exit":
        return value
    if kind == "signal":            # die as the supervisor did, for the caller's wait status
        _signal.signal(value, _signal.SIG_DFL)
        os.kill(os.getpid(), value)
        return 128 + value
    sys.stderr.write("umlpy: error: the warm server went away; the run's status is lost\n")
    return 1


def _start_server(path: str) -> None:
    """Start a server for `path` in the background, detached (it outlives this command)."""
    code = (f"import sys; sys.path[:] = {_import_path()!r}\n"
            f"from umlpy.warm import serve; serve({path!r})")
    try:
        pid = os.fork()
    except OSError:
        return
    if pid:
        os.waitpid(pid, 0)
        return
    try:                            # the intermediate child: setsid, fork again, exit
        os.setsid()
        if os.fork() == 0:
            null = os.open("/dev/null", os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.closerange(3, 1 << 16)
            os.execv(sys.executable, [sys.executable, "-S", "-c", code])
    finally:
        os._exit(0)


# -------------------------------------------------------------------- server
def serve(path: str) -> None:
    """Accept runs on `path` until idle for IDLE_SECONDS; one forked supervisor per run."""
    import fcntl
    import gc
    import select
    import socket
    import time
    os.chdir("/")
    lock = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return                      # another server for this key is starting or serving
    _warm_up()
    from umlpy import api
    _OWN[0] = privileges()          # a server's own privileges do not change
    # What is imported now lives as long as the server: out of the collector's
    # sight, so that no child's collection walks it (nor copies its pages).
    gc.freeze()
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
    listener.bind(path)
    os.chmod(path, 0o600)           # the directory is 0700 already; belt and braces
    listener.listen(64)
    mine = os.stat(path).st_ino
    code = os.path.dirname(__file__)
    stamp = _code_stamp(code)
    runs: dict[int, tuple[int, socket.socket | None]] = {}    # pidfd -> (pid, connection)
    spare = _fork_spare(listener, runs)
    idle_since = time.monotonic()

    def busy() -> bool:             # a run is going (an idle spare is no run)
        return any(conn is not None for _, conn in runs.values())
    while busy() or time.monotonic() - idle_since < IDLE_SECONDS:
        ready, _, _ = select.select([listener, *runs], [], [], STALE_CHECK_SECONDS)
        for r in ready:
            if r is listener:
                spare = _accept(listener, runs, spare)
            else:
                if spare is not None and r == spare[1]:
                    spare[2].close()    # it died idle (killed?): the next run makes another
                    spare = None
                _reap(r, runs)
        if ready:
            idle_since = time.monotonic()
            api.keep_warm(KEEP_WARM_SECONDS)
        elif not busy() and _code_stamp(code) != stamp:
            break                   # umlpy was changed: clients have a new key; this one is dead
    if spare is not None:
        spare[2].close()            # it reads EOF and exits
    try:
        if os.stat(path).st_ino == mine:
            os.unlink(path)
            os.unlink(f"{path}.lock")
    except OSError:
        pass


_OWN = [b""]                        # the server's privileges(), read once


def _warm_up() -> None:
    """Import everything a run imports, and nothing more: a server runs no guest code itself."""
    import random                   # noqa: F401  (reseeded in each child)
    import resource                 # noqa: F401
    import threading                # noqa: F401
    import traceback                # noqa: F401
    import umlpy.cli                # api, the kernel, the syscall table
    from umlpy import api
    for command in SERVED:
        # Built, and used once: argparse compiles its patterns as it first meets them.
        umlpy.cli.parser_for(command).parse_args([command, "--rootfs", "x", "-v", "a:b", "--", "true"])
    api.warm_up()


def _fork_spare(listener, runs: dict) -> tuple[int, int, object] | None:
    """A child forked ahead of the next run, waiting for its connection on one end of a
    socket pair: the run does not wait for the fork (1.5-2 ms of a server this size).
    (pid, pidfd, our end), or None if it cannot be made.  It is reaped as a run is."""
    import socket
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        pid = os.fork()
    except OSError:
        ours.close()
        theirs.close()
        return None
    if pid == 0:
        ours.close()
        _spare(theirs, listener, runs)     # never returns
    theirs.close()
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        ours.close()
        return None
    runs[pidfd] = (pid, None)
    return pid, pidfd, ours


def _accept(listener, runs: dict, spare):
    """Hand a new connection to the spare child, and fork the next spare; returns it."""
    import socket
    try:
        conn, _ = listener.accept()
    except OSError:
        return spare
    for attempt in (1, 2):
        if spare is None:
            spare = _fork_spare(listener, runs)
            if spare is None:
                break
        pid, pidfd, ours = spare
        try:
            ours.sendmsg([b"r"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                   conn.fileno().to_bytes(4, sys.byteorder))])
        except OSError:
            ours.close()            # it died idle: reaped when its pidfd says so
            spare = None
            continue
        ours.close()
        runs[pidfd] = (pid, conn)
        return _fork_spare(listener, runs)
    conn.close()                    # the client sees EOF and runs the command itself
    return spare


def _spare(sock, listener, runs: dict) -> None:
    """In a spare child: wait for a connection, then serve it (_child); exit at EOF."""
    import socket
    try:
        listener.close()
        for pidfd, (_, other) in runs.items():
            os.close(pidfd)
            if other is not None:
                other.close()
        _prefault()
        _, ancdata, _, _ = sock.recvmsg(1, socket.CMSG_SPACE(4))
        fds = _passed_fds(ancdata)
        sock.close()
        if fds:
            from umlpy import api
            # The first cgroup move after a quiet spell waits for an RCU grace
            # period (10-20 ms here), and every fork on the host with it: begin
            # it now, before the request is even read (cgroup.Warmer: it only
            # rewrites our own pid where it is).
            api.starting()
            os.set_inheritable(fds[0], False)
            _child(socket.socket(fileno=fds[0]))          # never returns
    finally:
        os._exit(0)


def _passed_fds(ancdata) -> list[int]:
    """The descriptors an SCM_RIGHTS message of recvmsg's ancillary data carried."""
    import socket
    return [int.from_bytes(data[i:i + 4], sys.byteorder) for level, kind, data in ancdata
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS
            for i in range(0, len(data) - 3, 4)]


MADV_POPULATE_WRITE = 23           # Linux 5.14


def _prefault() -> None:
    """Copy, while idle, the server's pages that this child shares with it.

    After a fork every page is shared until written, and Python writes to
    every object it touches (reference counts): a served run took about 2800
    copy-on-write faults, one at a time, a few milliseconds in all.  A spare
    has the time to take them ahead, on the CPU the run does not use:
    MADV_POPULATE_WRITE breaks the sharing of a range as writes would.  Only
    pages present in the server are asked for (mincore), so that reserved but
    unused memory (a cached thread stack, say) stays unallocated.  The price
    is the memory: a spare holds its own copy of the server's (about 20 MB).
    Where the kernel has no MADV_POPULATE_WRITE, the faults come as before."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    page = os.sysconf("SC_PAGE_SIZE")
    with open("/proc/self/maps") as f:
        ranges = [line.split(None, 2)[0] for line in f if line.split(None, 2)[1] == "rw-p"]
    for r in ranges:
        start, end = (int(x, 16) for x in r.split("-"))
        vec = ctypes.create_string_buffer((end - start) // page)
        if libc.mincore(start, end - start, vec) != 0:
            continue
        present = vec.raw
        i, n = 0, len(present)
        while i < n:
            if not present[i] & 1:
                i += 1
                continue
            j = i
            while j < n and present[j] & 1:
                j += 1
            if libc.madvise(start + i * page, (j - i) * page, MADV_POPULATE_WRITE) != 0 and \
                    ctypes.get_errno() == 22:
                return              # EINVAL: a kernel without it
            i = j


def _child(conn) -> None:
    """In the forked child: read the request, check the client, become its supervisor,
    run, report, exit."""
    import socket
    fds: list[int] = []
    try:
        msg, ancdata, flags, _ = conn.recvmsg(1 << 20, socket.CMSG_SPACE(4 * 4))
        fds = _passed_fds(ancdata)
        if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC) or len(fds) != 4:
            raise ValueError("a request this server cannot read")
        argv, env = _parse_request(msg)
        client = _check_client(conn)
    except (OSError, ValueError, PermissionError) as e:
        try:
            conn.send(b"no " + str(e).encode())
        except OSError:
            pass
        os._exit(0)
    code = 1
    try:
        conn.send(b"ok %d" % os.getpid())          # first, so it precedes "exit CODE"
        _become(fds, env, client)
        code = _run(conn, argv)
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        try:
            conn.send(b"exit %d" % code)
        finally:
            os._exit(code)


def _parse_request(msg: bytes) -> tuple[list[str], dict[bytes, bytes]]:
    """request()'s argv (as sys.argv would hold it) and environment; ValueError if malformed."""
    words = msg.split(b"\0")
    if len(words) < 2 or words[0] != b"umlpy-warm %d" % PROTOCOL:
        raise ValueError("a request this server cannot read")
    argc = int(words[1])
    if not 0 < argc <= len(words) - 2:
        raise ValueError("a request this server cannot read")
    argv = [os.fsdecode(a) for a in words[2:2 + argc]]
    env = dict(e.split(b"=", 1) for e in words[2 + argc:] if b"=" in e)
    return argv, env


def _reap(pidfd: int, runs: dict) -> None:
    pid, conn = runs.pop(pidfd)
    os.close(pidfd)
    _, status = os.waitpid(pid, 0)
    if conn is None:                # a spare that had no run
        return
    if os.WIFSIGNALED(status):      # else the child sent its own exit status
        try:
            conn.send(b"signal %d" % os.WTERMSIG(status))
        except OSError:
            pass
    conn.close()


def _check_client(conn) -> dict:
    """The client's process state to take on; PermissionError if it is not as privileged as we are."""
    import resource
    import socket
    import struct
    pid, uid, gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
    if uid != os.getuid():
        raise PermissionError(f"uid {uid} is not the server's")
    pidfd = conn.getsockopt(socket.SOL_SOCKET, SO_PEERPIDFD)
    try:
        if privileges(pid) != _OWN[0]:
            raise PermissionError("the client's privileges are not the server's")
        status = _read(f"/proc/{pid}/status")
        limits = {}
        for name in dir(resource):
            if name.startswith("RLIMIT_"):
                res = getattr(resource, name)
                limits[res] = resource.prlimit(pid, res)     # hard: as ours (privileges)
        if f"Pid:\t{pid}\n" not in _read(f"/proc/self/fdinfo/{pidfd}").decode():
            raise PermissionError("the client is gone")   # its pid may name another process now
    finally:
        os.close(pidfd)
    fields = dict(line.split(b":\t", 1) for line in status.splitlines() if b":\t" in line)
    return {"pid": pid, "limits": limits, "umask": int(fields[b"Umask"], 8),
            "ignored": int(fields[b"SigIgn"], 16), "blocked": int(fields[b"SigBlk"], 16)}


def _become(fds: list[int], env: dict, client: dict) -> None:
    import random
    import resource
    import signal
    for i, fd in enumerate(fds[:3]):
        os.dup2(fd, i)
    os.fchdir(fds[3])
    for fd in fds:
        if fd > 2:
            os.close(fd)
    os.umask(client["umask"])
    for res, limit in client["limits"].items():
        resource.setrlimit(res, limit)
    for sig in range(1, signal.NSIG):
        if sig in (signal.SIGKILL, signal.SIGSTOP) or sig > 31:
            continue
        if client["ignored"] >> (sig - 1) & 1:
            signal.signal(sig, signal.SIG_IGN)
        elif signal.getsignal(sig) == signal.SIG_IGN:
            signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK,
                           {s for s in range(1, 65) if client["blocked"] >> (s - 1) & 1})
    os.environ.clear()
    os.environb.update(env)
    random.seed()                   # not the server's sequence, shared by every child
    from umlpy import api
    api.serving(client["pid"])


def _run(conn, argv: list[str]) -> int:
    import atexit
    import threading
    import traceback
    threading.Thread(target=_die_with_client, args=(conn,), daemon=True).start()
    from umlpy.cli import main as cli_main
    sys.argv = ["umlpy", *argv]
    try:
        code = cli_main(argv)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()
    return code


def _die_with_client(conn) -> None:
    """The client is gone (killed, timed out): end as a supervisor killed with it would,
    at once (SIGKILL: its guests die with it), but first kill them and remove the
    sandbox's cgroups, which such a supervisor leaves for the next start to sweep."""
    try:
        while conn.recv(4096):
            pass
    except OSError:
        pass
    from umlpy import api
    try:
        api.abandon()
    finally:
        os.kill(os.getpid(), 9)
