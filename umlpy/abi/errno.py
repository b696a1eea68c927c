"""The guest's errors: KernelError carries an errno and a reason to the trace.

Raised anywhere in the guest kernel (the VFS, a file system, a handler), it
fails the current syscall with -errno; its `why` reaches the trace line and
the run report.  It lives at the bottom of the tree (abi/) so that every
layer can raise it without importing the one above.
"""
from __future__ import annotations

import errno


class KernelError(Exception):
    """Raised anywhere in the guest kernel to fail the current syscall with an errno."""

    def __init__(self, err: int, why: str = "") -> None:
        super().__init__(err, why or errno.errorcode.get(err, str(err)))
        self.errno = err
        self.why = why


# Kernel-internal restart codes a syscall returns when a signal interrupts it;
# the guest never sees them (the syscall is restarted or fails with EINTR).
ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK = -512, -513, -514, -516
RESTART_CODES = frozenset({ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK})
