"""Dependencies run one way: the layers of umlpy, checked by reading every module's imports.

Nothing of umlpy is imported here: tools/layers.py reads the sources with `ast`, collects
every import statement (module level, class bodies and inside functions alike, but not
the ones under `if TYPE_CHECKING:`), and resolves the relative ones.  This test holds the
rules; tools/layers.py holds the parsing (and prints the graph for a human).

A *layer* is a top-level module or package of umlpy: "kernel" is umlpy.kernel and
everything in it.  A dotted name narrows a rule to one module or subpackage:
"platform.host" allows umlpy/platform/host.py but not umlpy/platform/ptrace/.  A module
may always import the rest of its own layer; what else it may import is its row in
ALLOWED, the most specific row that names it ("fsimpl.procfs" for the procfs package,
"fsimpl" for the other file systems).

    front ends:   warm -> cli -> boot -> api  pytest_plugin -> api          fuzz -> api
                  cli -> check -> api, abi, platform.host, platform.cgroup (it probes the host itself)
                  cli -> image.importer (umlpy rootfs import, ls, rm: the image store)
                  cli -> image.create (umlpy rootfs create: a new tree in the store)
                  cli, boot -> terminal       (the host terminal relay; imports nothing of umlpy)
    composition:  api -> syscalls, trace, fsimpl, kernel, vfs, platform, image, abi
    guest kernel: syscalls -> {kernel, fsimpl} -> vfs -> abi;  kernel -> platform -> abi
                  trace -> syscalls, kernel.table;  fsimpl.procfs -> kernel
    leaf:         abi imports nothing of umlpy

The modules at the top of the package are not exempt; each has a row of its own:

  * umlpy/__init__.py only re-exports api (and holds __version__), so it is api's public
    face: importing `umlpy` itself counts as importing api, and its row is api's row.
  * umlpy/__main__.py is `python -m umlpy`: it imports warm (the umlpy command's client,
    which runs cli here or in a warm server's child), and is with cli and warm the only
    modules that may import a front end.
  * umlpy/_build_helper.py is the cffi build script setup.py runs; it imports no umlpy.
  * umlpy._helper is the compiled C helper (csrc/).  It has no Python source to read; as
    a target it belongs to platform alone (no ptrace register, request or listener fd
    outside platform/, issue 5), so no other layer lists it.

Python runs a package's __init__ before any module in it; those implicit imports are not
counted (every module would depend on umlpy/__init__.py and so on api).  No import cycle
may remain, counting the deferred imports too: a lazy import kept for start-up speed is
fine where it closes no cycle.
"""
from __future__ import annotations

import itertools
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import layers  # tools/layers.py: the ast reading of the package

# layer (or narrower part of one) -> what else its modules may import.
ALLOWED: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    # leaves
    "abi":           set(),
    "_build_helper": set(),
    "_helper":       set(),
    # the interception platform and the host calls the supervisor makes
    "platform":      {"abi", "_helper"},
    # the file system core, and the file systems behind it
    "vfs":           {"abi"},
    "fsimpl":        {"abi", "vfs", "platform.host"},
    "fsimpl.procfs": {"abi", "vfs", "platform.host", "kernel"},
    # the guest kernel and its syscalls
    "kernel":        {"abi", "platform", "vfs"},
    "syscalls":      {"abi", "kernel", "vfs", "fsimpl", "platform"},
    "trace":         {"abi", "kernel.table", "syscalls"},
    # root file systems
    "image":         {"abi"},
    # the composition root, and its public face (umlpy/__init__.py)
    "api":           {"abi", "platform", "kernel", "vfs", "fsimpl", "syscalls", "trace", "image"},
    "__init__":      {"abi", "platform", "kernel", "vfs", "fsimpl", "syscalls", "trace", "image"},
    # front ends
    "terminal":      set(),
    "boot":          {"api", "terminal"},
    "cli":           {"api", "boot", "terminal", "check", "image.importer", "image.create"},
    "check":         {"api", "abi", "platform.host", "platform.cgroup"},
    "pytest_plugin": {"api"},
    "fuzz":          {"api"},
    "warm":          {"cli", "api"},
    "__main__":      {"warm"},
}.items()}

# Importing the root package is importing api (see the docstring).
SAME_AS = {"__init__": "api"}
FRONT_ENDS = {"cli", "boot", "check", "warm"}
MAY_IMPORT_FRONT_ENDS = {"cli", "__main__", "warm"}


def row_for(name: str) -> str | None:
    """The most specific ALLOWED key naming `name` (a name relative to umlpy)."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in ALLOWED:
            return key
    return None


def permitted(source: str, target: str) -> bool:
    """May module `source` import module `target` (names relative to umlpy)?"""
    source_layer, target_layer = source.split(".")[0], target.split(".")[0]
    if SAME_AS.get(source_layer, source_layer) == SAME_AS.get(target_layer, target_layer):
        return True
    target = SAME_AS.get(target, target)
    return any(target == entry or target.startswith(entry + ".") for entry in ALLOWED[row_for(source)])


@pytest.fixture(scope="module")
def graph() -> tuple[dict[str, Path], list[layers.Import]]:
    return layers.collect(REPO)


# --- the table itself -------------------------------------------------------------------

def test_the_table_runs_one_way():
    """The allowed layers form no cycle, and only cli and __main__ may import a front end."""
    edges = {key.split(".")[0]: set() for key in ALLOWED}
    for key, entries in ALLOWED.items():
        for entry in entries:
            if entry.split(".")[0] != key.split(".")[0]:
                edges[key.split(".")[0]].add(entry.split(".")[0])
    loops = [layers.one_cycle(group, edges) for group in layers.cycles(edges)]
    assert not loops, "the layer table has a cycle: " + "; ".join(" -> ".join(c) for c in loops)
    upward = sorted(key for key, entries in ALLOWED.items()
                    if entries & FRONT_ENDS and key not in MAY_IMPORT_FRONT_ENDS)
    assert not upward, f"only {sorted(MAY_IMPORT_FRONT_ENDS)} may import {sorted(FRONT_ENDS)}: {upward}"


def test_every_module_has_a_row_and_every_row_a_module(graph):
    modules, _ = graph
    names = {layers.relative_name(m) for m in modules}
    homeless = sorted(n for n in names if row_for(n) is None)
    assert not homeless, f"modules in no layer of ALLOWED (add a row for them): {homeless}"
    named = set(ALLOWED) | {entry for entries in ALLOWED.values() for entry in entries}
    known = names | {n.rsplit(".", k)[0] for n in names for k in range(n.count(".") + 1)} | {"_helper"}
    stale = sorted(named - known)
    assert not stale, f"ALLOWED names what umlpy does not have: {stale}"


# --- the tree ---------------------------------------------------------------------------

def test_no_import_cycle_even_through_imports_inside_functions(graph):
    modules, imports = graph
    full = layers.graph_of(modules, imports)
    found = layers.cycles(full)
    if not found:
        return
    edge = {}
    for imp in imports:
        edge.setdefault((imp.source, imp.target), imp)
    lines = []
    for group in found:
        path = layers.one_cycle(group, full)
        lines.append(f"a cycle of {len(group)} modules: {', '.join(group)}")
        lines.append("  for example:")
        for a, b in itertools.pairwise(path):
            imp = edge[a, b]
            kind = "inside a function" if imp.deferred else "module level"
            lines.append(f"    {imp.where(REPO)}: {a} -> {b}  ({kind}: `{imp.statement}`)")
    pytest.fail("import cycles remain:\n" + "\n".join(lines), pytrace=False)


def test_imports_follow_the_layer_table(graph):
    _, imports = graph
    bad = []
    for imp in imports:
        source, target = layers.relative_name(imp.source), layers.relative_name(imp.target)
        if not permitted(source, target):
            row = row_for(source)
            allowed = ", ".join(sorted(ALLOWED[row])) or "nothing else of umlpy"
            deferred = " (inside a function)" if imp.deferred else ""
            bad.append(f"{imp.where(REPO)}: {imp.source} imports {imp.target}{deferred}: `{imp.statement}`"
                       f"\n    {row} may import only its own layer and: {allowed}")
    if bad:
        pytest.fail(f"{len(bad)} import(s) against the layer table:\n" + "\n".join(bad), pytrace=False)


# --- the reader, on a made-up package ----------------------------------------------------

def test_the_reader_sees_deferred_relative_and_dynamic_imports_but_not_type_checking(tmp_path):
    pkg = tmp_path / "umlpy"
    files = {
        "__init__.py": "from umlpy.api import run\n",
        "api.py": "",
        "abi/__init__.py": "",
        "abi/errno.py": """\
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from umlpy.kernel.task import Task
            else:
                from . import numbers
            def late():
                from ..kernel import task
            class C:
                import umlpy.vfs
                f = lambda: __import__("umlpy.api")
            import importlib
            importlib.import_module("umlpy.kernel")
            """,
        "abi/numbers.py": "",
        "kernel/__init__.py": "",
        "kernel/task.py": "from .. import abi\nfrom umlpy.abi import errno, NOT_A_MODULE\n",
        "vfs/__init__.py": "",
    }
    for name, text in files.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(textwrap.dedent(text))
    modules, imports = layers.collect(tmp_path)
    seen = {(i.source, i.target, i.line, i.deferred) for i in imports}
    assert seen == {
        ("umlpy", "umlpy.api", 1, False),
        ("umlpy.abi.errno", "umlpy.abi.numbers", 5, False),
        ("umlpy.abi.errno", "umlpy.kernel.task", 7, True),
        ("umlpy.abi.errno", "umlpy.vfs", 9, False),
        ("umlpy.abi.errno", "umlpy.api", 10, True),
        ("umlpy.abi.errno", "umlpy.kernel", 12, False),
        ("umlpy.kernel.task", "umlpy.abi", 1, False),
        ("umlpy.kernel.task", "umlpy.abi.errno", 2, False),
        ("umlpy.kernel.task", "umlpy.abi", 2, False),  # NOT_A_MODULE is a name in umlpy/abi/__init__.py
    }
    cycle = layers.cycles(layers.graph_of(modules, imports))
    assert cycle == [["umlpy.abi.errno", "umlpy.kernel.task"]]
    assert layers.cycles(layers.graph_of(modules, imports, deferred=False)) == []
    assert not permitted("abi.errno", "kernel.task")
    assert permitted("kernel.task", "abi.errno") and permitted("cli", "__init__")
    assert not permitted("fsimpl.hostfs", "platform.ptrace.backend")
    assert permitted("fsimpl.procfs.pid", "kernel.task") and not permitted("fsimpl.devfs", "kernel")
