"""`umlpy boot`: an interactive userland on a terminal of its own.

The guest gets a fresh pseudo-terminal as its controlling terminal (like
`docker run -t`): its shell is pid 1 and session leader there, so job
control, line editing and Ctrl-C work inside the guest and never reach the
supervisor.  The host terminal is put in raw mode and relayed to the pty in
both directions; its original state is restored when the guest ends.  The
relay is terminal.Console, which `umlpy run` uses too.

SIGTERM, SIGINT, SIGHUP and SIGQUIT sent to umlpy itself stop the sandbox
as `docker stop` does (api.Stopper): the signal goes to guest init, and the
whole sandbox is killed after `--stop-timeout` seconds or at a second one.
`umlpy run` and `umlpy trace` use the same `stop_signals`, `run_kernel`
and `run_on_console`.
"""
from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from umlpy.api import (
    DEFAULT_STOP_TIMEOUT,
    STOP_SIGNALS,
    Config,
    LaunchError,
    Stopper,
    console_ptys,
    exit_code,
    launch,
    print_report,
)
from umlpy.terminal import Console

INIT = ["/bin/sh", "-l"]


def login_shell(rootfs: Path, uid: int) -> list[str]:
    """Guest init for `boot`: the user's login shell from the rootfs's /etc/passwd,
    started as login(1) starts it (bash in a Debian tree, sh in busybox's); /bin/sh
    where there is none, or it is nologin or false."""
    try:
        lines = (rootfs / "etc" / "passwd").read_text(errors="replace").splitlines()
    except OSError:
        return INIT
    for line in lines:
        f = line.split(":")
        if len(f) >= 7 and f[2] == str(uid):
            shell = f[6]
            there = rootfs / shell.lstrip("/")
            if shell.startswith("/") and not shell.endswith(("/nologin", "/false")) \
                    and (there.exists() or there.is_symlink()):
                return [shell, "-l"]
            break
    return INIT


def start(cfg: Config, argv: list[str], what: str):
    """api.launch for the command line: (kernel, 0), or (None, status) after one
    `umlpy: cannot WHAT: why` line.  A bad setting raises api.ConfigError."""
    try:
        return launch(cfg, argv), 0
    except LaunchError as e:
        why = str(e)
        if why.startswith(f"{argv[0]}: "):      # the reason names the program too
            why = why[len(argv[0]) + 2:]
        sys.stderr.write(f"umlpy: cannot {what}: {why}\n")
        return None, e.status


@contextmanager
def stop_signals(grace: float = DEFAULT_STOP_TIMEOUT):
    """While in the block, stop signals to umlpy stop the sandbox; yields the Stopper.

    Enter it before the guest is started: a signal that comes during the
    start is applied as soon as the guest runs (`run_kernel`)."""
    stopper = Stopper(grace)

    def on_signal(sig: int, _frame) -> None:
        stopper.request(sig)
    old = {s: signal.signal(s, on_signal) for s in STOP_SIGNALS}
    try:
        yield stopper
    finally:
        stopper.close()
        for s, handler in old.items():
            signal.signal(s, handler)


def run_kernel(kernel, stopper: Stopper) -> int:
    """kernel.run() from this thread, the tracer, with `stopper` able to stop it."""
    stopper.attach(kernel)
    try:
        return kernel.run()
    finally:
        stopper.close()


def run_on_console(console: Console, cfg: Config, argv: list[str], what: str,
                   stop_timeout: float = DEFAULT_STOP_TIMEOUT):
    """Start `argv` with its stdio from `console`, relay the host terminal while it
    runs, and wait for it: (kernel, wait status), or (None, exit status) after a
    start failure (`start`)."""
    with stop_signals(stop_timeout) as stopper:
        try:
            kernel, failed = start(cfg, argv, what)
        finally:
            console.started()
        if kernel is None:
            return None, failed
        with console.relaying():
            return kernel, run_kernel(kernel, stopper)


def boot(*, report: bool = False, stop_timeout: float = DEFAULT_STOP_TIMEOUT, **config) -> int:
    """The shell as guest init.  On a terminal it gets a pty of its own (terminal.Console
    in tty mode).  With no terminal on stdin (a pipe or a file), the shell reads its
    commands from our stdin and ends at its end, like `docker run -i` without -t."""
    interactive = os.isatty(0)
    env = dict(config.pop("env"))
    if interactive:
        env.setdefault("TERM", os.environ.get("TERM", "xterm"))
        env.setdefault("HOSTNAME", config.get("hostname", "umlpy"))
    devpts, openpty = console_ptys()
    with Console(tty=interactive, openpty=openpty) as console:
        cfg = Config(**config, env=env, stdio=console.stdio, tty=console.tty_path, devpts=devpts,
                     log_denied=None)
        shell = login_shell(Path(cfg.rootfs), cfg.user.ruid if cfg.user is not None else 0)
        kernel, status = run_on_console(console, cfg, shell, "boot", stop_timeout)
    if kernel is None:
        return status
    if report:
        print_report(kernel.report)
    return exit_code(status)
