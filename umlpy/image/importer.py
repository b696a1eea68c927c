"""Import container images into the store: ``umlpy rootfs import NAME FILE|DIR``.

Three forms are understood: a ``docker export`` tarball (a plain rootfs tar,
maybe gzip-compressed); a ``docker save``/``podman save`` archive (a tar whose
``manifest.json`` names the image config and the layer tars, in order); and an
OCI image layout (a directory or a tar holding ``oci-layout``, ``index.json``
and ``blobs/sha256/...``).  Layers are applied in order; in each, whiteouts
(``.wh.NAME`` removes NAME, ``.wh..wh..opq`` empties its directory of what
lower layers put there) are applied before the layer's own files.  Extraction
never writes outside the tree: absolute names, ``..`` components and members
reached through a symlink are refused, device nodes are skipped, set-id bits
are stripped and nothing is chowned (the guest's view of ownership is
virtual).  The tree is built in a hidden directory beside its final place,
``STORE/rootfs/NAME``, and renamed into place only once complete, so a corrupt
or truncated archive leaves nothing.  The image config's Env, WorkingDir,
Entrypoint, Cmd and User are kept beside the tree in ``STORE/rootfs/NAME.json``
(with the source and size), outside the guest's view.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import re
import shutil
import stat
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from umlpy.image.rootfs import RootfsError, resolve_in_root
from umlpy.image.store import DEFAULT_NAME, _Lock, store_dir

__all__ = ["CONFIG_KEYS", "ImageError", "import_image", "info", "list_rootfs", "lookup",
           "remove", "rootfs_dir"]

#: The image config fields kept beside the tree (the sandbox's defaults).
CONFIG_KEYS = ("Env", "WorkingDir", "Entrypoint", "Cmd", "User")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_WH = ".wh."
_OPQ = ".wh..wh..opq"


class ImageError(RootfsError):
    """The image cannot be imported (bad name, bad or truncated archive, unsafe member)."""


def rootfs_dir() -> Path:
    """STORE/rootfs: one directory per rootfs, NAME.json beside an imported one."""
    return store_dir() / "rootfs"


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name) or name.endswith(".json"):
        raise ImageError(f"bad rootfs name {name!r}: letters, digits, '_', '.' and '-', "
                           "starting with a letter or digit")


def lookup(value: str) -> Path | None:
    """STORE/rootfs/VALUE if `value` (no '/') names a rootfs in the store, else None."""
    if "/" in value or not _NAME.fullmatch(value):
        return None
    path = rootfs_dir() / value
    return path if path.is_dir() else None


def info(name: str) -> dict[str, Any]:
    """What NAME.json says about an imported rootfs ({} for one without it)."""
    try:
        data = json.loads((rootfs_dir() / f"{name}.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _tree_size(root: Path) -> int:
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for f in filenames + dirnames:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total


def list_rootfs() -> list[dict[str, Any]]:
    """Every rootfs in the store: name, path, source, format, size, config."""
    top = rootfs_dir()
    out = []
    try:
        names = sorted(os.listdir(top))
    except FileNotFoundError:
        return []
    for name in names:
        path = top / name
        if name.startswith(".") or not path.is_dir() or path.is_symlink():
            continue
        meta = info(name)
        if not meta:
            meta = {"source": "built by umlpy rootfs build" if name == DEFAULT_NAME else "unknown",
                    "size": _tree_size(path)}
        out.append({"name": name, "path": str(path), **meta})
    return out


def _rmtree(path: Path) -> None:
    def onerror(func, p, exc):             # a dir without write permission (non-root)
        try:
            os.chmod(os.path.dirname(p), 0o700)
            func(p)
        except OSError:
            pass
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, onerror=onerror)


def remove(name: str) -> Path:
    """Remove STORE/rootfs/NAME (and NAME.json); ImageError if there is none."""
    _check_name(name)
    path = rootfs_dir() / name
    with _Lock(store_dir()):
        if not path.is_dir():
            raise ImageError(f"no rootfs {name!r} in the store ({rootfs_dir()})")
        trash = Path(tempfile.mkdtemp(dir=rootfs_dir(), prefix=f".{name}.rm-"))
        os.rename(path, trash / name)
        (rootfs_dir() / f"{name}.json").unlink(missing_ok=True)
        _rmtree(trash)
    return path


# ------------------------------------------------------------ extraction ---

def _member_parts(name: str) -> list[str]:
    """The path components of a member name; refuses absolute names and '..'."""
    if name.startswith("/"):
        raise ImageError(f"unsafe member {name!r}: absolute name")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ImageError(f"unsafe member {name!r}: '..' component")
    return parts


class _Tree:
    """The tree being built: every write checked to stay inside it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dir_modes: dict[Path, tuple[int, float]] = {}

    def parent(self, parts: list[str], member: str, *, create: bool) -> Path | None:
        """The host directory for the member's parent, with no symlink on the way."""
        cur = self.root
        for part in parts[:-1]:
            cur = cur / part
            try:
                st = os.lstat(cur)
            except FileNotFoundError:
                if not create:
                    return None
                os.mkdir(cur, 0o755)
                continue
            if stat.S_ISLNK(st.st_mode):
                raise ImageError(f"unsafe member {member!r}: goes through the symlink "
                                   f"/{cur.relative_to(self.root)}")
            if not stat.S_ISDIR(st.st_mode):
                if not create:
                    return None
                raise ImageError(f"bad member {member!r}: /{cur.relative_to(self.root)} "
                                   "is not a directory")
        return cur

    def remove(self, path: Path) -> None:
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(st.st_mode):
            self.dir_modes = {p: m for p, m in self.dir_modes.items()
                              if p != path and not p.is_relative_to(path)}
            _rmtree(path)
        else:
            os.unlink(path)

    def whiteout(self, m: tarfile.TarInfo) -> bool:
        """Apply m if it is a whiteout; True if it was one."""
        parts = _member_parts(m.name)
        if not parts or not parts[-1].startswith(_WH):
            return False
        parent = self.parent(parts, m.name, create=False)
        if parent is None:
            return True
        if parts[-1] == _OPQ:
            for child in os.listdir(parent):
                self.remove(parent / child)
        else:
            target = parts[-1][len(_WH):]
            if target in ("", ".", ".."):
                raise ImageError(f"bad whiteout {m.name!r}")
            self.remove(parent / target)
        return True

    def extract(self, tar: tarfile.TarFile, m: tarfile.TarInfo) -> None:
        parts = _member_parts(m.name)
        if not parts:                               # "./" itself
            if m.isdir():
                self.dir_modes[self.root] = (m.mode & 0o1777, m.mtime)
            return
        if parts[-1].startswith(_WH):
            return                                  # applied before the layer's files
        if m.ischr() or m.isblk():
            return                                  # no device nodes: the guest's /dev is virtual
        parent = self.parent(parts, m.name, create=True)
        assert parent is not None
        path = parent / parts[-1]
        mode = m.mode & 0o1777                      # no set-uid, no set-gid
        try:
            st: os.stat_result | None = os.lstat(path)
        except FileNotFoundError:
            st = None
        if m.isdir():
            if st is not None and not stat.S_ISDIR(st.st_mode):
                os.unlink(path)
                st = None
            if st is None:
                os.mkdir(path, 0o755)
            self.dir_modes[path] = (mode, m.mtime)
            return
        if st is not None:
            self.remove(path)
        if m.issym():
            os.symlink(m.linkname, path)
        elif m.islnk():
            tparts = _member_parts(m.linkname)
            tparent = self.parent(tparts, m.linkname, create=False)
            target = tparent / tparts[-1] if tparent is not None and tparts else None
            if target is None or not os.path.lexists(target) or os.path.isdir(target) \
                    and not os.path.islink(target):
                raise ImageError(f"bad hard link {m.name!r} -> {m.linkname!r}: no such file")
            os.link(target, path, follow_symlinks=False)
            return
        elif m.isfifo():
            os.mkfifo(path, mode)
        elif m.isreg():
            src = tar.extractfile(m)
            assert src is not None
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o600)
            with os.fdopen(fd, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
                if dst.tell() != m.size:
                    raise ImageError(f"truncated archive: {m.name!r} is short")
                os.fchmod(dst.fileno(), mode)
        else:
            return                                  # other types: nothing to make
        try:
            os.utime(path, (m.mtime, m.mtime), follow_symlinks=False)
        except OSError:
            pass

    def apply_layer(self, tar: tarfile.TarFile) -> None:
        members = tar.getmembers()                  # reads every header: a bad one fails here
        for m in members:
            self.whiteout(m)
        for m in members:
            self.extract(tar, m)

    def finish(self) -> None:
        """Directory modes and times last, deepest first (a 0555 dir was filled first)."""
        self.dir_modes.setdefault(self.root, (0o755, time.time()))
        for path in sorted(self.dir_modes, key=lambda p: len(p.parts), reverse=True):
            mode, mtime = self.dir_modes[path]
            os.chmod(path, mode | (0o700 if path == self.root else 0))
            try:
                os.utime(path, (mtime, mtime))
            except OSError:
                pass


# ------------------------------------------------------------ the formats ---

class _Source:
    """Files of an image, from a directory or from a (maybe compressed) tar."""

    def __init__(self, path: Path, stack: ExitStack) -> None:
        self.path, self.stack = path, stack
        self.tar: tarfile.TarFile | None = None
        self.names: set[str] = set()
        if path.is_dir():
            self.names = {str(p.relative_to(path)) for p in path.rglob("*")}
        else:
            self.tar = stack.enter_context(tarfile.open(path, "r:*"))  # noqa: SIM115
            self.names = {_norm(m.name) for m in self.tar.getmembers()}

    def has(self, name: str) -> bool:
        return name in self.names

    def open(self, name: str) -> IO[bytes]:
        name = _norm(name)
        if self.tar is None:
            parts = _member_parts(name)
            return self.stack.enter_context(open(self.path.joinpath(*parts), "rb"))
        member = self._member(name)
        f = self.tar.extractfile(member)
        if f is None:
            raise ImageError(f"{name!r} is not a file in the archive")
        return f

    def _member(self, name: str, hops: int = 0) -> tarfile.TarInfo:
        assert self.tar is not None
        try:
            m = self.tar.getmember(name)
        except KeyError:
            try:
                m = self.tar.getmember("./" + name)
            except KeyError:
                raise ImageError(f"the archive has no {name!r}") from None
        if m.issym() and hops < 8:                  # docker save links duplicate layers
            return self._member(_norm(os.path.normpath(os.path.join(os.path.dirname(name),
                                                                    m.linkname))), hops + 1)
        return m

    def json(self, name: str) -> Any:
        try:
            return json.loads(self.open(name).read())
        except ValueError as e:
            raise ImageError(f"bad JSON in {name!r}: {e}") from None

    def layer(self, name: str) -> tarfile.TarFile:
        f = self.open(name)
        return self.stack.enter_context(tarfile.open(fileobj=f, mode="r:*"))


def _norm(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name


def _blob(digest: Any) -> str:
    if not isinstance(digest, str) or not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        raise ImageError(f"bad digest {digest!r}")
    return "blobs/sha256/" + digest.split(":", 1)[1]


def _oci_manifest(src: _Source, index: Any, depth: int = 0) -> Any:
    manifests = index.get("manifests") if isinstance(index, dict) else None
    if not manifests or depth > 4:
        raise ImageError("index.json lists no image manifest")

    def score(d: dict) -> int:
        plat = d.get("platform") or {}
        return (plat.get("os", "linux") == "linux") + (plat.get("architecture", "amd64") == "amd64")
    desc = max(manifests, key=score)
    doc = src.json(_blob(desc.get("digest")))
    if "manifests" in doc:                          # a nested image index
        return _oci_manifest(src, doc, depth + 1)
    return doc


def _layers(src: _Source) -> tuple[str, list[str], dict[str, Any]]:
    """(format, layer names in src, image config) of an image source."""
    if src.has("manifest.json"):
        manifest = src.json("manifest.json")
        if not isinstance(manifest, list) or not manifest or not isinstance(manifest[0], dict):
            raise ImageError("manifest.json lists no image")
        entry = manifest[0]
        config = src.json(entry["Config"]) if entry.get("Config") else {}
        return "docker-save", list(entry.get("Layers") or []), config
    if src.has("oci-layout") and src.has("index.json"):
        doc = _oci_manifest(src, src.json("index.json"))
        config = src.json(_blob(doc["config"]["digest"])) if doc.get("config") else {}
        layers = []
        for layer in doc.get("layers") or []:
            if "zstd" in str(layer.get("mediaType", "")):
                raise ImageError("zstd-compressed layers are not supported")
            layers.append(_blob(layer.get("digest")))
        return "oci", layers, config
    if src.tar is not None:
        return "docker-export", [], {}
    raise ImageError(f"{src.path} is neither an OCI image layout nor a docker save directory")


def _config(image_config: Any) -> dict[str, Any]:
    cfg = image_config.get("config") if isinstance(image_config, dict) else None
    cfg = cfg or (image_config.get("container_config") if isinstance(image_config, dict) else None)
    if not isinstance(cfg, dict):
        return {}
    return {k: cfg[k] for k in CONFIG_KEYS if cfg.get(k) not in (None, "", [])}


def import_image(name: str, source: str | os.PathLike, *, force: bool = False) -> dict[str, Any]:
    """Import the image at `source` as STORE/rootfs/NAME; returns what NAME.json holds."""
    _check_name(name)
    if name == DEFAULT_NAME:
        raise ImageError(f"{name!r} is the built userland's name (umlpy rootfs build)")
    source = Path(source).absolute()
    if not source.exists():
        raise ImageError(f"no such file or directory: {source}")
    top = rootfs_dir()
    top.mkdir(parents=True, exist_ok=True)
    dest, meta_path = top / name, top / f"{name}.json"
    if os.path.lexists(dest) and not force:
        raise ImageError(f"rootfs {name!r} already exists (--force replaces it)")
    tmp = Path(tempfile.mkdtemp(dir=top, prefix=f".{name}.import-"))
    try:
        tree = _Tree(tmp)
        with ExitStack() as stack:
            try:
                src = _Source(source, stack)
                fmt, layers, image_config = _layers(src)
                if fmt == "docker-export":
                    assert src.tar is not None
                    tree.apply_layer(src.tar)
                for layer in layers:
                    tree.apply_layer(src.layer(layer))
            except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, KeyError,
                    TypeError, AttributeError, UnicodeDecodeError, io.UnsupportedOperation) as e:
                raise ImageError(f"bad or truncated archive {source}: {e or type(e).__name__}") from None
        tree.finish()
        sh = resolve_in_root(tmp, "/bin/sh")
        if sh is None or not sh.is_file():
            raise ImageError(f"{source} has no /bin/sh: not a usable rootfs")
        meta = {"name": name, "source": str(source), "format": fmt,
                "imported": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "size": _tree_size(tmp), "config": _config(image_config)}
        with _Lock(store_dir()):
            if os.path.lexists(dest) and not force:
                raise ImageError(f"rootfs {name!r} already exists (--force replaces it)")
            trash = Path(tempfile.mkdtemp(dir=top, prefix=f".{name}.old-"))
            try:
                if os.path.lexists(dest):
                    os.rename(dest, trash / name)
                meta_tmp = top / f".{name}.json.tmp"
                meta_tmp.write_text(json.dumps(meta, indent=1) + "\n")
                os.rename(tmp, dest)
                os.rename(meta_tmp, meta_path)
            finally:
                _rmtree(trash)
        return meta
    except BaseException:
        _rmtree(tmp)
        raise


def config_of(path: Path) -> dict[str, Any]:
    """The image config stored for a rootfs directory of the store ({} for others)."""
    path = Path(path)
    if path.parent != rootfs_dir():
        return {}
    return info(path.name).get("config") or {}


def iter_lines(entries: list[dict[str, Any]]) -> Iterator[str]:
    """`umlpy rootfs ls`: one line per rootfs: name, size, source, then the config."""
    for e in entries:
        size = e.get("size") or 0
        line = f"{e['name']:20} {size / 1e6:8.1f} MB  {e.get('source', '')}"
        if e.get("format"):
            line += f" ({e['format']})"
        yield line
        cfg = e.get("config") or {}
        for key in CONFIG_KEYS:
            if key in cfg:
                yield f"{'':20}   {key}: {json.dumps(cfg[key])}"
