"""Building and importing root file systems, and the per-user store holding the default one."""
from umlpy.image.rootfs import (  # noqa: F401
    DEFAULT_HOST_BINARIES,
    DEFAULT_ROOTFS,
    MARKER,
    build,
    copy_host_binary,
    elf_info,
)
from umlpy.image.store import default_path, ensure_default, store_dir  # noqa: F401
