"""tmpfs: a fresh, empty, memory-backed file system (/tmp, and mount -t tmpfs).

A TmpFS is a HostFS over a private directory that it creates itself under
the sandbox's state directory, which lives in /dev/shm: the files are in
memory, every regular file can be mmapped, and the host kernel gives a real
directory tree for free.  Ownership that the guest sets is recorded in memory
(HostFS.owners), never applied on the host.  The directory goes away with the
state directory when the sandbox ends.
"""
from __future__ import annotations

import os
import tempfile

from umlpy.fsimpl.hostfs import HostFS


class TmpFS(HostFS):
    """A new empty directory under `parent`, of mode `mode` (1777: sticky, world-writable)."""

    def __init__(self, parent: str, mode: int = 0o1777) -> None:
        host = tempfile.mkdtemp(prefix="tmpfs.", dir=parent)
        os.chmod(host, mode)
        super().__init__(host, name="tmpfs")
