"""Make a new root file system in the store: ``umlpy rootfs create NAME --from SOURCE``.

SOURCE is ``busybox`` (the host's static busybox plus a few host programs, as
the default userland), ``host`` (the host's own dynamic programs and their
libraries) or ``debian[:SUITE]`` (default bookworm): a Debian tree bootstrapped
from the host's own apt sources (``/etc/apt/sources.list.d/*.sources`` or
``/etc/apt/sources.list``; no mirror is hard-coded), with the minbase variant
plus ``--packages``.  As root that is ``debootstrap``; an ordinary user gets
``mmdebstrap`` (``--mode=unshare`` with subordinate ids, else ``--mode=fakechroot``),
which writes a tar that is then unpacked like an
imported image (no chown, set-id bits stripped).  umlpy installs neither tool;
a missing one is an error naming its package.  The tool's progress lines pass
through.  The tree is built in a hidden directory beside ``STORE/rootfs/NAME``
and renamed into place only when complete, so a failure leaves nothing; what
it was made from goes to ``STORE/rootfs/NAME.json`` (shown by ``rootfs ls``).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from umlpy.image.importer import ImageError, _check_name, _rmtree, _Tree, _tree_size, rootfs_dir
from umlpy.image.rootfs import build, host_busybox, resolve_in_root
from umlpy.image.store import DEFAULT_NAME, _Lock, store_dir

__all__ = ["DEFAULT_SUITE", "CreateError", "apt_mirror", "create", "parse_source"]

#: The Debian suite of ``--from debian``.
DEFAULT_SUITE = "bookworm"

_PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]+")
_SUITE = re.compile(r"[a-z][a-z0-9-]{1,40}")
_SOURCES = ("/etc/apt/sources.list.d", "/etc/apt/sources.list")
_SUBIDS = ("/etc/subuid", "/etc/subgid")

Progress = Callable[[str], None]


class CreateError(ImageError):
    """The rootfs cannot be created: bad name or source, missing tool, the tool failed."""


def parse_source(source: str) -> tuple[str, str | None]:
    """``busybox`` | ``host`` | ``debian[:SUITE]`` -> (kind, suite or None)."""
    kind, colon, suite = source.partition(":")
    if kind in ("busybox", "host") and not colon:
        return kind, None
    if kind == "debian":
        suite = suite if colon else DEFAULT_SUITE
        if not _SUITE.fullmatch(suite):
            raise CreateError(f"bad Debian suite {suite!r} (e.g. bookworm, trixie)")
        return kind, suite
    raise CreateError(f"bad --from {source!r}: expected busybox, host or debian[:SUITE]")


def _parse_packages(packages: Sequence[str]) -> list[str]:
    out = []
    for p in packages:
        if not _PACKAGE.fullmatch(p):
            raise CreateError(f"bad package name {p!r}")
        if p not in out:
            out.append(p)
    return out


# ------------------------------------------------------------ apt sources ---

def _stanzas(text: str) -> list[dict[str, str]]:
    """The deb822 stanzas of a .sources file, as {field (lower case): value}."""
    out, cur, key = [], {}, None
    for line in text.splitlines() + [""]:
        if line.startswith("#"):
            continue
        if not line.strip():
            if cur:
                out.append(cur)
            cur, key = {}, None
        elif line[0] in " \t" and key:
            cur[key] += " " + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            key = key.strip().lower()
            cur[key] = value.strip()
    return out


def _apt_entries() -> list[tuple[str, list[str]]]:
    """(URI, suites) of every ``deb`` source the host's apt has, in file order."""
    entries: list[tuple[str, list[str]]] = []
    d, one_line = Path(_SOURCES[0]), Path(_SOURCES[1])
    files = sorted(d.glob("*.sources")) if d.is_dir() else []
    for f in files:
        for s in _stanzas(f.read_text(errors="replace")):
            if "deb" in s.get("types", "").split() and s.get("enabled", "yes") != "no":
                entries += [(uri, s.get("suites", "").split()) for uri in s.get("uris", "").split()]
    lists = ([one_line] if one_line.is_file() else []) + (sorted(d.glob("*.list")) if d.is_dir() else [])
    for f in lists:
        for line in f.read_text(errors="replace").splitlines():
            words = re.sub(r"\[[^]]*\]", " ", line.split("#", 1)[0]).split()
            if len(words) >= 3 and words[0] == "deb":
                entries.append((words[1], [words[2]]))
    return entries


def apt_mirror(suite: str) -> str:
    """The Debian mirror of the host's apt sources for `suite`.

    The source listing `suite` itself wins; else the first one holding a plain
    suite (not ``-security``/``-updates``), whose archive then has `suite` too.
    """
    entries = [(u, s) for u, s in _apt_entries() if u.startswith(("http://", "https://", "file:/"))]
    for uri, suites in entries:
        if suite in suites:
            return uri
    for uri, suites in entries:
        if any("-" not in s and "/" not in s for s in suites):
            return uri
    raise CreateError(f"no Debian mirror in the host's apt sources ({' or '.join(_SOURCES)}) "
                      f"to bootstrap {suite} from")


# ------------------------------------------------------------ the tools ---

def _tool(name: str, package: str) -> str:
    path = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/sbin/{name}") if os.access(p, os.X_OK)), None)
    if path is None:
        raise CreateError(f"{name} is not installed: apt-get install {package}")
    return path


def _mmdebstrap_mode() -> str:
    """How an ordinary user's mmdebstrap runs: `unshare` where the user has subordinate
    ids (newuidmap maps them), else `fakechroot` where fakechroot and fakeroot are
    installed (no host configuration at all: the tar it writes carries the owners)."""
    import pwd
    user = pwd.getpwuid(os.getuid()).pw_name
    missing = [f for f in _SUBIDS if not _has_subids(f, user)]
    tools = [t for t in ("newuidmap", "newgidmap") if shutil.which(t) is None]
    if not missing and not tools:
        return "unshare"
    if shutil.which("fakechroot") and shutil.which("fakeroot"):
        return "fakechroot"
    what = ", ".join([f"no entry for {user} in {f}" for f in missing]
                     + [f"no {t} (apt-get install uidmap)" for t in tools])
    raise CreateError(f"mmdebstrap --mode=unshare needs subordinate ids: {what}; "
                      f"as root: usermod --add-subuids 100000-165535 "
                      f"--add-subgids 100000-165535 {user}; "
                      f"or apt-get install fakechroot fakeroot (--mode=fakechroot)")


def _has_subids(path: str, user: str) -> bool:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return False
    ids = {user, str(os.getuid())}
    return any(line.split(":", 1)[0] in ids for line in lines)


def _run_tool(argv: list[str], progress: Progress | None) -> None:
    """Run a bootstrap tool, passing each of its output lines to `progress`."""
    tool = os.path.basename(argv[0])
    last: list[str] = []
    with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace") as p:
        assert p.stdout is not None
        for line in p.stdout:
            line = line.rstrip()
            if not line:
                continue
            last = (last + [line])[-5:]
            if progress is not None:
                progress(f"{tool}: {line}")
    if p.returncode != 0:
        errors = [ln for ln in last if ln.startswith("E:")] or last[-1:]
        raise CreateError(f"{tool} failed (status {p.returncode})"
                          + (f": {errors[-1]}" if errors else ""))


def _mounts_under(path: Path) -> list[str]:
    """Mount points at or below `path` (debootstrap mounts /proc and /sys in it)."""
    prefix = os.path.realpath(path)
    out = []
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                mnt = line.split()[4].replace("\\040", " ")
                if mnt == prefix or mnt.startswith(prefix + "/"):
                    out.append(mnt)
    except OSError:
        pass
    return sorted(out, key=len, reverse=True)


def _debootstrap(root: Path, suite: str, packages: list[str], progress: Progress | None) -> None:
    exe = _tool("debootstrap", "debootstrap")
    argv = [exe, "--variant=minbase"]
    if packages:
        argv.append("--include=" + ",".join(packages))
    _run_tool(argv + [suite, str(root), apt_mirror(suite)], progress)


def _mmdebstrap(root: Path, suite: str, packages: list[str], progress: Progress | None) -> None:
    exe = _tool("mmdebstrap", "mmdebstrap")
    mode = _mmdebstrap_mode()
    tar_path = root.parent / "rootfs.tar"
    argv = [exe, f"--mode={mode}", "--variant=minbase", "--format=tar"]
    if packages:
        argv.append("--include=" + ",".join(packages))
    _run_tool(argv + [suite, str(tar_path), apt_mirror(suite)], progress)
    if progress is not None:
        progress(f"unpacking {tar_path.stat().st_size / 1e6:.0f} MB")
    tree = _Tree(root)
    with tarfile.open(tar_path) as tar:
        tree.apply_layer(tar)
    tree.finish()
    tar_path.unlink()


def _debian(root: Path, suite: str, packages: list[str], progress: Progress | None) -> None:
    root.mkdir()
    if os.geteuid() == 0:
        _debootstrap(root, suite, packages, progress)
    else:
        _mmdebstrap(root, suite, packages, progress)
    for deb in (root / "var/cache/apt/archives").glob("*.deb"):
        deb.unlink()                        # the downloaded packages: not needed any more


# ---------------------------------------------------------------- create ---

def _say(progress: Progress | None, line: str) -> None:
    if progress is not None:
        progress(line)


def _cleanup(tmp: Path) -> None:
    """Remove a failed build, after unmounting what a killed debootstrap left mounted."""
    for mnt in _mounts_under(tmp):
        subprocess.run(["umount", "-l", mnt], check=False, capture_output=True)
    if _mounts_under(tmp):
        raise CreateError(f"{tmp}: still has mounts; unmount them, then remove it")
    _rmtree(tmp)


def _install(name: str, tmp: Path, root: Path, meta: dict, force: bool) -> None:
    """Rename the finished tree (and its NAME.json) into place, under the store lock."""
    top = rootfs_dir()
    dest = top / name
    with _Lock(store_dir()):
        if os.path.lexists(dest) and not force:
            raise CreateError(f"rootfs {name!r} already exists (--force replaces it)")
        if os.path.lexists(dest):
            os.rename(dest, tmp / "old")
        meta_tmp = tmp / "meta.json"
        meta_tmp.write_text(json.dumps(meta, indent=1) + "\n")
        os.rename(root, dest)
        os.rename(meta_tmp, top / f"{name}.json")


def create(name: str, source: str, packages: Sequence[str] = (), *, force: bool = False,
           progress: Progress | None = None) -> dict:
    """Create STORE/rootfs/NAME from `source` (see parse_source); returns its NAME.json.

    `packages` are Debian packages added to a ``debian`` tree (an error for the
    others).  An existing NAME is replaced only with `force`.  Raises
    CreateError (a ValueError) with a one-line reason.
    """
    _check_name(name)
    if name == DEFAULT_NAME:
        raise CreateError(f"{name!r} is the default userland's name (umlpy rootfs build)")
    kind, suite = parse_source(source)
    pkgs = _parse_packages(packages)
    if pkgs and kind != "debian":
        raise CreateError("--packages is for --from debian[:SUITE] only")
    top = rootfs_dir()
    top.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(top / name) and not force:
        raise CreateError(f"rootfs {name!r} already exists (--force replaces it)")
    tmp = Path(tempfile.mkdtemp(dir=top, prefix=f".{name}.create-"))
    start = time.monotonic()
    try:
        root = tmp / "root"
        if kind == "debian":
            assert suite is not None
            _say(progress, f"bootstrapping Debian {suite} into {top / name}"
                           + (f" with {', '.join(pkgs)}" if pkgs else ""))
            _debian(root, suite, pkgs, progress)
        else:
            busybox = host_busybox() if kind == "busybox" else None
            if kind == "busybox" and busybox is None:
                raise CreateError("no static busybox on the host: apt-get install busybox-static")
            build(root, busybox=busybox, progress=progress)
        if resolve_in_root(root, "/bin/sh") is None:
            raise CreateError(f"the {source} tree has no /bin/sh")
        meta = {"name": name, "source": f"umlpy rootfs create --from {source}", "format": kind,
                "suite": suite, "packages": pkgs,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "size": _tree_size(root), "config": {}}
        _install(name, tmp, root, meta, force)
    except BaseException:
        _cleanup(tmp)
        raise
    _cleanup(tmp)
    _say(progress, f"rootfs {name} ready in {time.monotonic() - start:.0f}s: {top / name}")
    return meta
