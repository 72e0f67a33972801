"""benchmarks/report.py: the store it builds is one the report reads whole, and the script
prints every figure. Its target (< 3 s on 100k turns) is the benchmark's to measure, not
a unit test's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.fixtures.benchmarks import load_benchmark


def test_the_built_store_is_read_whole_by_the_report(tmp_path: Path) -> None:
    db = tmp_path / "bench.db"
    counts = load_benchmark("report").build_store(db, episodes=1_000)
    assert counts["runs"] == 5 and counts["episodes"] == 1_000 and counts["turns"] == 10_000
    r = subprocess.run(
        [sys.executable, "-m", "codesteer_cli.app", "--db", str(db), "report", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    report = json.loads(r.stdout)
    runs = [m["run_name"] for m in report["methods"] if m["source"] == "run"]
    assert len(runs) == 5
    for name in runs:  # every episode counted: finished ones as samples, the rest as failed
        scopes = report["averages"][name]
        total = scopes["total"]
        assert total["samples"] + total["failed"] == 200, total
        assert sum(scopes[s]["samples"] for s in ("seen", "unseen")) == total["samples"]


def test_the_script_prints_every_figure(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "report.py"), "--episodes", "200", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "COLUMNS": "120"},
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    fig = json.loads(r.stdout)
    assert fig["episodes"] == 200 and fig["turns"] == 2_000
    for key in ("report", "report_cpu", "report_with_diff", "report_with_diff_cpu"):
        assert fig[key] > 0, key
    for name in ("cli_report", "cli_report_md", "cli_empty_store"):
        assert fig[f"{name}_wall_s"] > 0 and fig[f"{name}_cpu_s"] > 0, name
