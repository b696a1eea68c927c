"""The published-ports forwarder: a small process that moves bytes between the host and the sandbox.

This is the host side of `-p HOSTPORT:GUESTPORT`.  It is not part of the
guest kernel's process: kernel/network.py starts it with `nsenter`, inside
the sandbox's network namespace, as the sandbox's host uid (the privileges
of the sandbox and no more), and hands it the host sockets the supervisor
has already bound in the host's namespace (a socket stays in the namespace
it was made in).  So it accepts on the host and connects to 127.0.0.1:GUESTPORT
in the sandbox with ordinary socket calls, in one thread, with a selector.

It imports nothing of umlpy and runs as a script:

    python3 -I netfwd.py CONTROL_FD  FD:tcp:GUESTPORT  FD:udp:GUESTPORT ...

It ends when CONTROL_FD (a socket whose other end the supervisor holds)
reaches end of file: when the sandbox is closed, or the supervisor dies.
"""
from __future__ import annotations

import errno
import selectors
import socket
import sys
import time

BUF = 1 << 18          # bytes read at once from one side
UDP_IDLE = 60.0        # seconds an idle UDP "connection" (one host client) is kept


class Pipe:
    """One direction of a TCP connection: bytes read from `src` not yet written to `dst`."""

    def __init__(self, src: socket.socket, dst: socket.socket) -> None:
        self.src, self.dst, self.pending, self.eof = src, dst, b"", False


class Forwarder:
    def __init__(self, control: socket.socket) -> None:
        self.sel = selectors.DefaultSelector()
        self.control = control
        self.sel.register(control, selectors.EVENT_READ, ("control", None))
        self.conns: dict[socket.socket, list] = {}      # either socket -> [pipe a->b, pipe b->a]
        self.udp: dict[tuple, list] = {}                # (host sock fd, client addr) -> [inner, last use]

    # -------------------------------------------------------------- TCP
    def listen_tcp(self, lsock: socket.socket, guest_port: int) -> None:
        lsock.setblocking(False)
        self.sel.register(lsock, selectors.EVENT_READ, ("accept", guest_port))

    def accept(self, lsock: socket.socket, guest_port: int) -> None:
        try:
            outer, _ = lsock.accept()
        except OSError:
            return
        inner = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        inner.setblocking(False)
        outer.setblocking(False)
        for s in (inner, outer):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        err = inner.connect_ex(("127.0.0.1", guest_port))
        if err not in (0, errno.EINPROGRESS):
            outer.close()           # nothing listens in the guest: the client sees the connection end
            inner.close()
            return
        self.sel.register(inner, selectors.EVENT_WRITE, ("connecting", outer))

    def connected(self, inner: socket.socket, outer: socket.socket) -> None:
        self.sel.unregister(inner)
        if inner.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            inner.close()
            outer.close()
            return
        pipes = [Pipe(outer, inner), Pipe(inner, outer)]
        self.conns[inner] = self.conns[outer] = pipes
        self.sel.register(inner, selectors.EVENT_READ, ("tcp", None))
        self.sel.register(outer, selectors.EVENT_READ, ("tcp", None))

    def _update(self, s: socket.socket, pipes: list) -> None:
        """Watch `s` for reading if its outgoing pipe is empty, for writing if its incoming one is not."""
        events = 0
        for p in pipes:
            if p.src is s and not p.eof and not p.pending:
                events |= selectors.EVENT_READ
            if p.dst is s and p.pending:
                events |= selectors.EVENT_WRITE
        try:
            if events:
                self.sel.modify(s, events, ("tcp", None))
            else:
                self.sel.unregister(s)
        except (KeyError, ValueError):
            if events:
                self.sel.register(s, events, ("tcp", None))

    def tcp(self, s: socket.socket, mask: int) -> None:
        pipes = self.conns.get(s)
        if pipes is None:
            return
        try:
            for p in pipes:
                if p.src is s and mask & selectors.EVENT_READ and not p.pending:
                    try:
                        data = s.recv(BUF)
                    except BlockingIOError:
                        data = None
                    if data == b"":
                        p.eof = True
                        p.dst.shutdown(socket.SHUT_WR)
                    elif data:
                        p.pending = data        # and written at once, below
                for_write = p.pending and (p.dst is s and mask & selectors.EVENT_WRITE or p.src is s)
                if for_write:
                    try:
                        n = p.dst.send(p.pending)
                        p.pending = p.pending[n:]
                    except BlockingIOError:
                        pass
        except OSError:
            self.close_conn(pipes)
            return
        if all(p.eof and not p.pending for p in pipes):
            self.close_conn(pipes)
            return
        if any(p.pending or p.eof for p in pipes) or mask & selectors.EVENT_WRITE:
            # the common case -- read, written in full, nothing waits -- changes no interest:
            # an epoll_ctl for each socket per message would double the forwarder's cost
            for x in (pipes[0].src, pipes[1].src):
                self._update(x, pipes)

    def close_conn(self, pipes: list) -> None:
        for s in (pipes[0].src, pipes[1].src):
            try:
                self.sel.unregister(s)
            except (KeyError, ValueError):
                pass
            self.conns.pop(s, None)
            s.close()

    # -------------------------------------------------------------- UDP
    def listen_udp(self, hsock: socket.socket, guest_port: int) -> None:
        hsock.setblocking(False)
        self.sel.register(hsock, selectors.EVENT_READ, ("udp-in", guest_port))

    def udp_in(self, hsock: socket.socket, guest_port: int) -> None:
        try:
            data, client = hsock.recvfrom(65536)
        except OSError:
            return
        key = (hsock.fileno(), client)
        entry = self.udp.get(key)
        if entry is None:
            inner = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            inner.setblocking(False)
            inner.connect(("127.0.0.1", guest_port))
            entry = self.udp[key] = [inner, 0.0]
            self.sel.register(inner, selectors.EVENT_READ, ("udp-out", (hsock, client, key)))
        entry[1] = time.monotonic()
        try:
            entry[0].send(data)
        except OSError:
            pass

    def udp_out(self, inner: socket.socket, where) -> None:
        hsock, client, key = where
        try:
            data = inner.recv(65536)
            hsock.sendto(data, client)
        except OSError:
            return
        if key in self.udp:
            self.udp[key][1] = time.monotonic()

    def expire_udp(self) -> None:
        now = time.monotonic()
        for key, (inner, last) in list(self.udp.items()):
            if now - last > UDP_IDLE:
                self.sel.unregister(inner)
                inner.close()
                del self.udp[key]

    # -------------------------------------------------------------- loop
    def run(self) -> None:
        while True:
            for key, mask in self.sel.select(timeout=UDP_IDLE / 2):
                kind, arg = key.data
                s = key.fileobj
                if kind == "control":
                    if not s.recv(16):
                        return
                elif kind == "accept":
                    self.accept(s, arg)
                elif kind == "connecting":
                    self.connected(s, arg)
                elif kind == "tcp":
                    self.tcp(s, mask)
                elif kind == "udp-in":
                    self.udp_in(s, arg)
                else:
                    self.udp_out(s, arg)
            if self.udp:
                self.expire_udp()


def main(argv: list[str]) -> int:
    control = socket.socket(fileno=int(argv[0]))
    fwd = Forwarder(control)
    for spec in argv[1:]:
        fd, proto, port = spec.split(":")
        s = socket.socket(fileno=int(fd))
        (fwd.listen_tcp if proto == "tcp" else fwd.listen_udp)(s, int(port))
    control.send(b"r")                  # ready: the supervisor lets the guest run
    fwd.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
