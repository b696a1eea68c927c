"""Building and importing root file systems (the default userland)."""
from umlpy.image.rootfs import DEFAULT_HOST_BINARIES, DEFAULT_ROOTFS, MARKER, build, copy_host_binary, elf_info  # noqa: F401
