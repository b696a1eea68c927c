"""A failed guest spawn names, in words, the step of the child that failed."""
from __future__ import annotations

import errno
import os

import pytest

from umlpy.platform.ptrace.backend import PlatformError, PtracePlatform

ALLOW_ALL = {nr: None for nr in range(512)}     # every syscall native: nothing stops


@pytest.mark.parametrize("kwargs, err, step", [
    # fails before the supervisor has seized the child
    (dict(chroot_dir=b"/nonexistent/umlpy-chroot"), errno.ENOENT,
     "changing root into the chroot directory"),
    # fails after the seize, with the seccomp filter installed
    (dict(rlimits={999: 0}), errno.EINVAL, "setting the resource limits"),
])
def test_spawn_failure_names_its_step(kwargs, err, step):
    exec_fd = os.open("/bin/true", os.O_RDONLY | os.O_CLOEXEC)
    try:
        with pytest.raises(PlatformError) as info:
            PtracePlatform().spawn(exec_fd, [b"true"], [], native=ALLOW_ALL,
                                   new_netns=False, **kwargs)
    finally:
        os.close(exec_fd)
    assert info.value.errno == err
    assert str(info.value) == f"[Errno {err}] guest spawn failed while {step}: {os.strerror(err)}"
