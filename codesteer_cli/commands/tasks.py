"""`codesteer tasks`: the registered SymBench tasks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from codesteer_cli.console import console, keep_whole


def command(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List SymBench tasks: split, family, complexity mapping, samples in the store."""
    from symbench.core import all_tasks

    counts = _counts()
    rows = []
    for t in all_tasks():
        rows.append(
            {
                "id": t.id,
                "split": t.split,
                "family": t.family,
                "description": t.description,
                "knobs": {str(c): t.knobs(c) for c in (1, 5, 10)},
                "samples": {sp: counts.get((t.id, sp), 0) for sp in ("train", "test")},
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    seen = sum(r["split"] == "seen" for r in rows)
    table = Table(title=f"SymBench: {len(rows)} tasks ({seen} seen, {len(rows) - seen} unseen)")
    for col in ("task", "split", "family", "what it asks", "complexity 1 → 10", "train", "test"):
        table.add_column(col, justify="right" if col in ("train", "test") else "left")
    for r in rows:
        table.add_row(
            r["id"],
            r["split"],
            r["family"],
            r["description"],
            f"{_knobs(r['knobs']['1'])} → {_knobs(r['knobs']['10'])}",
            str(r["samples"]["train"]),
            str(r["samples"]["test"]),
        )
    console.print(keep_whole(table, "task"))


def _knobs(k: dict) -> str:
    return ", ".join(f"{a}={b}" for a, b in k.items())


def _counts() -> dict[tuple[str, str], int]:
    """Sample counts, without creating a store that does not exist yet."""
    from codesteer_cli.context import get_store, settings
    from codesteer_cli.store import repo
    from codesteer_cli.store.db import resolve_url

    url = resolve_url(settings.db)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
        return {}
    return repo.sample_counts(get_store())
