"""A failed guest spawn names, in words, the step of the child that failed."""
from __future__ import annotations

import errno
import os

import pytest

from umlpy.platform.ptrace.backend import PlatformError, PtracePlatform

ALLOW_ALL = {nr: None for nr in range(512)}     # every syscall native: nothing stops


@pytest.mark.parametrize("kwargs, err, step", [
    # fails before the supervisor has seized the child
    (dict(root_fd="/bin/true"), errno.ENOTDIR, "changing root into the empty root directory"),
    # fails after the seize, with the seccomp filter installed
    (dict(rlimits={999: 0}), errno.EINVAL, "setting the resource limits"),
])
def test_spawn_failure_names_its_step(kwargs, err, step):
    exec_fd = os.open("/bin/true", os.O_RDONLY | os.O_CLOEXEC)
    if "root_fd" in kwargs:                      # not a directory: fchdir() fails in the child
        kwargs = dict(kwargs, root_fd=os.open(kwargs["root_fd"], os.O_PATH | os.O_CLOEXEC))
    try:
        with pytest.raises(PlatformError) as info:
            PtracePlatform().spawn(exec_fd, [b"true"], [], native=ALLOW_ALL,
                                   new_netns=False, userns=os.geteuid() != 0, **kwargs)
    finally:
        os.close(exec_fd)
        if "root_fd" in kwargs:
            os.close(kwargs["root_fd"])
    assert info.value.errno == err
    assert str(info.value) == f"[Errno {err}] guest spawn failed while {step}: {os.strerror(err)}"
