"""tmpfs: a fresh, empty, memory-backed file system (/tmp, and mount -t tmpfs).

A TmpFS is a HostFS over a private directory that it creates itself in the
sandbox's storage (a host tmpfs of the disk limit's size that is mounted
nowhere, Kernel._state_dir), or over a host tmpfs of its own (TmpFS.private,
for --tmpfs PATH:size=SIZE): the files are in memory, every regular file can
be mmapped, and the host kernel gives a real directory tree and ENOSPC at
the size for free.  Ownership and set-id bits that the guest sets are
recorded in memory (HostFS.owners, HostFS.setid), never applied on the host.
It all goes when the sandbox ends.
"""
from __future__ import annotations

import os
import tempfile

from umlpy.fsimpl.hostfs import HostFS
from umlpy.platform import host


class TmpFS(HostFS):
    """A new empty directory under `parent`, of mode `mode` (1777: sticky, world-writable)."""

    dcache = True          # private to the sandbox: only the guest kernel changes its names

    def __init__(self, parent: str, mode: int = 0o1777, *, whole: bool = False) -> None:
        if whole:                                  # `parent` is the root of a tmpfs of its own
            root = parent
        else:
            root = tempfile.mkdtemp(prefix="tmpfs.", dir=parent)
            os.chmod(root, mode)
        super().__init__(root, name="tmpfs")

    @classmethod
    def private(cls, size: int, mode: int = 0o1777) -> TmpFS:
        """A tmpfs of its own, of `size` bytes (--tmpfs PATH:size=...), mounted nowhere:
        our descriptor of its root is all that holds it, so it goes when we close it."""
        fd = host.detached_tmpfs(size, mode)
        try:
            return cls(host.fd_path(fd), mode, whole=True)
        finally:
            os.close(fd)
