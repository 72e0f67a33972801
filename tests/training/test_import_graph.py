"""The training package's modules import each other without a circle (counting imports
inside functions and under TYPE_CHECKING, which a static reader also follows)."""

from __future__ import annotations

import ast
from pathlib import Path

import codesteer_cli.training as training

PACKAGE = "codesteer_cli.training"


def import_graph() -> dict[str, set[str]]:
    folder = Path(training.__file__).parent
    modules = {f"{PACKAGE}.{p.stem}": p for p in folder.glob("*.py") if p.stem != "__init__"}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def test_the_reader_finds_a_circle() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_circles_in_training() -> None:
    graph = import_graph()
    assert f"{PACKAGE}.pipeline" in graph[f"{PACKAGE}.sft_trainer"]  # the reader sees imports
    assert cycle(graph) is None, " -> ".join(cycle(graph) or [])


def test_shared_options_live_apart_from_each_command() -> None:
    graph = import_graph()
    for own in ("sft_config", "dpo_config"):
        assert graph[f"{PACKAGE}.{own}"] == {f"{PACKAGE}.config"}
    assert f"{PACKAGE}.sft_trainer" not in graph[f"{PACKAGE}.dpo_trainer"]
