"""The package's shape: data flows one way, so no module imports one that imports it back."""
from __future__ import annotations

import ast
from pathlib import Path

CARDS = Path(__file__).resolve().parents[1] / "cards"


def _node(module: str) -> str:
    """A module as a node of the graph: a sub-package (cards/extract/, cards/export/) is one stage."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 or (CARDS / parts[-1]).is_dir() else module


def _imports() -> dict[str, set[str]]:
    """Each module (or sub-package) → the modules of cards it imports, at the top or inside a function."""
    modules = {}
    for path in CARDS.rglob("*.py"):
        parts = path.relative_to(CARDS.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        deps = graph.setdefault(_node(name), set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
                mod = ".".join(base + (node.module.split(".") if node.module else []))
                subs = [f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in modules]
                targets = subs + ([mod] if mod in modules and len(subs) < len(node.names) else [])
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name in modules]
            deps.update(_node(t) for t in targets if _node(t) != _node(name))
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(v: str) -> list[str] | None:
        state[v] = 1
        path.append(v)
        for w in sorted(graph.get(v, ())):
            if state.get(w) == 1:
                return path[path.index(w):] + [w]
            if w not in state:
                found = visit(w)
                if found:
                    return found
        state[v] = 2
        path.pop()
        return None

    for v in sorted(graph):
        if v not in state:
            found = visit(v)
            if found:
                return found
    return None


def test_the_graph_is_read_from_the_sources():
    graph = _imports()
    assert {"cards.pipeline", "cards.extract", "cards.export", "cards.cli"} <= graph.keys()
    assert "cards.runner" in graph["cards.pipeline"] and "cards.process" in graph["cards.runner"]
    assert "cards.cli_common" in graph["cards.cli_preview"]  # an import inside a function counts too
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_module_imports_one_that_imports_it_back():
    cycle = _cycle(_imports())
    assert cycle is None, " → ".join(cycle)
