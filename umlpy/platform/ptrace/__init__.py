"""The ptrace + seccomp backend: one C call per stop (csrc/), a seccomp filter for the native class."""
