"""umlpy: a Linux-on-Linux syscall-translation sandbox (ptrace + seccomp, guest kernel in Python)."""
from umlpy.api import CompletedProcess, Sandbox, SandboxError, SandboxTimeout

__all__ = ["Sandbox", "CompletedProcess", "SandboxError", "SandboxTimeout"]
__version__ = "0.1.0"
