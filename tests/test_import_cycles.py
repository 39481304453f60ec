"""No import cycle between the project's modules (files).

A small AST walk over every project ``.py`` file: each ``import`` and ``from … import`` anywhere in
a file (inside functions too) is an edge to the project module it names; only imports under
``if TYPE_CHECKING:`` are exempt (they never run). Any strongly connected group of two or more
modules is a cycle, reported as one concrete path with the line of each import.
"""

from __future__ import annotations

import ast
import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {"node_modules", "__pycache__"}


class Edge(NamedTuple):
    target: str
    line: int


def project_modules(root: Path) -> dict[str, Path]:
    """Dotted module name → file, for every ``.py`` file outside hidden folders (``.venv``) and caches."""
    modules = {}
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith(".") and name not in SKIPPED_DIRS)
        for filename in sorted(files):
            if not filename.endswith(".py"):
                continue
            path = Path(folder, filename)
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            if parts:
                modules[".".join(parts)] = path
    return modules


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except those in an ``if TYPE_CHECKING:`` body."""
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        if isinstance(node, ast.If) and _is_type_checking(node):
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))


def import_edges(name: str, path: Path, modules: dict[str, Path]) -> list[Edge]:
    """The project modules ``name`` imports, each with the line of (one of) its imports."""

    def resolve(dotted: str) -> str | None:
        # The most specific project module named: ``a.b.c`` may be a module, or a name in ``a.b``.
        while dotted:
            if dotted in modules:
                return dotted
            dotted = dotted.rpartition(".")[0]
        return None

    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    edges: dict[str, int] = {}
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [resolve(alias.name) for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            targets = [resolve(f"{base}.{alias.name}" if base else alias.name) for alias in node.names]
        for target in targets:
            if target is not None and target != name:
                edges.setdefault(target, node.lineno)
    return [Edge(target, line) for target, line in sorted(edges.items())]


def import_graph(root: Path) -> dict[str, list[Edge]]:
    modules = project_modules(root)
    return {name: import_edges(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, list[Edge]]) -> list[list[str]]:
    """One cycle (a closed path of module names) per strongly connected group (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child.target not in index:
                    index[child.target] = low[child.target] = len(index)
                    stack.append(child.target)
                    on_stack.add(child.target)
                    work.append((child.target, iter(graph[child.target])))
                elif child.target in on_stack:
                    low[node] = min(low[node], index[child.target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)
    return [_path_within(graph, group) for group in groups]


def _path_within(graph: dict[str, list[Edge]], group: set[str]) -> list[str]:
    """A shortest closed path through the group's first module (breadth-first)."""
    start = min(group)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for edge in graph[node]:
                if edge.target not in group:
                    continue
                if edge.target == start:
                    path = [start]
                    while node != start:
                        path.append(node)
                        node = previous[node]
                    return [start, *reversed(path[1:]), start]
                if edge.target not in previous:
                    previous[edge.target] = node
                    following.append(edge.target)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # a strongly connected group always has one


def describe(graph: dict[str, list[Edge]], cycle: list[str]) -> str:
    lines = [cycle[0]]
    for here, there in itertools.pairwise(cycle):
        line = next(edge.line for edge in graph[here] if edge.target == there)
        lines.append(f"  → {there}  ({here}, line {line})")
    return "\n".join(lines)


def test_no_import_cycle_between_project_modules() -> None:
    graph = import_graph(ROOT)
    assert "jobs.services" in graph and "tests.test_import_cycles" in graph  # the walk sees the project
    found = cycles(graph)
    assert not found, "import cycles between modules:\n" + "\n\n".join(describe(graph, cycle) for cycle in found)


def test_the_walk_sees_imports_in_functions_and_skips_type_checking_ones(tmp_path: Path) -> None:
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from app import b\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from app.a import thing\n"
        "def later():\n    from . import c\n"
    )
    (package / "c.py").write_text("import app.a\n")
    graph = import_graph(tmp_path)
    assert graph["app.b"] == [Edge("app.c", 5)]  # the function-level import counts; TYPE_CHECKING's does not
    assert cycles(graph) == [["app.a", "app.b", "app.c", "app.a"]]

    (package / "c.py").write_text("import typing\nif typing.TYPE_CHECKING:\n    import app.a\n")
    assert cycles(import_graph(tmp_path)) == []
