"""Stored runs in a real SQLite store, reported alone and beside the paper's methods."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.reporting.conftest import Ep, StoreBuilder, eps


def _report(cli, *args: str) -> dict:  # type: ignore[no-untyped-def]
    r = cli("report", *args, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.fixture
def two_runs(builder: StoreBuilder) -> StoreBuilder:
    """codesteer and only_question on game24 (seen), letters (unseen) and sokoban (ours)."""
    builder.run(
        "cs-1",
        "codesteer",
        eps("game24", [1, 1, 1, 0])
        + eps("letters", [1, 1, 0, 0], modes=("text", "code"))
        + eps("sokoban", [1, 0])
        + [Ep("game24", 9, 0.0, status="failed")],
    )
    builder.run(
        "oq-1",
        "only_question",
        eps("game24", [0, 1, 0, 0], modes=("text",), guide=False, checker=False)
        + eps("letters", [0, 0, 0, 1], modes=("text",), guide=False, checker=False),
        guide=None,
    )
    return builder


def test_runs_beside_the_paper_in_one_command(cli, two_runs: StoreBuilder) -> None:
    rep = _report(cli, "--compare", "paper")
    keys = [m["key"] for m in rep["methods"]]
    assert keys[-2:] == ["cs-1", "oq-1"] and len(keys) == 15
    assert rep["normalized_over"] == keys
    # compared on the tasks all 15 have: sokoban is ours only, the paper lacks it
    assert rep["tasks"] == ["game24", "letters"]
    dropped = rep["dropped_tasks"]
    assert dropped["sokoban"] == keys[:13] + ["oq-1"]
    assert dropped["blocksworld"] == ["cs-1", "oq-1"] and len(dropped) == 36
    note = next(n for n in rep["notes"] if "dropped" in n)
    assert "compared on the 2 tasks every method has" in note
    assert "sokoban: not in the paper's results, oq-1" in note
    assert "(35 tasks): not in cs-1, oq-1" in note
    # success per task: finished episodes only; the failed one is counted apart
    assert rep["success"]["cs-1"] == {"game24": 75.0, "letters": 50.0}
    assert rep["success"]["oq-1"] == {"game24": 25.0, "letters": 25.0}
    assert rep["metrics"]["cs-1"]["game24"]["samples"] == 4
    assert rep["metrics"]["cs-1"]["game24"]["failed"] == 1
    assert any("1 failed episodes" in n for n in rep["notes"])
    # normalized over all 15: game24 best is gpt-4o+codesteer 93, letters best is all-code 100
    n = rep["normalized_per_task"]
    assert n["cs-1"]["game24"] == pytest.approx(75 / 93 * 100)
    assert n["cs-1"]["letters"] == pytest.approx(50.0)
    assert rep["normalized"]["cs-1"]["seen"] == pytest.approx(75 / 93 * 100)
    assert rep["normalized"]["cs-1"]["unseen"] == pytest.approx(50.0)
    assert rep["normalized"]["cs-1"]["total"] == pytest.approx((75 / 93 * 100 + 50) / 2)
    # the paper's methods, renormalized on these two tasks
    assert n["o1"]["game24"] == pytest.approx(80 / 93 * 100)
    assert n["all-code"]["letters"] == pytest.approx(100.0)


def test_tokens_cost_and_time_split_per_sample(cli, two_runs: StoreBuilder) -> None:
    rep = _report(cli, "--compare", "o1")
    g = rep["metrics"]["cs-1"]["game24"]  # 1 round: guide + task + checker
    assert g["rounds"] == 1
    assert g["task_tokens"] == 500 and g["guide_tokens"] == 320 and g["checker_tokens"] == 250
    assert g["cost_usd"] == pytest.approx(0.003) and g["cost_partial"] is False
    assert g["wall_s"] == 10
    assert g["t_task_s"] == 2 and g["t_guide_s"] == 0.5
    assert g["t_code_s"] == 0.25 and g["t_checker_s"] == 1.125
    assert g["code_share"] == 100
    let = rep["metrics"]["cs-1"]["letters"]  # 2 rounds: text then code
    assert let["rounds"] == 2 and let["task_tokens"] == 1000 and let["code_share"] == 50
    oq = rep["metrics"]["oq-1"]["game24"]
    assert oq["guide_tokens"] == 0 and oq["code_share"] == 0 and oq["t_code_s"] == 0
    # averages over the compared tasks, each task weighing the same
    total = rep["averages"]["cs-1"]["total"]
    assert total["success"] == 62.5 and total["task_tokens"] == 750
    assert rep["averages"]["cs-1"]["seen"]["success"] == 75
    s = rep["summary"]["cs-1"]
    assert s["task_tokens"] == 750 and s["guide_tokens"] == pytest.approx(480)
    assert rep["summary"]["o1"]["wall_s"] == 70.5  # published, Table 8


def test_unknown_price_is_never_zero(cli, builder: StoreBuilder) -> None:
    builder.run("priced", "all_code", eps("game24", [1, 0]))
    builder.run("unpriced", "all_text", eps("game24", [1, 0], cost=None), guide=None)
    builder.run(
        "mixed",
        "code_interpreter",
        eps("game24", [1]) + [Ep("game24", 1, 0.0, cost=None)],
        guide=None,
    )
    rep = _report(cli)
    assert rep["metrics"]["unpriced"]["game24"]["cost_usd"] is None
    mixed = rep["metrics"]["mixed"]["game24"]
    assert mixed["cost_partial"] is True and mixed["cost_usd"] == pytest.approx(0.0015)
    text = cli("report", "unpriced", "mixed", "--format", "md").stdout
    assert "| ? |" in text and "≥0.0015" in text


def test_default_runs_are_the_latest_finished_per_configuration(cli, builder: StoreBuilder) -> None:
    builder.run("cs-old", "codesteer", eps("game24", [0, 0]))
    builder.run("cs-new", "codesteer", eps("game24", [1, 1]))
    builder.run(
        "cs-other-model", "codesteer", eps("game24", [1, 0]), task_model="openai:gpt-4o-mini"
    )
    builder.run("cs-running", "codesteer", eps("game24", [1]), status="running")
    builder.run("oq", "only_question", eps("game24", [0, 1]), guide=None)
    rep = _report(cli)
    assert [m["key"] for m in rep["methods"]] == ["cs-new", "cs-other-model", "oq"]
    # named runs are taken as given, whatever their status
    rep = _report(cli, "cs-old", "cs-running")
    assert [m["key"] for m in rep["methods"]] == ["cs-old", "cs-running"]
    assert any("cs-running is running" in n for n in rep["notes"])


def test_two_runs_get_a_paired_bootstrap_diff(cli, builder: StoreBuilder) -> None:
    a = [1, 0, 0, 1, 0, 1, 0, 0, 1, 0] * 3
    b = [1, 1, 0, 1, 1, 1, 0, 1, 1, 0] * 3
    builder.run("base", "only_question", eps("game24", a), guide=None)
    builder.run("steer", "codesteer", eps("game24", b) + eps("letters", [1, 1]))
    rep = _report(cli, "base", "steer")
    (d,) = rep["diffs"]
    o = d["overall"]
    assert (d["a"], d["b"]) == ("base", "steer")
    assert o["n"] == 30 and d["unmatched_samples"] == {"only_a": 0, "only_b": 2}
    assert o["improved"] == 9 and o["worsened"] == 0
    assert o["diff"] == pytest.approx(30.0)
    assert o["low"] < o["diff"] < o["high"] and o["low"] > 0
    assert o["resamples"] == 10_000 and o["seed"] == 0
    # deterministic: same interval on a second report
    again = _report(cli, "--diff", "base,steer")["diffs"][0]["overall"]
    assert (again["low"], again["high"]) == (o["low"], o["high"])
    md = cli("report", "base", "steer", "--format", "md").stdout
    assert "Difference steer − base" in md and "+30.0" in md
    # --diff is repeatable: a third run, two differences in one report
    builder.run("third", "all_code", eps("game24", a), guide=None)
    rep = _report(cli, "base", "steer", "third", "--diff", "base,steer", "--diff", "steer,third")
    assert [(d["a"], d["b"]) for d in rep["diffs"]] == [("base", "steer"), ("steer", "third")]
    assert rep["diffs"][1]["overall"]["diff"] == pytest.approx(-30.0)


def test_a_diff_side_can_be_the_better_of_several_runs(cli, builder: StoreBuilder) -> None:
    code = [1, 1, 0, 0, 1, 0]  # 50%
    text = [0, 1, 1, 1, 1, 0]  # 67%: the better fixed method
    guided = [1, 1, 1, 1, 1, 0]
    builder.run("code", "all_code", eps("game24", code), guide=None)
    builder.run("text", "all_text", eps("game24", text), guide=None)
    builder.run("guided", "codesteer", eps("game24", guided))
    rep = _report(cli, "code", "text", "guided", "--diff", "code|text,guided")
    (d,) = rep["diffs"]
    assert (d["a"], d["b"]) == ("text", "guided")
    assert d["overall"]["diff"] == pytest.approx(100 * (5 - 4) / 6)
    assert any("better over all samples is text" in n for n in rep["notes"])
    assert not any("tied" in n for n in rep["notes"])
    # ties go to the first named, and the note says it was a tie
    builder.run("text2", "all_text", eps("game24", [1, 1, 0, 0, 0, 1]), guide=None)
    rep = _report(cli, "code", "text2", "guided", "--diff", "text2|code,guided")
    assert rep["diffs"][0]["a"] == "text2"
    assert any("tied with code, the first named is taken" in n for n in rep["notes"])


def test_hindsight_routers_between_runs(cli, builder: StoreBuilder) -> None:
    # game24 (seen): code wins; letters (unseen): text wins; each solves samples the
    # other misses, so a router by sample beats one by task.
    builder.run("code", "all_code", eps("game24", [1, 1, 0, 0]) + eps("letters", [0, 1]))
    builder.run("text", "all_text", eps("game24", [0, 0, 1, 0]) + eps("letters", [1, 1]))
    builder.run("lone", "all_text", eps("game24", [1]), guide=None)
    rep = _report(cli, "code", "text", "--hindsight", "code,text")
    (h,) = rep["hindsight"]
    assert h["runs"] == ["code", "text"] and h["unmatched_samples"] == 0
    g, lt = h["tasks"]["game24"], h["tasks"]["letters"]
    assert g == {
        "samples": 4,
        "runs": {"code": 50.0, "text": 25.0},
        "per_task": 50.0,
        "per_sample": 75.0,
        "best": "code",
    }
    assert (lt["per_task"], lt["per_sample"], lt["best"]) == (100.0, 100.0, "text")
    total = h["scopes"]["total"]
    assert total["runs"] == {"code": 50.0, "text": 62.5}  # each task weighs the same
    assert (total["per_task"], total["per_sample"]) == (75.0, 87.5)
    assert h["scopes"]["seen"]["per_task"] == 50.0 and h["scopes"]["unseen"]["samples"] == 2
    # runs named only in --hindsight join the report; ties are named; unmatched counted
    rep = _report(cli, "lone", "--hindsight", "code,lone")
    (h,) = rep["hindsight"]
    assert [m["key"] for m in rep["methods"]] == ["lone", "code"]
    assert h["tasks"]["game24"]["best"] == "tie: code, lone" and h["unmatched_samples"] == 5
    text = cli("report", "code", "text", "--hindsight", "code,text", "--format", "md").stdout
    assert "In hindsight: routers between code, text" in text and "87.5" in text
    rows = cli("report", "code", "text", "--hindsight", "code,text", "--format", "csv").stdout
    assert "hindsight,per_sample,hindsight,total," in rows and ",87.5," in rows


def test_by_family_split_and_complexity(cli, builder: StoreBuilder) -> None:
    builder.run(
        "r",
        "codesteer",
        [Ep("game24", i, 1.0 if i < 3 else 0.0, complexity=1 + i % 2) for i in range(6)]
        + eps("number_multiply", [1, 1], complexity=2)
        + eps("blocksworld", [0, 1], complexity=None),
    )
    rep = _report(cli, "--by", "family", "--compare", "gpt-4o")
    assert rep["groups"] == ["computation", "planning"]
    # a group averages its tasks: computation = (game24 50% + number_multiply 100%) / 2
    assert rep["success"]["r"]["computation"] == 75.0
    assert rep["success"]["gpt-4o"]["computation"] == pytest.approx((17 + 11) / 2)
    rep = _report(cli, "--by", "split")
    assert rep["groups"] == ["seen", "unseen"]
    rep = _report(cli, "--by", "complexity", "--compare", "o1")
    assert rep["groups"] == ["1", "2", "orig"]
    assert rep["success"]["r"]["1"] == pytest.approx(200 / 3)  # game24 at 1: 2 of 3
    assert rep["success"]["r"]["2"] == pytest.approx((100 / 3 + 100) / 2)
    assert rep["success"]["o1"]["1"] is None
    assert any("no per-complexity results" in n for n in rep["notes"])


def test_partial_credit_shows_mean_score_apart(cli, builder: StoreBuilder) -> None:
    builder.run("r", "codesteer", eps("boxlift", [1.0, 0.5, 0.25, 0.0]))
    rep = _report(cli)
    m = rep["metrics"]["r"]["boxlift"]
    assert m["success"] == 25.0 and m["mean_score"] == pytest.approx(43.75)
    text = cli("report", "--format", "md").stdout
    assert "score %" in text


def test_every_format_and_out_file(cli, two_runs: StoreBuilder, tmp_path: Path) -> None:
    for fmt in ("table", "md", "csv", "json", "html"):
        out = tmp_path / f"r.{fmt}"
        r = cli("report", "--compare", "paper", "--format", fmt, "--out", str(out))
        assert r.exit_code == 0, r.output
        text = out.read_text()
        assert "cs-1" in text
    table = (tmp_path / "r.table").read_text()
    assert "normalized, total (2)" in table and "Per sample, by task" in table
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text())))
    avg = [r for r in rows if r["section"] == "average" and r["method"] == "cs-1"]
    assert {r["group"] for r in avg} == {"seen", "unseen", "total"}
    o1_total = next(
        r
        for r in rows
        if r["section"] == "average" and r["method"] == "o1" and r["group"] == "total"
    )
    assert o1_total["published_runtime_s"] == "70.5"
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")


def test_no_runs_flag_and_run_without_finished_samples(cli, builder: StoreBuilder) -> None:
    builder.run("r", "codesteer", eps("game24", [1]))
    builder.run("broken", "all_text", [Ep("game24", 0, 0.0, status="failed")], guide=None)
    rep = _report(cli, "--compare", "paper", "--no-runs")
    assert len(rep["methods"]) == 13
    rep = _report(cli, "r", "broken")
    assert [m["key"] for m in rep["methods"]] == ["r"]
    assert any("broken has no finished samples" in n for n in rep["notes"])


def test_terminal_tables_render_with_rich(two_runs: StoreBuilder) -> None:
    from rich.console import Console

    from codesteer_cli.reporting.compare import resolve_compare
    from codesteer_cli.reporting.model import build_report
    from codesteer_cli.reporting.queries import default_runs
    from codesteer_cli.reporting.render import rich_tables

    store = two_runs.store
    runs = default_runs(store)
    report = build_report(store, runs, resolve_compare("o1"), diffs=[(runs[0], runs[1])])
    console = Console(record=True, width=220)
    for t in rich_tables(report):
        console.print(t)
    text = console.export_text()
    assert "Success rate (%) by task" in text and "Per sample, by task" in text
    assert "Difference oq-1 − cs-1" in text and "normalized, total (2)" in text
