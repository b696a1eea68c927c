"""`umlpy boot`: an interactive userland on a terminal of its own.

The guest gets a fresh pseudo-terminal as its controlling terminal (like
`docker run -t`): its shell is pid 1 and session leader there, so job
control, line editing and Ctrl-C work inside the guest and never reach the
supervisor.  The host terminal is put in raw mode and relayed to the pty in
both directions; its original state is restored when the guest ends.

SIGTERM, SIGINT, SIGHUP and SIGQUIT sent to umlpy itself stop the sandbox
as `docker stop` does (api.Stopper): the signal goes to guest init, and the
whole sandbox is killed after `--stop-timeout` seconds or at a second one.
`umlpy run` and `umlpy trace` use the same `stop_signals` and `run_kernel`.
"""
from __future__ import annotations

import fcntl
import os
import select
import signal
import sys
import termios
import threading
import tty
from contextlib import contextmanager

from umlpy.api import (
    DEFAULT_STOP_TIMEOUT,
    STOP_SIGNALS,
    Config,
    LaunchError,
    Stopper,
    exit_code,
    launch,
    print_report,
)

INIT = ["/bin/sh", "-l"]


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


def _boot_without_terminal(*, report: bool, stop_timeout: float, **config) -> int:
    with stop_signals(stop_timeout) as stopper:
        kernel, failed = start(Config(**config, stdio=(0, 1, 2), tty=None, log_denied=None),
                               INIT, "boot")
        if kernel is None:
            return failed
        status = run_kernel(kernel, stopper)
    if report:
        print_report(kernel.report)
    return exit_code(status)


def _copy_winsize(src: int, dst: int) -> None:
    try:
        ws = fcntl.ioctl(src, termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(dst, termios.TIOCSWINSZ, ws)
    except OSError:
        pass


def _relay(master: int, stop_r: int) -> None:
    """Host stdin -> pty master, pty master -> host stdout, until the guest is gone."""
    fds = [master, 0, stop_r]
    while True:
        try:
            ready, _, _ = select.select(fds, [], [])
        except InterruptedError:
            continue
        if stop_r in ready:
            # drain what the guest wrote last
            try:
                while select.select([master], [], [], 0)[0]:
                    data = os.read(master, 65536)
                    if not data:
                        break
                    os.write(1, data)
            except OSError:
                pass
            return
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError:           # EIO: every slave fd is closed
                fds.remove(master)
                continue
            if not data:
                fds.remove(master)
                continue
            os.write(1, data)
        if 0 in ready:
            data = os.read(0, 65536)
            if not data:
                fds.remove(0)
                continue
            os.write(master, data)


def boot(*, report: bool = False, stop_timeout: float = DEFAULT_STOP_TIMEOUT, **config) -> int:
    if not os.isatty(0):
        # No terminal to give the guest (input from a pipe or a file): like
        # `docker run -i` without -t, the shell reads its commands from our
        # stdin and ends at its end.
        return _boot_without_terminal(report=report, stop_timeout=stop_timeout, **config)
    with stop_signals(stop_timeout) as stopper:
        return _boot_on_terminal(stopper, report=report, **config)


def _boot_on_terminal(stopper: Stopper, *, report: bool, **config) -> int:
    master, slave = os.openpty()
    tty_path = os.ttyname(slave)
    interactive = os.isatty(0)
    if interactive:
        _copy_winsize(0, master)
    env = dict(config.pop("env"))
    env.setdefault("TERM", os.environ.get("TERM", "xterm"))
    env.setdefault("HOSTNAME", config.get("hostname", "umlpy"))
    cfg = Config(**config, env=env, stdio=(slave, slave, slave), tty=tty_path,
                 log_denied=None)
    kernel, failed = start(cfg, INIT, "boot")
    if kernel is None:
        os.close(slave)
        os.close(master)
        return failed
    os.close(slave)
    saved = termios.tcgetattr(0) if interactive else None
    if interactive:
        tty.setraw(0)
        signal.signal(signal.SIGWINCH, lambda *_: _copy_winsize(0, master))
    stop_r, stop_w = os.pipe()
    relay = threading.Thread(target=_relay, args=(master, stop_r), daemon=True)
    relay.start()
    try:
        status = run_kernel(kernel, stopper)
    finally:
        os.write(stop_w, b"x")
        relay.join(timeout=2)
        if saved is not None:
            termios.tcsetattr(0, termios.TCSADRAIN, saved)
        os.close(master)
    if report:
        print_report(kernel.report)
    return exit_code(status)
