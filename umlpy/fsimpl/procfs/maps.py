"""/proc/PID/maps and /proc/PID/smaps: the host's address-space listing, in guest paths.

The host's maps file names the files a process has mapped by host paths.
Each one is mapped back to a guest path: through the host directory of a
host-backed mount (rootfs layers, /tmp, binds), else through the VFS's
record of the objects it opened.  A path that maps to nothing is dropped,
never shown.  Anonymous and [special] maps, the guest's own memfds and SysV
segments, and smaps' detail lines pass through unchanged.
"""
from __future__ import annotations

import os
import re

from umlpy.fsimpl.procfs.nodes import Context

MAPS_LINE = re.compile(r"^([0-9a-f]+-[0-9a-f]+\s+\S+\s+[0-9a-f]+\s+([0-9a-f]+):([0-9a-f]+)\s+(\d+))"
                       r"(\s*)(.*)$")


def translate_maps(ctx: Context, host_maps: bytes) -> bytes:
    """A host maps (or smaps) file with every host path replaced by the guest's, or dropped."""
    raw = host_maps.decode(errors="surrogateescape")
    prefixes = _prefixes(ctx)
    out = []
    for line in raw.splitlines():
        m = MAPS_LINE.match(line)
        if m is None or not m.group(6).startswith("/"):
            out.append(line)           # smaps detail lines, anonymous and [special] maps
            continue
        head, pad, path = m.group(1), m.group(5), m.group(6)
        deleted = path.endswith(" (deleted)")
        bare = path.removesuffix(" (deleted)")
        if bare.startswith(("/memfd:", "/SYSV")) or path == "/dev/zero (deleted)":
            g = bare                   # the guest's own anonymous objects: not host paths
        else:
            dev = os.makedev(int(m.group(2), 16), int(m.group(3), 16))
            g = _guest_path(ctx, bare, dev, int(m.group(4)), prefixes)
        if g is None:
            out.append(head)
        else:
            out.append(head + pad + g + (" (deleted)" if deleted else ""))
    return ("\n".join(out) + ("\n" if out else "")).encode(errors="surrogateescape")


def _prefixes(ctx: Context) -> list[tuple[str, str]]:
    """(host directory, guest mount point) of every host-backed mount, longest first."""
    out = []
    for m in ctx.kernel.vfs.mounts.mounts:
        fs = m.fs
        dirs = []
        for layer in (getattr(fs, "upper", None), getattr(fs, "lower", None), fs):
            d = getattr(layer, "host_dir", None)
            if isinstance(d, str):
                dirs.append(d)
        for d in dirs:
            out.append((os.path.realpath(d), m.point))
            if os.path.abspath(d) != os.path.realpath(d):
                out.append((os.path.abspath(d), m.point))
    out.sort(key=lambda x: len(x[0]), reverse=True)
    return out


def _guest_path(ctx: Context, host_path: str, dev: int, ino: int,
                prefixes: list[tuple[str, str]]) -> str | None:
    for hdir, point in prefixes:
        if host_path == hdir or host_path.startswith(hdir.rstrip("/") + "/"):
            rest = host_path[len(hdir.rstrip("/")):]
            g = (point.rstrip("/") + rest) or "/"
            return ctx.for_reader(g)
    g = ctx.kernel.vfs.objects.get((dev, ino))
    return ctx.for_reader(g) if g else None
