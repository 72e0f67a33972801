"""The report's SQL aggregation on a real PostgreSQL server gives SQLite's figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codesteer_cli.reporting.compare import resolve_compare
from codesteer_cli.reporting.model import build_report
from codesteer_cli.reporting.queries import default_runs
from codesteer_cli.store.db import Store, resolve_url
from tests.reporting.conftest import Ep, StoreBuilder, eps


def _fill(b: StoreBuilder) -> None:
    b.run(
        "cs",
        "codesteer",
        eps("game24", [1, 1, 0], modes=("text", "code"))
        + eps("boxlift", [1.0, 0.5], cost=None)
        + [Ep("letters", 0, 1.0, complexity=None), Ep("letters", 1, 0.0, status="failed")],
    )
    b.run(
        "oq",
        "only_question",
        eps("game24", [0, 1, 0], modes=("text",), guide=False)
        + eps("boxlift", [0.0, 1.0])
        + [Ep("letters", 0, 0.0, complexity=None)],
        guide=None,
    )


def _rounded(x: Any) -> Any:
    if isinstance(x, float):
        return round(x, 9)
    if isinstance(x, dict):
        return {k: _rounded(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_rounded(v) for v in x]
    return x


def test_postgres_and_sqlite_agree(pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    reports = []
    for store in (Store(pg_url), Store(resolve_url(str(tmp_path / "s.db")))):
        store.upgrade()
        _fill(StoreBuilder(tmp_path, store))
        runs = default_runs(store)
        assert [r.name for r in runs] == ["cs", "oq"]
        rep = build_report(
            store, runs, resolve_compare("o1"), diffs=[(runs[0], runs[1])], hindsights=[runs]
        )
        reports.append(rep.to_dict())
    pg, lite = reports
    keys = ("tasks", "success", "metrics", "averages", "normalized", "diffs", "hindsight")
    for key in (*keys, "guide_choices"):
        assert _rounded(pg[key]) == _rounded(lite[key]), key
    # the guide-decision split reads each answer's stored verdict (JSON in SQL) on both
    assert any("after a right answer" in scope for scope in pg["guide_choices"]["cs"])
    assert pg["hindsight"][0]["scopes"]["total"]["samples"] > 0
    m = pg["metrics"]["cs"]
    assert m["game24"]["code_share"] == 50 and m["boxlift"]["mean_score"] == 75
    assert m["boxlift"]["cost_usd"] is None and m["letters"]["failed"] == 1
