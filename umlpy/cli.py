"""The umlpy command line: boot, run, trace, syscalls, check.

    umlpy boot [DIR]                    an interactive shell as pid 1 of a new userland
    umlpy run [options] -- CMD [ARG...] one command; exits with its status (128+N if killed by N)
    umlpy trace [options] -- CMD ...    run in strict mode, one strace-like line per syscall
    umlpy syscalls                      the syscall class table
    umlpy rootfs build                  (re)build the default userland in the per-user store
    umlpy rootfs create NAME --from busybox|host|debian[:SUITE] [--packages A,B]
    umlpy rootfs import NAME FILE|DIR   import a docker export/save tar or an OCI layout as NAME
    umlpy rootfs ls | rm NAME           list the store's root file systems, remove one
    umlpy check [--json]                which host features are here, and the mode umlpy runs in

A bad command line is a one-line message on stderr and exit status 2.
A guest never holds the host terminal: with -t, or when stdin and stdout are
terminals, it gets a pseudo-terminal of its own; a terminal on stdin alone
reaches it through a pipe (terminal.Console, which also obeys job control).
SIGTERM, SIGINT, SIGHUP or SIGQUIT to umlpy goes to guest init first; the
whole sandbox is killed --stop-timeout seconds later (default 10), or at
once on a second one (boot.stop_signals).
"""
from __future__ import annotations

import argparse
import errno
import math
import os
import sys
from pathlib import Path

from umlpy.api import (
    DEFAULT_ENV,
    DEFAULT_STOP_TIMEOUT,
    LIMITS_HELP,
    SYSCALL_TABLE,
    ULIMITS_HELP,
    Config,
    network_spec,
    ConfigError,
    console_ptys,
    default_rootfs,
    exit_code,
    parse_limits,
    parse_mount,
    parse_tmpfs,
    parse_ulimits,
    parse_user,
    print_report,
    resolve_rootfs,
)
from umlpy.boot import boot, run_on_console
from umlpy.check import main as check_main
from umlpy.image import importer
from umlpy.terminal import Console, NotATerminal


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str):           # one line, status 2
        raise UsageError(message)


ROOTFS_HELP = ("the userland: a NAME from umlpy rootfs ls, or a root directory (default: the "
               "store's, built on first use; see umlpy rootfs build)")


def _add_sandbox_options(p: argparse.ArgumentParser, *, rootfs_positional: bool = False) -> None:
    if rootfs_positional:
        p.add_argument("rootfs", nargs="?", help=ROOTFS_HELP)
    else:
        p.add_argument("--rootfs", metavar="NAME|DIR", help=ROOTFS_HELP)
    p.add_argument("-v", "--volume", action="append", default=[], metavar="HOST:GUEST[:ro]",
                   help="bind-mount a host directory into the guest")
    p.add_argument("-e", "--env", action="append", default=[], metavar="NAME=VALUE",
                   help="set an environment variable in the guest")
    p.add_argument("-w", "--workdir", metavar="DIR",
                   help="working directory in the guest (default: the image's, else /)")
    p.add_argument("-u", "--user", metavar="NAME|UID[:GROUP|GID]",
                   help="run as this guest user (a name from the rootfs's /etc/passwd, or a number)")
    p.add_argument("--hostname", default="umlpy", help="the sandbox's hostname")
    p.add_argument("--persist", metavar="DIR", help="keep the writable layer in this host directory")
    p.add_argument("--cpu", type=_cpu, default="auto", metavar="N|auto|none",
                   help="pin supervisor and guest to CPU N (default auto: the current CPU; "
                        "none: let them run anywhere)")
    p.add_argument("--report", action="store_true", help="print what the guest did when it ends")
    p.add_argument("--stop-timeout", type=_seconds, default=DEFAULT_STOP_TIMEOUT, metavar="SECS",
                   help="after a stop signal (TERM, INT, HUP, QUIT) has gone to the guest, kill "
                        f"the whole sandbox if it still runs this many seconds later "
                        f"(default {DEFAULT_STOP_TIMEOUT:g}); a second signal kills it at once")
    p.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE", help=LIMITS_HELP)
    p.add_argument("--ulimit", action="append", default=[], metavar="NAME=SOFT[:HARD]", help=ULIMITS_HELP)
    p.add_argument("-p", "--publish", action="append", default=[],
                   metavar="[HOSTIP:]HOSTPORT:GUESTPORT[/tcp|/udp]",
                   help="publish a guest port on the host (on 127.0.0.1 unless HOSTIP says otherwise)")
    p.add_argument("--network", default="none", metavar="none|user|NAME",
                   help="none (the default): lo only; user: outbound TCP/UDP through slirp4netns, "
                        "public addresses allowed, private and link-local ones denied; NAME: a network "
                        "shared with the other sandboxes started with it, each found by its --hostname "
                        "(root only)")
    p.add_argument("--allow-net", action="append", default=[], metavar="CIDR[:PORT[-PORT]][/tcp|/udp]",
                   help="allow these destinations (--network user); once one is given, only "
                        "allowed ones are reachable; 127.0.0.1 means the host's loopback, which the "
                        "guest reaches at 10.0.2.2 (host.umlpy.internal)")
    p.add_argument("--deny-net", action="append", default=[], metavar="CIDR[:PORT[-PORT]][/tcp|/udp]",
                   help="deny these destinations (wins over --allow-net)")
    p.add_argument("--tmpfs", action="append", default=[], metavar="PATH[:size=SIZE,mode=MODE]",
                   help="mount a tmpfs of its own at PATH (default size 64M; --tmpfs /tmp:size=1G gives "
                        "/tmp its own, apart from --limit disk)")


def _cpu(value: str):
    if value in ("auto", "none"):
        return value
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a CPU number, auto or none, not {value!r}")
    if n not in os.sched_getaffinity(0):
        raise argparse.ArgumentTypeError(f"CPU {n} is not available here")
    return n


def _seconds(value: str) -> float:
    try:
        secs = float(value)
    except ValueError:
        secs = math.nan
    if not (math.isfinite(secs) and secs >= 0):
        raise argparse.ArgumentTypeError(f"expected a number of seconds, not {value!r}")
    return secs


COMMANDS = ("boot", "run", "trace", "syscalls", "rootfs", "check")


_PARSERS: dict[str | None, Parser] = {}


def parser_for(command: str | None) -> Parser:
    """build_parser(command), built once per process: parsing leaves a parser as it was,
    and a warm server (warm.py) builds the run's before it forks."""
    if command not in _PARSERS:
        _PARSERS[command] = build_parser(command)
    return _PARSERS[command]


def build_parser(command: str | None = None) -> Parser:
    """The whole command line; with `command`, the other sandbox commands get no
    options.  argparse spends about 8 ms on the three sandbox commands' options
    and help strings, and a run parses one of them."""
    def wanted(name: str) -> bool:
        return command is None or command == name
    p = Parser(prog="umlpy", description="Run Linux programs under a guest kernel written in Python.")
    from umlpy import __version__
    p.add_argument("--version", action="version", version=f"umlpy {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=Parser)
    boot = sub.add_parser("boot", help="start an interactive userland")
    if wanted("boot"):
        _add_sandbox_options(boot, rootfs_positional=True)
    for name, helptext in (("run", "run one command"), ("trace", "run one command, tracing every syscall")):
        r = sub.add_parser(name, help=helptext)
        if not wanted(name):
            continue
        _add_sandbox_options(r)
        if name == "run":
            r.add_argument("--trace", nargs="?", const="-", metavar="FILE",
                           help="strict mode: one line per syscall to FILE (default stderr)")
        else:
            r.add_argument("-o", "--output", dest="trace", default="-", metavar="FILE",
                           help="write the trace here (default stderr)")
        r.add_argument("-i", "--interactive", action="store_true",
                       help="accepted for docker users; stdin always passes through")
        r.add_argument("-t", "--tty", action="store_true",
                       help="give the guest a pseudo-terminal (the default when stdin and stdout "
                            "are terminals)")
        r.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD [ARG...]")
    sub.add_parser("syscalls", help="print the syscall class table")
    rootfs = sub.add_parser("rootfs", help="the root file systems kept in the per-user store")
    rootfs_sub = rootfs.add_subparsers(dest="rootfs_command", metavar="build|create|import|ls|rm",
                                      parser_class=Parser, required=True)
    rootfs_sub.add_parser("build", help="(re)build the default one: in $UMLPY_HOME, /var/lib/umlpy "
                                        "for root, else ~/.local/share/umlpy")
    cr = rootfs_sub.add_parser("create", help="make NAME from the host's busybox, the host's programs, "
                                              "or Debian (debootstrap as root, else mmdebstrap)")
    cr.add_argument("name", metavar="NAME")
    cr.add_argument("--from", dest="source", required=True, metavar="busybox|host|debian[:SUITE]",
                    help="what to make it of (debian's default suite: bookworm; the mirror is the "
                         "host's apt source's)")
    cr.add_argument("--packages", default="", metavar="A,B,...",
                    help="Debian packages to add to the minbase variant (debian only)")
    cr.add_argument("--force", action="store_true", help="replace an existing NAME")
    imp = rootfs_sub.add_parser("import", help="import a docker export or docker/podman save tar, "
                                               "or an OCI image layout (dir or tar), as NAME")
    imp.add_argument("name", metavar="NAME")
    imp.add_argument("source", metavar="FILE|DIR")
    imp.add_argument("--force", action="store_true", help="replace an existing NAME")
    rootfs_sub.add_parser("ls", help="list them: name, size, source and image config")
    rm = rootfs_sub.add_parser("rm", help="remove one")
    rm.add_argument("name", metavar="NAME")
    c = sub.add_parser("check", help="report which host features umlpy needs are present, and its mode")
    c.add_argument("--json", action="store_true", help="print the report as a JSON object")
    return p


def _env(pairs: list[str], image_env: object = None) -> dict[str, str]:
    env = dict(DEFAULT_ENV)
    term = os.environ.get("TERM")
    if term:
        env["TERM"] = term
    for pair in image_env if isinstance(image_env, list) else ():   # the image's Env
        name, eq, value = str(pair).partition("=")
        if eq and name:
            env[name] = value
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or not name:
            raise UsageError(f"bad --env {pair!r}: expected NAME=VALUE")
        env[name] = value
    return env


def _config_kwargs(ns) -> dict:
    try:
        rootfs = resolve_rootfs(ns.rootfs) if ns.rootfs else default_rootfs()
    except (OSError, RuntimeError, ValueError) as e:      # the first-use build failed
        raise UsageError(f"cannot build the default rootfs: {e}")
    if not rootfs.is_dir():
        raise UsageError(f"rootfs {rootfs} is not a directory or a name in the store "
                         "(umlpy rootfs ls; umlpy rootfs build makes the default one)")
    image = importer.config_of(rootfs)        # an imported image's Env, WorkingDir, User
    if ns.workdir is None:
        ns.workdir = image.get("WorkingDir") if isinstance(image.get("WorkingDir"), str) else "/"
    if ns.user is None and isinstance(image.get("User"), str) and image["User"] not in ("root", "0"):
        ns.user = image["User"]
    try:
        binds = [parse_mount(v) for v in ns.volume]
    except ValueError as e:
        raise UsageError(str(e))
    if not ns.workdir.startswith("/"):
        raise UsageError(f"bad --workdir {ns.workdir!r}: must be an absolute guest path")
    if not ns.hostname or len(ns.hostname) > 64 or any(c in ns.hostname for c in "/ \t\n\0"):
        raise UsageError(f"bad --hostname {ns.hostname!r}: 1 to 64 characters, no spaces or slashes")
    if ns.persist == "":                  # the directory itself is checked by fsimpl/persist.py
        raise UsageError(f"bad --persist {ns.persist!r}: expected a directory")
    try:
        limits = parse_limits(dict(_pair(p, "--limit") for p in ns.limit))
        ulimits = parse_ulimits(dict(_pair(p, "--ulimit") for p in ns.ulimit))
        tmpfs = [parse_tmpfs(t) for t in ns.tmpfs]
        user, home = parse_user(rootfs, ns.user) if ns.user else (None, None)
    except ValueError as e:
        raise UsageError(str(e))
    network = network_spec(ns.network, ns.publish, ns.allow_net, ns.deny_net)   # ConfigError: status 2
    env = _env(ns.env, image.get("Env"))
    if home is not None and not any(p.startswith("HOME=") for p in ns.env):
        env["HOME"] = home                   # the user's own, as su - would
    return {"rootfs": rootfs, "binds": binds, "env": env, "cwd": ns.workdir,
            "hostname": ns.hostname, "persist": Path(ns.persist) if ns.persist else None,
            "cpu": ns.cpu, "limits": limits, "ulimits": ulimits, "tmpfs": tmpfs, "user": user,
            "network": network}


def _pair(text: str, option: str) -> tuple[str, str]:
    name, eq, value = text.partition("=")
    if not eq or not name or not value:
        raise UsageError(f"bad {option} {text!r}: expected NAME=VALUE")
    return name, value


def cmd_run(ns) -> int:
    cmd = ns.cmd[1:] if ns.cmd and ns.cmd[0] == "--" else ns.cmd
    if ns.tty and not os.isatty(0):
        raise UsageError(str(NotATerminal()))
    kw = _config_kwargs(ns)
    if not cmd:                               # an imported image's Entrypoint + Cmd
        image = importer.config_of(kw["rootfs"])
        cmd = [str(a) for key in ("Entrypoint", "Cmd") if isinstance(image.get(key), list)
               for a in image[key]]
    if not cmd:
        raise UsageError("no command given: umlpy run [options] -- CMD [ARG...]")
    trace_file = None
    if ns.trace and ns.trace != "-":
        try:
            trace_file = open(ns.trace, "w")  # noqa: SIM115 (closed below, after the run)
        except OSError as e:
            raise UsageError(f"cannot write the trace to {ns.trace}: {e.strerror}")
    try:
        # A pty of its own with -t, or by default when stdin and stdout are terminals.
        devpts, openpty = console_ptys()
        with Console(tty=ns.tty or (os.isatty(0) and os.isatty(1)), openpty=openpty) as console:
            stderr = console.text(sys.stderr)        # CR LF while the terminal is raw
            trace = trace_file or (stderr if ns.trace else None)
            cfg = Config(**kw, trace=trace, strict=trace is not None, log_denied=stderr,
                         stdio=console.stdio, tty=console.tty_path, devpts=devpts)
            kernel, status = run_on_console(console, cfg, cmd, f"run {cmd[0]}", ns.stop_timeout)
    finally:
        if trace_file is not None:
            trace_file.close()
    if kernel is None:
        return status
    if ns.report:
        print_report(kernel.report)
    else:
        for name, what in kernel.report.limit_hit.items():
            sys.stderr.write(f"umlpy: the sandbox's {name} limit was hit: {what}\n")
    return exit_code(status)


def cmd_boot(ns) -> int:
    kw = _config_kwargs(ns)
    return boot(**kw, report=ns.report, stop_timeout=ns.stop_timeout)


def _rule_note(rule) -> str:
    """How an argument rule lets a stopping syscall run with no stop at all."""
    if rule is None:
        return ""
    if rule.zero64:
        return f" [no stop when argument {rule.arg} is NULL]"
    if rule.allow:
        return f" [no stop for {len(rule.values)} safe values of argument {rule.arg}]"
    values = ", ".join(hex(v) for v in sorted(rule.values))
    return f" [no stop unless argument {rule.arg} is one of {values}]"


def cmd_syscalls(ns) -> int:
    out = sys.stdout
    out.write(f"{'nr':>4}  {'name':24} {'class':8} {'support':8} what happens\n")
    for row in SYSCALL_TABLE.every_number():
        errno_name = f"{errno.errorcode.get(row.errno, row.errno)}: " if row.errno else ""
        out.write(f"{row.nr:>4}  {row.name:24} {row.cls.value:8} {row.support.value:8} "
                  f"{errno_name}{row.summary}{_rule_note(row.rule)}\n")
    return 0


def cmd_check(ns) -> int:
    return check_main(as_json=ns.json)


def _rootfs_create(ns) -> int:
    """umlpy rootfs create NAME --from SOURCE [--packages A,B]: every failure is status 2."""
    from umlpy.image import create  # deferred: only this command needs it
    packages = [p.strip() for p in ns.packages.split(",") if p.strip()]
    try:
        meta = create.create(ns.name, ns.source, packages, force=ns.force,
                             progress=lambda line: print(f"umlpy: {line}", file=sys.stderr, flush=True))
    except (ValueError, OSError) as e:      # create.CreateError is a ValueError
        raise UsageError(str(e))
    except KeyboardInterrupt:
        raise UsageError(f"rootfs create {ns.name}: interrupted; nothing was left behind")
    print(f"rootfs {ns.name} created ({meta['format']}, {meta['size'] / 1e6:.1f} MB) "
          f"at {importer.rootfs_dir() / ns.name}")
    return 0


def cmd_rootfs(ns) -> int:
    """umlpy rootfs build|create|import|ls|rm: the store's root file systems."""
    if ns.rootfs_command == "create":
        return _rootfs_create(ns)
    if ns.rootfs_command != "build":
        try:
            if ns.rootfs_command == "import":
                meta = importer.import_image(ns.name, ns.source, force=ns.force)
                print(f"rootfs {ns.name} imported ({meta['format']}, {meta['size'] / 1e6:.1f} MB) "
                      f"at {importer.rootfs_dir() / ns.name}")
            elif ns.rootfs_command == "ls":
                for line in importer.iter_lines(importer.list_rootfs()):
                    print(line)
            else:
                print(f"removed {importer.remove(ns.name)}")
        except importer.ImageError as e:
            raise UsageError(str(e))
        except OSError as e:
            sys.stderr.write(f"umlpy: error: {e}\n")
            return 1
        return 0
    try:
        path = default_rootfs(rebuild=True)
    except (ValueError, OSError) as e:     # image.RootfsError is a ValueError
        sys.stderr.write(f"umlpy: error: cannot build the default userland: {e}\n")
        return 1
    print(f"rootfs built at {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    parser = parser_for(args[0] if args and args[0] in COMMANDS else None)
    try:
        ns = parser.parse_args(argv)
        if ns.command is None:
            raise UsageError("missing command: boot, run, trace, syscalls, check or rootfs")
        handler = {"run": cmd_run, "trace": cmd_run, "boot": cmd_boot, "syscalls": cmd_syscalls,
                   "check": cmd_check, "rootfs": cmd_rootfs}[ns.command]
        return handler(ns)
    except (UsageError, ConfigError) as e:
        sys.stderr.write(f"umlpy: error: {e}\n")
        return 2
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
