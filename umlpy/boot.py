"""`umlpy boot`: an interactive userland on a terminal of its own.

The guest gets a fresh pseudo-terminal as its controlling terminal (like
`docker run -t`): its shell is pid 1 and session leader there, so job
control, line editing and Ctrl-C work inside the guest and never reach the
supervisor.  The host terminal is put in raw mode and relayed to the pty in
both directions; its original state is restored when the guest ends.
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

from umlpy.api import Config, LaunchError, exit_code, launch, print_report

INIT = ["/bin/sh", "-l"]


def start(cfg: Config, argv: list[str], what: str):
    """api.launch for the command line: (kernel, 0), or (None, status) after one
    `umlpy: cannot WHAT: why` line.  A bad setting raises api.ConfigError."""
    try:
        return launch(cfg, argv), 0
    except LaunchError as e:
        sys.stderr.write(f"umlpy: cannot {what}: {e}\n")
        return None, e.status


def _boot_without_terminal(*, report: bool, **config) -> int:
    kernel, failed = start(Config(**config, stdio=(0, 1, 2), tty=None, log_denied=None),
                            INIT, "boot")
    if kernel is None:
        return failed
    status = kernel.run()
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


def boot(*, report: bool = False, **config) -> int:
    if not os.isatty(0):
        # No terminal to give the guest (input from a pipe or a file): like
        # `docker run -i` without -t, the shell reads its commands from our
        # stdin and ends at its end.
        return _boot_without_terminal(report=report, **config)
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
        status = kernel.run()
    finally:
        os.write(stop_w, b"x")
        relay.join(timeout=2)
        if saved is not None:
            termios.tcsetattr(0, termios.TCSADRAIN, saved)
        os.close(master)
    if report:
        print_report(kernel.report)
    return exit_code(status)
