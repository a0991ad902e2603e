"""Imports flow one way (docs/ARCHITECTURE.md): base -> io + pure steps -> privacy -> render -> pipeline/cli/desk.

The import graph of ``fragmap/`` is built from the source with :mod:`ast`: module-level and
function-level imports both count (a lazy import is still a dependency); imports under
``if TYPE_CHECKING:`` do not (they never run). Each module's layer is read from the module
table of docs/ARCHITECTURE.md, so the document names every module and cannot drift.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "fragmap"
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"

#: Layers, lowest first: a module may import its own layer or a lower one, never a higher one.
LAYERS = ("base", "io", "steps", "privacy", "render", "glue")
RANK = {"base": 0, "io": 1, "steps": 1, "privacy": 2, "render": 3, "glue": 4}  # io and steps: one data layer
RENDERERS = ("fragmap.maps", "fragmap.atlas", "fragmap.charts", "fragmap.explore", "fragmap.background")

#: Imports against the flow that are allowed, each with its reason (keep this list short).
ALLOWED_UPWARD: dict[tuple[str, str], str] = {
    ("fragmap.io.pubcache", "fragmap.publication"):
        "stores and loads a Publication (re-validated by the type on load)",
}

#: Cycles between modules that are allowed, each with its reason (a new cycle fails the test).
ALLOWED_CYCLES: dict[frozenset[str], str] = {
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_lines(tree: ast.Module) -> set[int]:
    """Line numbers inside ``if TYPE_CHECKING:`` blocks."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def import_graph() -> dict[str, set[str]]:
    """``module -> fragmap modules it imports`` (module and function level; not TYPE_CHECKING)."""
    modules = _modules()

    def resolve(name: str) -> str:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_lines(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        out: set[str] = set()
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skip:
                continue
            if isinstance(node, ast.Import):
                out.update(resolve(a.name) for a in node.names if a.name.startswith("fragmap"))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                if base.split(".")[0] != "fragmap":
                    continue
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    out.add(full if full in modules else resolve(base))
        out.discard(name)
        out.discard("fragmap")  # the package's lazy public-API table is not a dependency of its modules
        graph[name] = {m for m in out if m}
    return graph


def documented_layers() -> dict[str, str]:
    """``module -> layer`` from the module table of docs/ARCHITECTURE.md (rows ``| `path.py` | layer | what |``)."""
    layers: dict[str, str] = {}
    for line in ARCHITECTURE.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*`([\w/]+\.py)`\s*\|\s*(\w+)\s*\|", line)
        if m:
            layers[_module_name(PACKAGE / m.group(1))] = m.group(2)
    return layers


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_architecture_names_every_module_with_a_known_layer(graph: dict[str, set[str]]) -> None:
    layers = documented_layers()
    missing = sorted(set(graph) - set(layers) - {"fragmap"})
    assert not missing, f"docs/ARCHITECTURE.md: add a row (module, layer, what) for {missing}"
    gone = sorted(set(layers) - set(graph))
    assert not gone, f"docs/ARCHITECTURE.md names modules that no longer exist: {gone}"
    unknown = {m: layer for m, layer in layers.items() if layer not in LAYERS}
    assert not unknown, f"layers must be one of {LAYERS}: {unknown}"


def test_imports_never_go_against_the_flow(graph: dict[str, set[str]]) -> None:
    layers = documented_layers()
    upward = sorted(
        (a, b) for a, targets in graph.items() for b in targets
        if a in layers and b in layers and RANK[layers[b]] > RANK[layers[a]] and (a, b) not in ALLOWED_UPWARD
    )
    assert not upward, "imports against io -> steps -> privacy -> render -> glue:\n" + "\n".join(
        f"  {a} ({layers[a]}) imports {b} ({layers[b]})" for a, b in upward)


def test_io_and_privacy_import_no_renderer(graph: dict[str, set[str]]) -> None:
    layers = documented_layers()
    bad = sorted((a, b) for a, targets in graph.items() for b in targets
                 if layers.get(a) in ("io", "steps", "privacy") and b in RENDERERS)
    assert not bad, f"a renderer imported below the render layer: {bad}"


def test_no_import_cycle_between_modules(graph: dict[str, set[str]]) -> None:
    found = cycles(graph)
    new = [sorted(c) for c in found if c not in ALLOWED_CYCLES]
    assert not new, f"import cycles (break them, or list them in ALLOWED_CYCLES with the reason): {new}"


def test_the_checks_can_fail() -> None:
    """The graph sees function-level imports, and the cycle finder finds a planted cycle."""
    g = import_graph()
    assert "fragmap.maps" in g["fragmap.explore"]  # show_map imports render_map inside the function
    assert "fragmap.explore" not in g["fragmap.maps"]  # the cycle issue #16 asked to break
    planted = {k: set(v) for k, v in g.items()}
    planted["fragmap.maps"].add("fragmap.explore")
    assert frozenset({"fragmap.maps", "fragmap.explore"}) in cycles(planted)
