"""`report` on a store with 100k turns answers in under 3 s (benchmarks/report.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_report", REPO / "benchmarks" / "report.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_report"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_report_on_100k_turns_is_fast(tmp_path: Path) -> None:
    bench = _bench()
    db = tmp_path / "bench.db"
    counts = bench.build_store(db)
    assert counts["turns"] == 100_000 and counts["episodes"] == 10_000
    # CPU seconds: what the report costs, whatever else the (shared) machine is running.
    # The benchmark prints wall times too.
    timings = bench.time_in_process(db, repeats=3)
    assert timings["report_cpu"] < 3.0, timings
    assert timings["report_with_diff_cpu"] < 3.0, timings
    # The real command in a fresh process (imports included), CPU seconds again.
    wall, cpu = min(bench.cli_times(db, "--compare", "paper") for _ in range(2))
    assert cpu < 3.0, (wall, cpu)
