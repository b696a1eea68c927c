#!/usr/bin/env python3
"""The import graph of the umlpy package, read with `ast` (nothing of umlpy is imported).

Usage, from the repository root:  python3 tools/layers.py

It prints the number of modules per package, the import cycles (counting the imports
made inside functions, which a top-level-only reading misses) and the longest function
or method of each package.  The direction rules themselves live in
tests/unit/test_layers.py, which uses the parsing below; this file holds the only copy
of it.

What counts as an import of module S on module T:
  * every `import T...` and `from T import ...` statement anywhere in S: at module level,
    in a class body, or inside a function or lambda (a *deferred* import);
  * `importlib.import_module("T")` and `__import__("T")` with a literal name;
  * relative imports, resolved against S's package;
  * `from P import name` depends on P.name when that is a module, otherwise on P;
  * not the statements under `if TYPE_CHECKING:` (they never run);
  * not the parent packages Python runs implicitly on the way to T (`import umlpy.a.b`
    runs umlpy/__init__.py and umlpy/a/__init__.py first): counting those would make
    every module depend on the root package.
"""
from __future__ import annotations

import ast
import sys
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "umlpy"
EXTENSION_SUFFIXES = (".so", ".pyd")


@dataclass(frozen=True)
class Import:
    """One import of `target` by `source`, at `path`:`line`."""

    source: str
    target: str
    path: Path
    line: int
    deferred: bool  # inside a function or lambda: runs when called, not when imported
    statement: str

    def where(self, root: Path = ROOT) -> str:
        try:
            shown = self.path.relative_to(root)
        except ValueError:
            shown = self.path
        return f"{shown}:{self.line}"


@dataclass(frozen=True)
class Function:
    module: str
    path: Path
    qualname: str
    line: int
    length: int  # end_lineno - lineno + 1 (the def line to the last line of the body)


# --- modules ---------------------------------------------------------------------------

def find_modules(root: Path = ROOT, package: str = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of the package and every compiled
    extension module in it (umlpy._helper), whose path ends in .so and has no source."""
    modules: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        if path.suffix == ".py":
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
        elif path.suffix in EXTENSION_SUFFIXES:
            stem = path.name.split(".", 1)[0]  # _helper.abi3.so -> _helper
            parts = (*path.parent.relative_to(root).parts, stem)
        else:
            continue
        modules[".".join(parts)] = path
    return modules


def has_source(path: Path) -> bool:
    return path.suffix == ".py"


def layer_of(module: str, package: str = PACKAGE) -> str:
    """The first component below the package ("umlpy.kernel.table" -> "kernel");
    "__init__" for the root package itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def relative_name(module: str, package: str = PACKAGE) -> str:
    """"umlpy.kernel.table" -> "kernel.table"; the root package -> "__init__"."""
    return module.partition(".")[2] or "__init__"


# --- imports ---------------------------------------------------------------------------

def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


class _ImportCollector(ast.NodeVisitor):
    def __init__(self, module: str, path: Path, source: str, modules: dict[str, Path], package: str):
        self.module, self.path, self.source = module, path, source
        self.modules, self.package = modules, package
        self.is_package = path.name == "__init__.py"
        self.depth = 0  # how many functions/lambdas enclose the current node
        self.found: list[Import] = []

    # scopes
    def _deferred_scope(self, node: ast.AST) -> None:
        # decorators, defaults and annotations run at definition time, the body at call time;
        # an import statement can only be in the body, so the whole node counts as deferred.
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _deferred_scope

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for stmt in node.orelse:  # the else branch does run
                self.visit(stmt)
        else:
            self.generic_visit(node)

    # imports
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self._absolute(node.module, node.level)
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            self._add(submodule if submodule in self.modules else base, node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if (name in ("import_module", "__import__") and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                and not node.args[0].value.startswith(".")):
            self._add(node.args[0].value, node)
        self.generic_visit(node)

    def _absolute(self, module: str | None, level: int) -> str:
        if not level:
            return module or ""
        here = self.module.split(".")
        if not self.is_package:
            here = here[:-1]
        base = here[: len(here) - (level - 1)] if level > 1 else here
        return ".".join([*base, module] if module else base)

    def _add(self, target: str, node: ast.AST) -> None:
        if target != self.package and not target.startswith(self.package + "."):
            return
        if target == self.module:
            return
        text = " ".join((ast.get_source_segment(self.source, node) or "").split())
        self.found.append(Import(self.module, target, self.path, node.lineno, self.depth > 0,
                                 text if len(text) <= 100 else text[:97] + "..."))


def imports_of(module: str, path: Path, modules: dict[str, Path], package: str = PACKAGE) -> list[Import]:
    source = path.read_text()
    collector = _ImportCollector(module, path, source, modules, package)
    collector.visit(ast.parse(source, str(path)))
    return collector.found


def collect(root: Path = ROOT, package: str = PACKAGE) -> tuple[dict[str, Path], list[Import]]:
    """Every module of the package and every import among them."""
    modules = find_modules(root, package)
    found: list[Import] = []
    for name, path in modules.items():
        if has_source(path):
            found.extend(imports_of(name, path, modules, package))
    return modules, found


# --- cycles ----------------------------------------------------------------------------

def graph_of(modules: dict[str, Path], imports: list[Import], *, deferred: bool = True) -> dict[str, set[str]]:
    """module -> the modules it imports (with or without the deferred imports)."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for imp in imports:
        if deferred or not imp.deferred:
            graph.setdefault(imp.source, set()).add(imp.target)
            graph.setdefault(imp.target, set())
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively: the groups of modules that reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def enter(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)

    for start in sorted(graph):
        if start in index:
            continue
        enter(start)
        work = [(start, iter(sorted(graph[start])))]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    enter(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    groups.append(sorted(group))
    return groups


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: every group of two or more modules that reach each other."""
    return [group for group in strongly_connected(graph) if len(group) > 1]


def one_cycle(group: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest closed path a -> b -> ... -> a through the group's first module."""
    start, members = group[0], set(group)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph[node] & members):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if child not in came_from:
                came_from[child] = node
                queue.append(child)
    raise AssertionError(f"{group} is not a cycle")


# --- functions -------------------------------------------------------------------------

def functions_of(module: str, path: Path) -> list[Function]:
    """Every function and method (nested ones too) with its length in lines."""
    found: list[Function] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                found.append(Function(module, path, name, child.lineno,
                                      child.end_lineno - child.lineno + 1))
                walk(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                walk(child, prefix + child.name + ".")
            else:
                walk(child, prefix)

    walk(ast.parse(path.read_text(), str(path)), "")
    return found


# --- the report ------------------------------------------------------------------------

def main() -> int:
    modules, imports = collect()
    by_layer: dict[str, list[str]] = defaultdict(list)
    for name in modules:
        by_layer[layer_of(name)].append(name)
    longest: dict[str, Function] = {}
    for name, path in modules.items():
        if has_source(path):
            for fn in functions_of(name, path):
                best = longest.get(layer_of(name))
                if best is None or fn.length > best.length:
                    longest[layer_of(name)] = fn

    def is_package(layer: str) -> bool:
        return (ROOT / PACKAGE / layer).is_dir()

    order = sorted(by_layer, key=lambda layer: (not is_package(layer), layer))
    print(f"{PACKAGE}: {len(modules)} modules, {len(imports)} imports of its own modules "
          f"({sum(imp.deferred for imp in imports)} of them inside functions)\n")
    print(f"{'package':16} {'modules':>7}  longest function or method")
    for layer in order:
        shown = f"{layer}/" if is_package(layer) else f"{layer}.py" if layer != "__init__" else "__init__.py"
        if modules[by_layer[layer][0]].suffix in EXTENSION_SUFFIXES:
            shown = f"{layer} (C)"
        fn = longest.get(layer)
        where = (f"{fn.length:4} lines  {fn.module}.{fn.qualname}  ({fn.path.relative_to(ROOT)}:{fn.line})"
                 if fn else "   -")
        print(f"{shown:16} {len(by_layer[layer]):7}  {where}")

    full, top_level = graph_of(modules, imports), graph_of(modules, imports, deferred=False)
    found, found_top = cycles(full), cycles(top_level)
    print(f"\ncycles: {len(found)} counting imports inside functions "
          f"({len(found_top)} with module-level imports only)")
    for group in found:
        print(f"  {len(group)} modules: " + " -> ".join(one_cycle(group, full)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
