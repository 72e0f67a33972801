"""Runs record the machine they ran on; the report says when compared runs differ in it,
and `runs show` prints it."""

from __future__ import annotations

import os
from pathlib import Path

from sqlmodel import select

from codesteer_cli.reporting.model import build_report
from codesteer_cli.reporting.queries import resolve_runs
from codesteer_cli.runs.host import SIMD, describe, host, identity
from codesteer_cli.runs.settings import EpisodeSettings, ExecutionSettings
from codesteer_cli.sandbox.executor import Executor, Limits
from codesteer_cli.steering import runner
from codesteer_cli.steering.episode import Models
from codesteer_cli.store import repo
from codesteer_cli.store.db import Store, resolve_url
from codesteer_cli.store.models import RunRow
from tests.fixtures.cli import run_cli
from tests.fixtures.scripted import ScriptedModel


def test_host_names_this_machine() -> None:
    h = host()
    assert h["cpu"] and h["cpus"] == os.cpu_count()
    assert set(h["simd"]) <= set(SIMD)
    assert h["packages"]["codesteer"] and "xllamacpp" in h["packages"]
    assert describe(h).startswith(f"{h['cpu']} (") and f"{h['cpus']} CPUs" in describe(h)
    other = {**h, "simd": [s for s in h["simd"] if s != "avx2"] + ["amx_tile"]}
    assert identity(other) != identity(h) and identity(dict(h)) == identity(h)


def _steer(store: Store, name: str) -> None:
    cfg = runner.SteerConfig(
        method="all_text",
        tasks="navigate",
        complexity="1",
        limit=2,
        episode=EpisodeSettings(self_check=False),
        execution=ExecutionSettings(concurrency=1),
    )
    task = ScriptedModel("task", ["Walking it through, <<<No>>>."])
    runner.steer(store, cfg, name, models=Models(task, executor=Executor(Limits(wall_s=5))))


def test_finished_runs_store_their_machine_and_the_report_compares_them(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.db"
    store = Store(resolve_url(str(db)))
    store.upgrade()
    _steer(store, "here")
    _steer(store, "there")
    row = repo.get_run(store, "here")
    assert row is not None and row.summary is not None
    assert row.summary["host"] == host() and "tasks" in row.summary

    def notes() -> list[str]:
        report = build_report(store, resolve_runs(store, ["here", "there"]), [])
        return [n for n in report.notes if "different machines" in n]

    assert notes() == []  # same machine, same libraries
    with store.session() as s:
        there = s.exec(select(RunRow).where(RunRow.name == "there")).one()
        h = dict(there.summary["host"])
        h["cpu"], h["simd"] = "Some Other CPU", ["avx2", "avx512f"]
        there.summary = {**there.summary, "host": h}
        s.add(there)
    (note,) = notes()
    assert "there: Some Other CPU (avx2, avx512f)" in note and f"here: {host()['cpu']}" in note
    shown = run_cli("--db", str(db), "runs", "show", "there").stdout
    assert "ran on: Some Other CPU (avx2, avx512f)" in " ".join(shown.split())
