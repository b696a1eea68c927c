"""The fuzzer's guest paths: what guest init creates before the workers start, and what they name.

Every directory below is made on each kind of file system the sandbox has: `/tmp/fz`
(tmpfs), `/fzr` (the overlay over the read-only rootfs) and `/rw/fz` (a host directory
bind-mounted read-write).  In each: a file, a directory with a file,
symlinks to a file, a directory, themselves, nowhere, /proc/self, `../../..` and `/`, a
FIFO, a bound unix socket, a name that is not UTF-8 and a name of 255 bytes.  The corpus
adds paths through `..`, trailing slashes, /proc/self/..., /dev, the mount points
themselves, relative names (workers start in /tmp/fz), the empty path and a too-long one.

Each entry is (op, path, ...) as bytes; guest.c does the op (`mkdir`, `file`,
`symlink TARGET PATH`, `fifo`, `sock`) at start-up and keeps every path as a corpus entry
(`path` entries are only named, never made).
"""
from __future__ import annotations

BASES = (b"/tmp/fz", b"/fzr", b"/rw/fz")
LONG = b"L" * 255


def _per_base(b: bytes) -> list[tuple[bytes, ...]]:
    return [
        (b"mkdir", b),
        (b"file", b + b"/f"),
        (b"mkdir", b + b"/d"),
        (b"file", b + b"/d/e"),
        (b"symlink", b"f", b + b"/ln_f"),
        (b"symlink", b"d", b + b"/ln_d"),
        (b"symlink", b"ln_loop", b + b"/ln_loop"),
        (b"symlink", b"nowhere", b + b"/ln_dang"),
        (b"symlink", b"/proc/self", b + b"/ln_proc"),
        (b"symlink", b"../../..", b + b"/ln_up"),
        (b"symlink", b"/", b + b"/ln_root"),
        (b"fifo", b + b"/fifo"),
        (b"sock", b + b"/sock"),
        (b"file", b + b"/\xff\xfe"),
        (b"file", b + b"/" + LONG),
        (b"path", b + b"/new"),
        (b"path", b + b"/new2"),
        (b"path", b + b"/d/new"),
        (b"path", b + b"/f/"),
        (b"path", b + b"/f/x"),
        (b"path", b + b"/d/../f"),
        (b"path", b + b"/ln_d/e"),
        (b"path", b + b"/ln_d/../f"),
        (b"path", b + b"/ln_proc/status"),
        (b"path", b + b"/ln_up/etc/passwd"),
        (b"path", b + b"/ln_root/proc/self/fd"),
        (b"path", b + b"/nonexistent/x"),
        (b"path", b + b"/\xff\xfe/x"),
        (b"path", b + b"/" + LONG + b"X"),
        (b"path", b + b"/./d/./e"),
        (b"path", b + b"//d//e//"),
    ]


GLOBAL = [
    b"/", b"", b".", b"..", b"/..", b"/../../..", b"/tmp", b"/proc", b"/dev", b"/fz", b"/rw",
    b"/fzr", b"/dev/shm", b"/etc/passwd", b"/etc/hostname", b"/etc", b"/bin", b"/bin/busybox",
    b"/bin/sh", b"/fz/guest", b"/fz/spec.txt", b"/proc/self", b"/proc/self/exe", b"/proc/self/fd/3",
    b"/proc/self/fd/0", b"/proc/self/fd/1", b"/proc/self/fd", b"/proc/self/cwd",
    b"/proc/self/root", b"/proc/self/root/etc/passwd", b"/proc/1/status", b"/proc/1/fd",
    b"/proc/1/cwd/..", b"/proc/self/maps", b"/proc/self/mountinfo", b"/proc/self/status",
    b"/proc/self/stat", b"/proc/self/task", b"/proc/thread-self", b"/proc/sys/kernel/hostname",
    b"/proc/mounts", b"/proc/cpuinfo", b"/proc/uptime", b"/proc/net/unix", b"/proc/2/exe",
    b"/proc/99999", b"/proc/self/fd/../..", b"/dev/null", b"/dev/zero", b"/dev/urandom",
    b"/dev/tty", b"/dev/fd/0", b"/dev/pts/0", b"/dev/ptmx", b"/dev/console", b"/dev/stdin",
    b"f", b"d", b"d/e", b"ln_d/e", b"ln_f", b"../fz/f", b"./f", b"fifo", b"sock", b"ln_loop",
    b"../../../../etc/passwd", b"//tmp//fz//f", b"/tmp/fz/\xc3\x28", b"/\xff", b"/tmp/./fz/../fz/d",
    b"/rw/..", b"/fz/..", b"/proc/..", b"/tmp/..", b"/dev/shm/..",
]


def setup() -> list[tuple[bytes, ...]]:
    """(op, path...) in creation order: the per-base entries, then the global paths."""
    out: list[tuple[bytes, ...]] = []
    for b in BASES:
        out.extend(_per_base(b))
    out.extend((b"path", p) for p in GLOBAL)
    return out
