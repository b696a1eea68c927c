"""Build the default guest userland: a plain directory tree on the host that a
umlpy sandbox mounts, read-only, as the lower layer of its root overlay.  The
tree holds the host's static Debian busybox (``/bin/busybox``) with one symlink
per applet, a small ``/etc`` (passwd, group, hostname, hosts, profile,
os-release, ...), the empty mount points the guest kernel fills in (``/proc``,
``/dev``, ``/sys``, ``/tmp``...), and a few of the host's own *dynamic* ELF
programs (bash, ls, ...) copied together with every shared library they need
and the dynamic loader, found with pyelftools (PT_INTERP, DT_NEEDED,
DT_RUNPATH/DT_RPATH) the way ld.so would find them.  Libraries keep their host
path and the host's directory symlinks (merged-/usr ``/lib -> usr/lib`` and
friends) are reproduced, so the guest sees the same layout as the host; an
``/etc/ld.so.cache`` for the tree is generated with ``ldconfig -r``.  Nothing
here is stored in git: the tree lives in the per-user store (umlpy.image.store),
built on first use, by ``umlpy rootfs build`` or by ``python3 -m umlpy.image
build [DEST]``.  Without a static busybox on the host the tree is made of the
host's own dynamic programs alone (``FALLBACK_HOST_BINARIES``, /bin/sh being
bash).  umlpy itself never chroots; this module only writes files.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path


__all__ = [
    "DEFAULT_HOST_BINARIES",
    "DEFAULT_ROOTFS",
    "FALLBACK_HOST_BINARIES",
    "HOST_BUSYBOX",
    "MARKER",
    "RootfsError",
    "build",
    "copy_host_binary",
    "describe",
    "elf_info",
    "host_busybox",
    "resolve_in_root",
]

#: The checkout's own tree (ignored by git), kept for the test suite's pre-flight
#: check; the default userland is the store's (umlpy.image.store.default_path()).
DEFAULT_ROOTFS: Path = Path(__file__).resolve().parent.parent.parent / "rootfs" / "image"

#: Host programs copied (with their libraries) into every default rootfs.  They
#: land at their host location (``/usr/bin/NAME``) and, when busybox has no
#: applet of that name there, also get a ``/bin/NAME`` link (``/bin/bash``).
DEFAULT_HOST_BINARIES: tuple[str, ...] = (
    "bash", "ls", "cat", "env", "true", "false", "id", "stat", "uname", "sleep",
)

#: Without busybox: the host programs the tree is made of (those present; bash
#: is required and is also /bin/sh).
FALLBACK_HOST_BINARIES: tuple[str, ...] = DEFAULT_HOST_BINARIES + (
    "echo", "pwd", "mkdir", "rmdir", "rm", "cp", "mv", "ln", "chmod", "chown", "touch",
    "head", "tail", "wc", "sort", "uniq", "cut", "tr", "tee", "date", "hostname", "readlink",
    "basename", "dirname", "du", "df", "printf", "test", "grep", "sed", "find", "xargs",
    "ps", "kill", "which", "more",
)

#: The host's static busybox (Debian package ``busybox-static``).
HOST_BUSYBOX = "/bin/busybox"

#: File at the top of a tree made by ``build``; its presence is what allows a
#: later ``build`` to delete the tree.
MARKER = ".umlpy-rootfs"

_EM_X86_64 = "EM_X86_64"
# Directories the guest's ld.so (Debian glibc, x86-64) searches when a library
# is not in ld.so.cache; they are also searched here after ld.so.conf.
_DEFAULT_LIB_DIRS = (
    "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
    "/lib", "/usr/lib",
)
_LD_SO_CONF = "/etc/ld.so.conf"

# (guest path, mode): empty directories of every tree.
_DIRS = (
    ("bin", 0o755), ("sbin", 0o755), ("usr", 0o755), ("usr/bin", 0o755),
    ("usr/sbin", 0o755), ("usr/lib", 0o755), ("usr/local", 0o755),
    ("usr/local/bin", 0o755), ("etc", 0o755), ("root", 0o700), ("home", 0o755),
    ("tmp", 0o1777), ("proc", 0o555), ("sys", 0o555), ("dev", 0o755),
    ("mnt", 0o755), ("run", 0o755), ("var", 0o755), ("var/tmp", 0o1777),
)


class RootfsError(ValueError):
    """A rootfs cannot be built as asked (bad destination, missing host file)."""


# --------------------------------------------------------------------- ELF ---

class _Elf:
    """What the loader needs to know about one ELF file."""

    def __init__(self, path: str) -> None:
        # pyelftools is imported here, not at the top: only building a rootfs
        # needs it, and importing it costs every `umlpy run` about 22 ms
        from elftools.common.exceptions import ELFError
        from elftools.elf.dynamic import DynamicSection
        from elftools.elf.elffile import ELFFile
        self.path = path
        try:
            with open(path, "rb") as f:
                elf = ELFFile(f)
                self.elfclass: int = elf.elfclass
                self.machine: str = elf.header["e_machine"]
                self.interp: str | None = None
                self.needed: list[str] = []
                self.rpath: list[str] = []
                self.runpath: list[str] = []
                for seg in elf.iter_segments():
                    if seg["p_type"] == "PT_INTERP":
                        self.interp = seg.get_interp_name()
                for sec in elf.iter_sections():
                    if not isinstance(sec, DynamicSection):
                        continue
                    for tag in sec.iter_tags():
                        if tag.entry.d_tag == "DT_NEEDED":
                            self.needed.append(tag.needed)
                        elif tag.entry.d_tag == "DT_RPATH":
                            self.rpath += tag.rpath.split(":")
                        elif tag.entry.d_tag == "DT_RUNPATH":
                            self.runpath += tag.runpath.split(":")
        except (ELFError, OSError, ValueError) as e:
            raise RootfsError(f"{path}: not a readable ELF file ({e})") from None

    @property
    def compatible(self) -> bool:
        return self.elfclass == 64 and self.machine == _EM_X86_64


def elf_info(path: str | Path) -> dict:
    """Return ``{"interp", "needed", "rpath", "runpath", "class", "machine"}`` of an ELF."""
    e = _Elf(str(path))
    return {"interp": e.interp, "needed": list(e.needed), "rpath": list(e.rpath),
            "runpath": list(e.runpath), "class": e.elfclass, "machine": e.machine}


def _ld_so_conf_dirs(conf: str = _LD_SO_CONF, _seen: set[str] | None = None) -> list[str]:
    """Directories listed in ld.so.conf, following ``include`` lines (globs)."""
    seen = _seen if _seen is not None else set()
    if conf in seen:
        return []
    seen.add(conf)
    try:
        lines = Path(conf).read_text(errors="replace").splitlines()
    except OSError:
        return []
    dirs: list[str] = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("hwcap"):
            continue
        if line.startswith("include"):
            for pat in line.split()[1:]:
                if not os.path.isabs(pat):
                    pat = os.path.join(os.path.dirname(conf), pat)
                for inc in sorted(glob.glob(pat)):
                    dirs += _ld_so_conf_dirs(inc, seen)
        else:
            dirs += [d for d in line.replace(",", " ").split() if os.path.isabs(d)]
    return dirs


def _host_search_dirs() -> list[str]:
    out: list[str] = []
    for d in _ld_so_conf_dirs() + list(_DEFAULT_LIB_DIRS):
        if d not in out:
            out.append(d)
    return out


def _expand(entry: str, origin: str) -> str:
    for token in ("${ORIGIN}", "$ORIGIN"):
        entry = entry.replace(token, origin)
    for token in ("${LIB}", "$LIB"):
        entry = entry.replace(token, "lib/x86_64-linux-gnu")
    for token in ("${PLATFORM}", "$PLATFORM"):
        entry = entry.replace(token, "x86_64")
    return os.path.normpath(entry) if entry else entry


# ------------------------------------------------------ guest tree writing ---

def _guest(root: Path, guest_path: str) -> Path:
    """Host location of an absolute guest path (lexically; no symlink is followed)."""
    if not guest_path.startswith("/"):
        raise RootfsError(f"guest path must be absolute: {guest_path!r}")
    rel = os.path.normpath(guest_path).lstrip("/")
    if rel.startswith(".."):
        raise RootfsError(f"guest path escapes the root: {guest_path!r}")
    return root / rel if rel not in ("", ".") else root


def resolve_in_root(root: Path, guest_path: str) -> Path | None:
    """Host location of `guest_path` with symlinks resolved inside `root`, the way
    the guest (or a chroot) sees it; None if a component does not exist."""
    root = Path(root)
    todo = list(Path(os.path.normpath(guest_path)).parts[1:])
    cur = "/"
    hops = 0
    while todo:
        part = todo.pop(0)
        if part == "..":
            cur = os.path.dirname(cur)
            continue
        if part in ("", "."):
            continue
        nxt = os.path.join(cur, part)
        try:
            st = os.lstat(_guest(root, nxt))
        except (FileNotFoundError, NotADirectoryError):
            return None
        if stat.S_ISLNK(st.st_mode):
            hops += 1
            if hops > 40:
                return None
            target = os.readlink(_guest(root, nxt))
            todo = list(Path(target).parts) + todo
            if os.path.isabs(target):
                todo.pop(0)
                cur = "/"
        else:
            cur = nxt
    return _guest(root, cur)


def _guest_mkdirs(root: Path, guest_dir: str) -> None:
    """mkdir -p inside root, refusing to go through a symlink."""
    cur = root
    for part in Path(os.path.normpath(guest_dir)).parts[1:]:
        cur = cur / part
        try:
            st = os.lstat(cur)
        except FileNotFoundError:
            os.mkdir(cur, 0o755)
            continue
        if not stat.S_ISDIR(st.st_mode):
            raise RootfsError(f"{cur}: exists in the guest tree and is not a directory")


def _copy_file(src: str, dst: Path) -> None:
    """Copy a regular file (following src symlinks) to dst, replacing dst; no set-id bits."""
    if os.path.lexists(dst):
        if os.path.isdir(dst) and not os.path.islink(dst):
            raise RootfsError(f"{dst}: is a directory in the guest tree")
        os.unlink(dst)
    shutil.copyfile(src, dst, follow_symlinks=True)
    os.chmod(dst, stat.S_IMODE(os.stat(src).st_mode) & 0o777)


def _mirror_host_path(root: Path, host_path: str) -> str:
    """Copy host file `host_path` to the same guest path, reproducing every
    symlink met on the way (``/lib -> usr/lib``, ``libfoo.so.1 -> libfoo.so.1.2``).
    Returns the guest path of the regular file finally copied."""
    todo = list(Path(os.path.normpath(host_path)).parts[1:])
    cur = "/"
    hops = 0
    while todo:
        part = todo.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            cur = os.path.dirname(cur)
            continue
        hpath = os.path.join(cur, part)
        gpath = _guest(root, hpath)
        st = os.lstat(hpath)  # FileNotFoundError propagates: caller checked existence
        if stat.S_ISLNK(st.st_mode):
            hops += 1
            if hops > 40:
                raise RootfsError(f"{host_path}: too many levels of symbolic links")
            target = os.readlink(hpath)
            if not os.path.lexists(gpath):
                os.symlink(target, gpath)
            elif os.path.islink(gpath):
                if os.readlink(gpath) != target:
                    raise RootfsError(f"{gpath}: guest symlink differs from host {hpath} -> {target}")
            elif not (todo and os.path.isdir(gpath)):
                # A real guest directory where the host has a symlink (e.g. the
                # guest's own /bin) is fine: we keep following the host link.
                raise RootfsError(f"{gpath}: guest has a different file where host has a symlink")
            todo = list(Path(target).parts) + todo
            if os.path.isabs(target):
                todo.pop(0)
                cur = "/"
        elif stat.S_ISDIR(st.st_mode):
            if not todo:
                raise RootfsError(f"{host_path}: is a directory")
            if os.path.lexists(gpath):
                if os.path.islink(gpath) or not os.path.isdir(gpath):
                    raise RootfsError(f"{gpath}: guest has a non-directory where host has one")
            else:
                os.mkdir(gpath, 0o755)
            cur = hpath
        elif stat.S_ISREG(st.st_mode):
            if todo:
                raise RootfsError(f"{hpath}: not a directory")
            _copy_file(hpath, gpath)
            return hpath
        else:
            raise RootfsError(f"{hpath}: not a regular file")
    raise RootfsError(f"{host_path}: is a directory")


class _Copier:
    """Copies ELF objects and, transitively, what ld.so would load for them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.search = _host_search_dirs()
        self.copied: list[str] = []
        self.done: set[tuple[str, str]] = set()  # (host realpath, guest dir)

    def _add(self, guest_path: str) -> None:
        if guest_path not in self.copied:
            self.copied.append(guest_path)

    def object(self, host: str, guest: str | None, top: _Elf | None = None) -> None:
        """Copy one ELF (host -> guest path; None = mirror at host path), then its deps."""
        real = os.path.realpath(host)
        key = (real, os.path.dirname(guest)) if guest else (os.path.normpath(host), "=")
        if key in self.done:
            return
        self.done.add(key)
        elf = _Elf(real)
        if not elf.compatible:
            raise RootfsError(f"{host}: not an x86-64 64-bit ELF ({elf.machine}, {elf.elfclass}-bit)")
        if guest is None:
            guest_real = _mirror_host_path(self.root, host)
            self._add(os.path.normpath(host))
            if guest_real != os.path.normpath(host):
                self._add(guest_real)
            guest_dir = os.path.dirname(os.path.normpath(host))
        else:
            dst = _guest(self.root, guest)
            _guest_mkdirs(self.root, os.path.dirname(os.path.normpath(guest)))
            _copy_file(host, dst)
            self._add(os.path.normpath(guest))
            guest_dir = os.path.dirname(os.path.normpath(guest))
        if elf.interp:
            if not os.path.exists(elf.interp):
                raise RootfsError(f"{host}: its interpreter {elf.interp} is not on the host")
            self.object(elf.interp, None)
        top = top or elf
        for name in elf.needed:
            found = self._find(name, elf, top, os.path.dirname(real), guest_dir)
            if found is None:
                raise RootfsError(f"{host}: needed library {name} not found on the host")
            self.object(*found, top=top)

    def _find(self, name: str, elf: _Elf, top: _Elf, host_origin: str,
              guest_origin: str) -> tuple[str, str | None] | None:
        """(host path, guest path or None to mirror) of DT_NEEDED `name`."""
        if "/" in name:
            cands = [(_expand(name, host_origin), _expand(name, guest_origin))]
        else:
            entries: list[str] = []
            if not elf.runpath:
                entries += elf.rpath
                if top is not elf and not top.runpath:
                    entries += top.rpath
            entries += elf.runpath
            cands = []
            for e in entries:
                if not e:
                    continue
                h = _expand(e, host_origin)
                g = _expand(e, guest_origin)
                cands.append((os.path.join(h, name), os.path.join(g, name)))
            cands += [(os.path.join(d, name), os.path.join(d, name)) for d in self.search]
        for h, g in cands:
            if not os.path.isfile(h):
                continue
            try:
                if not _Elf(os.path.realpath(h)).compatible:
                    continue  # ld.so skips other-arch libraries too
            except RootfsError:
                continue
            return (h, None if os.path.normpath(h) == os.path.normpath(g) else g)
        return None


def copy_host_binary(root: Path, host_path: str | Path, guest_path: str | None = None) -> list[str]:
    """Copy the host ELF `host_path` into the tree `root` at `guest_path`.

    Also copies, recursively, its PT_INTERP (ld.so) and its DT_NEEDED
    libraries, searched like ld.so does (DT_RPATH, DT_RUNPATH with $ORIGIN,
    /etc/ld.so.conf and includes, then the default lib directories).  Libraries
    keep their host path, with the host's symlinks reproduced; a library found
    through $ORIGIN is placed relative to the guest copy instead.  The default
    `guest_path` is the host path with its directory's symlinks resolved
    (``/bin/ls`` -> ``/usr/bin/ls`` on merged-/usr hosts).  Set-id bits are
    dropped.  Returns the guest paths written (regular files, in copy order).
    Raises RootfsError (a ValueError) for a missing file, a non-ELF or
    non-x86-64 file, or a library that cannot be found.
    """
    root = Path(root)
    host = os.path.abspath(os.fspath(host_path))
    if not os.path.isfile(host):
        raise RootfsError(f"{host}: no such host file")
    if not root.is_dir():
        raise RootfsError(f"{root}: the rootfs directory does not exist")
    if guest_path is None:
        guest_path = os.path.join(os.path.realpath(os.path.dirname(host)), os.path.basename(host))
    c = _Copier(root)
    c.object(host, guest_path)
    if len(c.copied) > 1 and (root / "etc").is_dir():
        _write_ld_so_conf(root)
        _update_ld_cache(root)
    return c.copied


def _write_ld_so_conf(root: Path) -> None:
    """Guest /etc/ld.so.conf: the host's library dirs that exist in the tree."""
    dirs: list[str] = []
    seen: set[Path] = set()
    for d in _host_search_dirs():
        r = resolve_in_root(root, d)
        if r is not None and r.is_dir() and r not in seen:
            seen.add(r)
            dirs.append(d)
    (root / "etc" / "ld.so.conf").write_text(
        "# written by umlpy.image: library directories present in this tree\n"
        + "".join(d + "\n" for d in dirs))


def _update_ld_cache(root: Path) -> bool:
    """Regenerate root/etc/ld.so.cache with the host's ldconfig; False if none."""
    ldconfig = shutil.which("ldconfig") or next(
        (p for p in ("/sbin/ldconfig", "/usr/sbin/ldconfig") if os.path.exists(p)), None)
    if ldconfig is None:
        return False  # ld.so then searches its default dirs: still works, slower
    r = subprocess.run([ldconfig, "-X", "-r", str(root)], check=False, capture_output=True, text=True)
    if r.returncode != 0:
        raise RootfsError(f"ldconfig -r {root} failed: {r.stderr.strip()}")
    return True


# ------------------------------------------------------------------ build ---

def _check_static(path: str) -> None:
    if not os.path.isfile(path):
        raise RootfsError(f"{path}: not found; run `apt-get install busybox-static`")
    e = _Elf(path)
    if e.interp is not None or e.needed:
        raise RootfsError(
            f"{path} is dynamically linked (PT_INTERP {e.interp}); umlpy needs the static "
            "busybox: run `apt-get install busybox-static`")
    if not e.compatible:
        raise RootfsError(f"{path}: not an x86-64 64-bit ELF")


def _check_hostname(hostname: str) -> None:
    ok = 0 < len(hostname) <= 64 and all(
        0 < len(label) <= 63 and label[0] != "-" and label[-1] != "-"
        and all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in label)
        for label in hostname.split("."))
    if not ok:
        raise RootfsError(f"invalid hostname {hostname!r} (letters, digits, '-', '.'; max 64)")


def _is_previous_build(dest: Path) -> bool:
    return os.path.isfile(dest / MARKER) and not os.path.islink(dest / MARKER)


def _busybox_applets(busybox: Path) -> list[str]:
    r = subprocess.run([str(busybox), "--list-full"], check=False, capture_output=True, text=True)
    if r.returncode != 0:
        raise RootfsError(f"{busybox} --list-full failed: {r.stderr.strip()}")
    return [ln.strip() for ln in r.stdout.splitlines() if ln.strip()]


def _install_busybox(root: Path, busybox: str) -> int:
    _copy_file(busybox, root / "bin" / "busybox")
    os.chmod(root / "bin" / "busybox", 0o755)
    n = 0
    for entry in _busybox_applets(root / "bin" / "busybox"):
        d, _, name = entry.rpartition("/")
        # Top-level entries (Debian lists "linuxrc", for initrds) are not wanted.
        if not d or name == "busybox" or d not in ("bin", "sbin", "usr/bin", "usr/sbin"):
            continue
        link = root / d / name
        if os.path.lexists(link):
            continue
        os.symlink(os.path.relpath("bin/busybox", d), link)
        n += 1
    return n


def _etc_files(root: Path, hostname: str) -> None:
    shells = ["/bin/sh"] + [s for s in ("/bin/ash", "/bin/bash") if os.path.lexists(root / s[1:])]
    path = "/usr/local/sbin:/usr/local/bin:/bin:/sbin:/usr/bin:/usr/sbin"
    profile = (
        "# /etc/profile: read by login shells (sh -l, bash -l)\n"
        f"export PATH={path}\n"
        "export HOME=${HOME:-/root}\n"
        "export PS1='\\u@\\h:\\w\\$ '\n"
        "umask 022\n"
    )
    files = {
        "etc/passwd": "root:x:0:0:root:/root:/bin/sh\n"
                      "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
        "etc/group": "root:x:0:\nnogroup:x:65534:\n",
        "etc/shadow": "root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n",
        "etc/hostname": hostname + "\n",
        "etc/hosts": f"127.0.0.1\tlocalhost\n127.0.1.1\t{hostname}\n"
                     "::1\tlocalhost ip6-localhost ip6-loopback\n",
        "etc/profile": profile,
        "etc/bash.bashrc": "# bash interactive shells\nexport PS1='\\u@\\h:\\w\\$ '\n",
        "etc/os-release": 'NAME="umlpy"\nID=umlpy\nPRETTY_NAME="umlpy guest userland"\n'
                          'VERSION_ID="1"\n',
        "etc/shells": "".join(s + "\n" for s in shells),
        "etc/nsswitch.conf": "passwd: files\ngroup: files\nshadow: files\n"
                             "hosts: files dns\nnetworks: files\nservices: files\n",
    }
    for rel, text in files.items():
        (root / rel).write_text(text)
    os.chmod(root / "etc/shadow", 0o640)


def _tree_summary(root: Path) -> tuple[int, int, int, int]:
    """(regular files, symlinks, directories, bytes of regular files)."""
    files = links = dirs = size = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, n))
            if stat.S_ISLNK(st.st_mode):
                links += 1
            elif stat.S_ISDIR(st.st_mode):
                dirs += 1
            else:
                files += 1
                size += st.st_size
    return files, links, dirs, size


def _is_program(path: str | None) -> bool:
    """Is `path` an x86-64 ELF program (not a script)?"""
    try:
        return path is not None and _Elf(os.path.realpath(path)).compatible
    except RootfsError:
        return False


def host_busybox() -> str | None:
    """The host's static busybox, or None if it has none (or only a dynamic one)."""
    try:
        _check_static(HOST_BUSYBOX)
    except RootfsError:
        return None
    return HOST_BUSYBOX


def build(dest: Path, *, host_binaries: Sequence[str] | None = None,
          hostname: str = "umlpy", busybox: str | Path | None = HOST_BUSYBOX,
          progress: Callable[[str], None] | None = None) -> Path:
    """Create a fresh guest root tree at `dest` and return its absolute path.

    An existing `dest` is replaced only if it is empty or a previous build
    (it has the ``.umlpy-rootfs`` marker); anything else raises RootfsError
    (a ValueError).  The tree is assembled in a temporary sibling directory
    and renamed into place, so an interrupted build never leaves half a tree.
    `host_binaries` are names looked up on PATH or absolute paths (default
    DEFAULT_HOST_BINARIES).  With `busybox` None the tree is the host's own
    programs: `host_binaries` defaults to those of FALLBACK_HOST_BINARIES the
    host has, and /bin/sh is bash.  `progress`, if given, is called with one
    line of text per step.
    """
    say = progress or (lambda _line: None)
    dest = Path(os.path.abspath(os.fspath(dest)))
    _check_hostname(hostname)
    if busybox is not None:
        busybox = os.fspath(busybox)
        _check_static(busybox)
        if host_binaries is None:
            host_binaries = DEFAULT_HOST_BINARIES
    elif host_binaries is None:
        host_binaries = tuple(n for n in FALLBACK_HOST_BINARIES if _is_program(shutil.which(n)))
        if "bash" not in host_binaries:
            raise RootfsError("no static busybox and no bash on the host: nothing to make "
                              "a userland of (apt-get install busybox-static)")
    if os.path.lexists(dest):
        if os.path.islink(dest) or not dest.is_dir():
            raise RootfsError(f"{dest}: exists and is not a directory; refusing to replace it")
        if any(dest.iterdir()) and not _is_previous_build(dest):
            raise RootfsError(f"{dest}: not empty and not a umlpy rootfs (no {MARKER}); "
                              "refusing to delete it")
    binaries: list[str] = []
    for name in host_binaries:
        p = name if os.path.isabs(name) else shutil.which(name)
        if p is None or not os.path.isfile(p):
            raise RootfsError(f"host binary {name!r} not found")
        binaries.append(p)

    say(f"building a userland in {dest}" + (
        "" if busybox is not None else " from the host's own programs (no static busybox; "
        "apt-get install busybox-static gives a fuller one)"))
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.build-", dir=dest.parent))
    try:
        os.chmod(tmp, 0o755)
        for rel, mode in _DIRS:
            (tmp / rel).mkdir(exist_ok=True)
            os.chmod(tmp / rel, mode)
        if busybox is not None:
            n = _install_busybox(tmp, busybox)
            say(f"busybox: {busybox}, {n} applets")
        c = _Copier(tmp)
        if binaries:
            say(f"copying {len(binaries)} host programs and their libraries")
        for p in binaries:
            guest = os.path.join(os.path.realpath(os.path.dirname(p)), os.path.basename(p))
            c.object(p, guest)
            # Merged-/usr convenience for names busybox does not own (/bin/bash).
            for d in ("bin", "sbin"):
                if guest.startswith(f"/usr/{d}/") and guest.count("/") == 3:
                    compat = tmp / d / os.path.basename(guest)
                    if not os.path.lexists(compat):
                        os.symlink(f"../usr/{d}/{os.path.basename(guest)}", compat)
        if busybox is None and not os.path.lexists(tmp / "bin" / "sh"):
            os.symlink("bash", tmp / "bin" / "sh")
        say(f"{len(c.copied)} files copied; writing /etc and ld.so.cache")
        _etc_files(tmp, hostname)
        _write_ld_so_conf(tmp)
        _update_ld_cache(tmp)
        (tmp / MARKER).write_text(json.dumps({
            "builder": "umlpy.image", "hostname": hostname, "busybox": busybox,
            "host_binaries": list(host_binaries)}) + "\n")
        if os.path.lexists(dest):
            shutil.rmtree(dest)
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def describe(root: Path) -> str:
    """One line about a built tree: its path, files, symlinks, dirs and size."""
    files, links, dirs, size = _tree_summary(Path(root))
    return f"{root}: {files} files, {links} symlinks, {dirs} dirs, {size / 1e6:.1f} MB"
