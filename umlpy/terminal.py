"""The guest's standard streams when the host's are terminals.

Guest init leads a session of its own, so the host's job control cannot
stop it.  A guest holding the host terminal could read or set it behind
the shell's back: a background `umlpy run -- dd &` would read what the
user types for the shell (issue 6, hole 6).  So a guest never holds a
host terminal.  The supervisor holds it, and a `Console` gives the guest
something else in its place:

* In tty mode, the guest gets a pseudo-terminal of its own.  That is
  `umlpy run -t`, or `umlpy run` when stdin and stdout are both
  terminals, or `umlpy boot` on a terminal.  The pty is the guest's
  controlling terminal and its stdin.  It is also its stdout and stderr,
  where those are terminals on the host.  The supervisor relays the host
  terminal to the pty's master, with the host terminal in raw mode, and
  relays the master back to the host.  Ctrl-C and Ctrl-Z reach the guest
  as characters, as with `docker run -t`.
* Otherwise, a stdin that is a terminal reaches the guest through a pipe.
  The host terminal stays in its own (cooked) mode and does the line
  editing.  Ctrl-D at the start of a line ends the guest's input.  A
  stdout or stderr that is a terminal becomes a pty that the guest only
  writes to.  It is not the guest's controlling terminal, and its output
  processing is off, so the host terminal's own processing applies once,
  as for a native program.  The guest still sees a terminal there
  (isatty, the window size, line-buffered output).
* A stream that is not a terminal (a pipe, a file, /dev/null) passes to
  the guest as it is, so pipelines run at native speed.  With no terminal
  at all there is no relay thread.

The supervisor obeys job control as a foreground program does.  It reads
the host terminal only while its process group is the terminal's
foreground group.  It puts the terminal in raw mode only then too.  In
the background a read or a mode change would bring SIGTTIN or SIGTTOU,
which stop the supervisor (their default action is never changed here).
The supervisor does neither: a background run leaves the terminal alone
until `fg` brings it to the foreground.  Keys typed meanwhile go to the
shell, and `fg` sends SIGCONT.  Neither a pty nor a pipe lets the
supervisor see when the guest waits for input, so it cannot stop at that
moment as a native `dd &` does.  Stopping at once instead, as
`docker run -it ... &` does, would also stop every background command
that never reads.

`kill -TSTP` of a run in tty mode restores the host terminal before it
stops the supervisor, and SIGCONT in the foreground puts it back in raw
mode.  When the run ends the original modes come back, also when the
guest was killed.  They are not restored from the background, where the
shell has the terminal; a job-control shell resets its modes anyway when
it gets the terminal back.

Keys typed ahead while a run in tty mode or with piped stdin is in the
foreground go to the guest, as with `docker run -i` or `ssh`, even if the
guest never reads them.  The relay cannot know that the guest will not.
"""
from __future__ import annotations

import errno
import fcntl
import os
import select
import signal
import termios
import threading
import tty
from contextlib import contextmanager
from typing import Callable, Self


class NotATerminal(Exception):
    """A pseudo-terminal was asked for (`-t`), but stdin is not a terminal."""

    def __init__(self) -> None:
        super().__init__("the input device is not a TTY")


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def copy_winsize(src: int, dst: int) -> None:
    """The window size of terminal `src`, set on `dst` (which signals its SIGWINCH)."""
    try:
        ws = fcntl.ioctl(src, termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(dst, termios.TIOCSWINSZ, ws)
    except OSError:
        pass


def in_foreground(fd: int) -> bool:
    """May this process read terminal `fd` and change its modes now?

    That holds when our process group is its foreground group.  It holds
    too when `fd` is not our controlling terminal (ENOTTY): job control
    does not apply to that terminal."""
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return True


def _host_openpty() -> tuple[int, int, str]:
    master, slave = os.openpty()
    return master, slave, os.ttyname(slave)


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data):]


class Console:
    """The guest's stdin, stdout and stderr, made from the host's fds 0, 1 and 2.

        with Console(tty=want_pty) as console:
            cfg = Config(..., stdio=console.stdio, tty=console.tty_path)
            kernel = launch(cfg, argv)       # the guest now holds its ends
            console.started()
            with console.relaying():
                status = kernel.run()

    `tty` asks for tty mode (see the module docstring); the caller has
    checked that stdin is a terminal (`NotATerminal` otherwise).  `openpty`
    makes the guest's pty: (master, slave, path of the slave); by default a
    host pty, but the sandbox's own devpts gives the guest a terminal that
    is its /dev/pts/0, as in a container.
    """

    def __init__(self, *, tty: bool = False,
                 openpty: Callable[[], tuple[int, int, str]] | None = None) -> None:
        self.tty = tty
        self.stdio: tuple[int, int, int] = (0, 1, 2)
        self.tty_path: str | None = None      # the guest's controlling terminal, in tty mode
        self.raw = False                      # the host terminal is in raw mode, by us
        self._saved: list | None = None
        self._term_in = 0 if _isatty(0) else None
        if tty and self._term_in is None:
            raise NotATerminal()
        outs = [fd for fd in (1, 2) if _isatty(fd)]
        self._master: int | None = None
        self._out = outs[0] if outs else 1    # where the pty's master output goes
        self._in_w: int | None = None         # where host terminal input goes: master or pipe
        self._guest_ends: list[int] = []
        self._wake_r = self._wake_w = -1
        self._thread: threading.Thread | None = None
        self._old_handlers: dict[int, object] = {}
        self._given_back = threading.Event()   # the relay has left raw mode for SIGTSTP
        stdio = [0, 1, 2]
        try:
            if tty or outs:
                self._master, slave, slave_path = (openpty or _host_openpty)()
                self._guest_ends.append(slave)
                for fd in outs:
                    stdio[fd] = slave
                # the size of the terminal the guest's output lands on
                copy_winsize(outs[0] if outs else self._term_in, self._master)
                if tty:
                    stdio[0] = slave
                    self.tty_path = slave_path
                    self._in_w = self._master
                else:
                    # Output only: the host terminal (not raw) translates
                    # newlines, as it does for a native program.
                    attrs = termios.tcgetattr(slave)
                    attrs[1] &= ~termios.OPOST
                    termios.tcsetattr(slave, termios.TCSANOW, attrs)
            if self._term_in is not None and not tty:
                r, w = os.pipe()
                self._guest_ends.append(r)
                stdio[0] = r
                self._in_w = w
            if self._in_w is not None:
                os.set_blocking(self._in_w, False)
        except BaseException:
            self.close()
            raise
        self.stdio = (stdio[0], stdio[1], stdio[2])

    @property
    def active(self) -> bool:
        """Does the guest get anything but the host's own fds?"""
        return self._master is not None or self._in_w is not None

    # --- life cycle ----------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def started(self) -> None:
        """The guest has its ends (or failed to start): the supervisor closes its copies,
        so the guest's output ends when the guest does."""
        for fd in self._guest_ends:
            os.close(fd)
        self._guest_ends = []

    def close(self) -> None:
        self.started()
        for fd in {self._master, self._in_w} - {None}:
            try:
                os.close(fd)
            except OSError:
                pass
        self._master = self._in_w = None

    @contextmanager
    def relaying(self):
        """Relay the host terminal while in the block (the guest runs there); when it
        ends, relay what the guest wrote last and give the host terminal back."""
        if not self.active:
            yield self
            return
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._handle_signals()
        try:
            self._thread = threading.Thread(target=self._relay, name="umlpy-console", daemon=True)
            self._thread.start()
            yield self
        finally:
            self._poke(b"q")
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._leave_raw()
            self._restore_signals()
            os.close(self._wake_r)
            os.close(self._wake_w)
            self._wake_r = self._wake_w = -1

    def text(self, stream):
        """`stream` (the supervisor's own stderr) as it must be written while the
        host terminal may be raw: with newlines made CR LF then."""
        return _CrLf(self, stream) if self.tty and stream.isatty() else stream

    # --- raw mode: the relay thread's, but for the end of the run ---------------------------

    def _enter_raw(self) -> None:
        try:
            self._saved = termios.tcgetattr(self._term_in)
            tty.setraw(self._term_in, termios.TCSADRAIN)    # TCSADRAIN: keys typed ahead stay
        except termios.error:
            return
        self.raw = True

    def _leave_raw(self) -> None:
        if not self.raw:
            return
        self.raw = False
        if in_foreground(self._term_in):    # from the background it would stop us (SIGTTOU)
            try:
                termios.tcsetattr(self._term_in, termios.TCSADRAIN, self._saved)
            except termios.error:
                pass

    # --- signals: handlers run in the main thread, and only poke the relay ------------------

    def _handle_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return                  # signal handlers are the main thread's; the relay still works
        wanted = {signal.SIGCONT: self._on_cont}
        if self._master is not None:
            wanted[signal.SIGWINCH] = self._on_winch
        if self.tty:
            wanted[signal.SIGTSTP] = self._on_tstp
        self._old_handlers = {sig: signal.signal(sig, handler) for sig, handler in wanted.items()}

    def _restore_signals(self) -> None:
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler)
        self._old_handlers = {}

    def _on_winch(self, _sig, _frame) -> None:
        self._copy_winsize()

    def _copy_winsize(self) -> None:
        if self._master is not None:
            copy_winsize(self._term_in if self.tty else self._out, self._master)

    def _on_cont(self, _sig, _frame) -> None:
        """Continued (`fg` or `bg` of a stopped run): the relay looks again."""
        self._poke(b"c")

    def _on_tstp(self, _sig, _frame) -> None:
        """`kill -TSTP` in tty mode: the relay gives the terminal back, then we stop
        as the default action does, and at SIGCONT the relay looks again."""
        self._given_back.clear()
        self._poke(b"t")
        self._given_back.wait(2)
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTSTP)        # stopped here until SIGCONT
        signal.signal(signal.SIGTSTP, self._on_tstp)
        self._poke(b"c")

    def _poke(self, what: bytes) -> None:
        try:
            os.write(self._wake_w, what)
        except OSError:
            pass

    # --- the relay (its own thread) -------------------------------------------------------

    def _relay(self) -> None:
        """Host terminal -> pty master or stdin pipe, while in the foreground;
        pty master -> host stdout or stderr; until the run ends.  In tty mode
        the host terminal is raw while we are in the foreground."""
        master, term_in, in_w = self._master, self._term_in, self._in_w
        pending = b""             # input read from the host, not yet taken by the guest
        in_eof = False            # the host input ended: close the pipe once `pending` is out
        out_ok = True             # the host output still takes data
        suspended = False         # stopping for SIGTSTP: no raw mode until SIGCONT
        was_fg = None
        while True:
            fg = self._term_in is not None and in_foreground(self._term_in)
            if fg != was_fg:
                was_fg = fg
                if fg:
                    self._copy_winsize()
            if self.tty and fg and not self.raw and not suspended:
                self._enter_raw()
            elif self.raw and not fg:
                self.raw = False  # stopped by SIGSTOP and sent to the background: the shell has it
            rset = [self._wake_r]
            if master is not None:
                rset.append(master)
            if term_in is not None and fg and not pending and in_w is not None:
                rset.append(term_in)
            wset = [in_w] if pending and in_w is not None else []
            # In the background, look again now and then: `fg` of a running
            # job gives us the terminal with no signal to tell us.
            timeout = 0.25 if self._term_in is not None and not fg else None
            try:
                ready, writable, _ = select.select(rset, wset, [], timeout)
            except InterruptedError:
                continue
            if self._wake_r in ready:
                pokes = os.read(self._wake_r, 512)
                for p in pokes:
                    if p == ord("t"):
                        suspended = True
                        self._leave_raw()
                        self._given_back.set()
                    elif p == ord("c"):
                        suspended = False
                if b"q" in pokes:
                    self._drain(master, out_ok)
                    return
            if master is not None and master in ready:
                try:
                    data = os.read(master, 65536)
                except BlockingIOError:
                    data = None
                except OSError:           # EIO: no guest holds the pty any more
                    data = b""
                if data == b"":
                    master = None
                    if in_w == self._master:
                        in_w = None
                elif data:
                    out_ok = self._output(data, out_ok)
            if writable:
                try:
                    pending = pending[os.write(in_w, pending):]
                except BlockingIOError:
                    pass
                except OSError:           # the guest closed its stdin
                    pending, in_w, term_in = b"", None, None
                    continue
                if not pending and in_eof:
                    self._close_input(in_w)
                    in_w = None
            if term_in is not None and term_in in ready:
                # Look again just before reading: in the background the read
                # would stop us with SIGTTIN.
                if not in_foreground(term_in):
                    continue
                try:
                    data = os.read(term_in, 65536)
                except OSError as e:
                    if e.errno == errno.EIO and not in_foreground(term_in):
                        continue          # SIGTTIN ignored by whoever started us
                    data = b""
                if data:
                    pending += data
                else:                     # end of input (Ctrl-D, or the terminal hung up)
                    term_in = None
                    if in_w is not None and in_w != self._master:
                        in_eof = True
                        if not pending:
                            self._close_input(in_w)
                            in_w = None

    def _close_input(self, fd: int) -> None:
        if fd == self._in_w:
            self._in_w = None
        os.close(fd)

    def _output(self, data: bytes, ok: bool) -> bool:
        if ok:
            try:
                _write_all(self._out, data)
            except OSError:              # the host terminal is gone: keep reading, drop it
                return False
        return ok

    def _drain(self, master: int | None, out_ok: bool) -> None:
        """The guest has ended: what it wrote last, up to the end of the pty's output."""
        while master is not None:
            try:
                if not select.select([master], [], [], 1.0)[0]:
                    return
                data = os.read(master, 65536)
            except BlockingIOError:
                continue
            except OSError:
                return
            if not data:
                return
            out_ok = self._output(data, out_ok)


class _CrLf:
    """A text stream whose newlines become CR LF while the console has the terminal raw."""

    def __init__(self, console: Console, stream) -> None:
        self._console, self._stream = console, stream

    def write(self, text: str) -> int:
        if self._console.raw:
            text = text.replace("\n", "\r\n")
        return self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str):
        return getattr(self._stream, name)
