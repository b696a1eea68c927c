"""umlpy: a Linux-on-Linux syscall-translation sandbox (ptrace + seccomp, guest kernel in Python).

The public names are imported on first use (PEP 562), so that the umlpy
command's client (warm.py) can start without importing the guest kernel.
"""
from __future__ import annotations

__all__ = ["Sandbox", "CompletedProcess", "SandboxError", "SandboxTimeout"]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in __all__:
        from umlpy import api
        return getattr(api, name)
    raise AttributeError(f"module 'umlpy' has no attribute {name!r}")
