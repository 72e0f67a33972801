"""The shape of the code, checked from its source: no import circles (module-level or
inside functions), SQL only in store/ and the report's query module, commands that do
not reach into each other, symbench independent of codesteer_cli."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "codesteer_cli"
SQL_HOMES = ("codesteer_cli/store/", "codesteer_cli/reporting/queries.py")
SQL_MODULES = ("sqlalchemy", "sqlmodel")


def _modules() -> dict[str, Path]:
    out = {}
    for f in PKG.rglob("*.py"):
        parts = f.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = f
    return out


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(path: Path, module: str) -> list[tuple[str, int]]:
    """(imported name, line) of every import, at module level or in functions, except
    those under `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        for ch in ast.iter_child_nodes(node):
            if isinstance(ch, ast.If) and "TYPE_CHECKING" in ast.unparse(ch.test):
                continue
            if isinstance(ch, ast.Import):
                out.extend((a.name, ch.lineno) for a in ch.names)
            elif isinstance(ch, ast.ImportFrom):
                base = ch.module or ""
                if ch.level:
                    up = package.split(".")[: len(package.split(".")) - ch.level + 1]
                    base = ".".join([*up, base] if base else up)
                out.append((base, ch.lineno))
                out.extend((f"{base}.{a.name}", ch.lineno) for a in ch.names)
            visit(ch)

    visit(tree)
    return out


def _graph() -> dict[str, set[str]]:
    g: dict[str, set[str]] = {m: set() for m in MODULES}
    for m, f in MODULES.items():
        for name, _ in _imports(f, m):
            target = _resolve(name) if name.startswith("codesteer_cli") else None
            if target and target != m and not m.startswith(target + "."):
                g[m].add(target)
    return g


def _cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            strong(v)
    return out


def test_the_import_graph_has_no_circles() -> None:
    assert _cycles(_graph()) == []


def test_sql_lives_in_the_store_and_the_report_queries() -> None:
    offenders = []
    for m, f in MODULES.items():
        rel = f.relative_to(ROOT).as_posix()
        if rel.startswith(SQL_HOMES):
            continue
        for name, line in _imports(f, m):
            if name.split(".")[0] in SQL_MODULES:
                offenders.append(f"{rel}:{line} imports {name}")
    assert offenders == []


def test_commands_do_not_import_each_others_private_names() -> None:
    offenders = []
    for m, f in MODULES.items():
        if not m.startswith("codesteer_cli.commands."):
            continue
        for name, line in _imports(f, m):
            target, _, last = name.rpartition(".")
            other = target.startswith("codesteer_cli.commands.") and target != m
            if other and (last.startswith("_") or _resolve(name) == name):
                offenders.append(f"{m}:{line} imports {name}")
    assert offenders == []


def test_nothing_imports_a_command_module() -> None:
    offenders = [
        f"{m} imports {t}"
        for m, targets in _graph().items()
        if not m.startswith(("codesteer_cli.commands", "codesteer_cli.app"))
        for t in targets
        if t.startswith("codesteer_cli.commands")
    ]
    assert offenders == []


def test_symbench_does_not_depend_on_codesteer_cli() -> None:
    for f in (ROOT / "symbench").rglob("*.py"):
        for name, line in _imports(f, "symbench"):
            assert not name.startswith("codesteer_cli"), f"{f}:{line} imports {name}"
