"""The per-user store of root file systems, where the default userland lives.

umlpy is installed like any Python package, so its default userland cannot live
next to the code: site-packages may be read-only, shared by several users, or
replaced by the next ``pip install``.  The store is a directory of the user's
own: ``$UMLPY_HOME`` if set (tests, CI), else ``/var/lib/umlpy`` for root, else
``$XDG_DATA_HOME/umlpy`` (``~/.local/share/umlpy``).  ``STORE/rootfs/default``
is the default rootfs.  It is built on first use, with one progress line per
step on stderr, from the host's static busybox if there is one and otherwise
from the host's own programs; ``umlpy rootfs build`` (or ``python3 -m
umlpy.image build``) rebuilds it.  A lock file (``STORE/.lock``) keeps two
first uses from building it at once.  Nothing is ever written into the package.
"""
from __future__ import annotations

import argparse
import fcntl
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from umlpy.image.rootfs import DEFAULT_HOST_BINARIES, MARKER, RootfsError, build, describe, host_busybox

__all__ = ["DEFAULT_NAME", "build_default", "default_path", "ensure_default", "main", "store_dir"]

#: The name of the default rootfs in the store (``STORE/rootfs/default``).
DEFAULT_NAME = "default"


def store_dir() -> Path:
    """The store: $UMLPY_HOME, else /var/lib/umlpy for root, else $XDG_DATA_HOME/umlpy."""
    env = os.environ.get("UMLPY_HOME")
    if env:
        return Path(env).expanduser().absolute()
    if os.geteuid() == 0:
        return Path("/var/lib/umlpy")
    data = os.environ.get("XDG_DATA_HOME")
    if not data or not os.path.isabs(data):     # the XDG spec: relative values are ignored
        data = os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data) / "umlpy"


def default_path() -> Path:
    """Where the default rootfs is (or will be): STORE/rootfs/default."""
    return store_dir() / "rootfs" / DEFAULT_NAME


def _stderr_progress(line: str) -> None:
    sys.stderr.write(f"umlpy: {line}\n")
    sys.stderr.flush()


def _is_built(root: Path) -> bool:
    return (root / MARKER).is_file() and (root / "bin" / "sh").exists()


class _Lock:
    """An exclusive flock on STORE/.lock, held while the store is written."""

    def __init__(self, store: Path) -> None:
        store.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(store / ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)

    def __enter__(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)


def build_default(dest: Path | None = None, *, host_binaries: Iterable[str] | None = None,
                  hostname: str = "umlpy",
                  progress: Callable[[str], None] | None = _stderr_progress) -> Path:
    """(Re)build a default userland at `dest` (default: the store's) and return its path.

    It is made from the host's static busybox plus DEFAULT_HOST_BINARIES, or,
    with no static busybox on the host, from the host's own programs alone.
    """
    busybox = host_busybox()
    binaries = tuple(host_binaries) if host_binaries is not None else None
    if dest is not None and Path(os.path.abspath(dest)) != default_path():
        return build(dest, host_binaries=binaries, hostname=hostname, busybox=busybox,
                     progress=progress)
    with _Lock(store_dir()):
        return build(default_path(), host_binaries=binaries, hostname=hostname,
                     busybox=busybox, progress=progress)


def ensure_default(progress: Callable[[str], None] | None = _stderr_progress) -> Path:
    """The store's default rootfs, built first (with progress lines) if it is missing."""
    dest = default_path()
    if _is_built(dest):
        return dest
    with _Lock(store_dir()):
        if _is_built(dest):                 # another process built it while we waited
            return dest
        if progress is not None:
            progress("first use: building the default userland")
        start = time.monotonic()
        build(dest, busybox=host_busybox(), progress=progress)
        if progress is not None:
            progress(f"default userland ready in {time.monotonic() - start:.1f}s: {dest}")
    return dest


# -------------------------------------------------------------------- CLI ---

class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit status 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def main(argv: Iterable[str] | None = None) -> int:
    """``python3 -m umlpy.image build [DEST] [--host-bin NAME ...] [--hostname NAME]``."""
    p = _Parser(prog="python3 -m umlpy.image", description="Build the umlpy guest userland.")
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build a rootfs tree")
    b.add_argument("dest", nargs="?", type=Path, default=None,
                   help="destination directory (default: the store's, now "
                        f"{default_path()})")
    b.add_argument("--host-bin", action="append", metavar="NAME", default=None,
                   help="host program to copy with its libraries (repeatable; "
                        "replaces the default list: " + " ".join(DEFAULT_HOST_BINARIES) + ")")
    b.add_argument("--hostname", default="umlpy", help="guest hostname (default: umlpy)")
    args = p.parse_args(list(argv) if argv is not None else None)
    try:
        dest = build_default(args.dest, host_binaries=args.host_bin, hostname=args.hostname)
    except (RootfsError, OSError) as e:
        print(f"{p.prog}: error: {e}", file=sys.stderr)
        return 2 if isinstance(e, RootfsError) else 1
    print(f"rootfs built at {describe(dest)}")
    return 0
