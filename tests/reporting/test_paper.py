"""The shipped paper data: normalized scores reproduce every published figure."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from codesteer_cli.reporting import compare
from codesteer_cli.reporting.compare import (
    PAPER_METHODS,
    TASK_INFO,
    paper_data,
    resolve_compare,
    task_id,
)
from codesteer_cli.reporting.stats import normalized_scores
from tests.conftest import REPO
from tests.fixtures.cli import run_cli

# The abstract / SPEC §1: normalized totals over the 13 methods of Table 1.
HEADLINE = {"o1": 82.7, "r1": 76.8, "o1-preview": 74.8, "gpt-4o": 53.3, "gpt-4o+codesteer": 86.4}
DATA = REPO / "codesteer_cli" / "reporting" / "data"


def _json(*args: str, tmp_path: Path) -> dict:
    r = run_cli("report", *args, "--format", "json", env={"CODESTEER_DB": str(tmp_path / "x.db")})
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _table8() -> dict[str, float]:
    with open(DATA / "paper_table8_cost.csv", encoding="utf-8") as f:
        return {r["method"]: float(r["normalized_score_total"]) for r in csv.DictReader(f)}


def test_report_compare_paper_on_a_missing_store_matches_every_published_figure(
    tmp_path: Path,
) -> None:
    db = tmp_path / "missing" / "codesteer.db"
    r = run_cli("report", "--compare", "paper", env={"CODESTEER_DB": str(db)})
    assert r.returncode == 0, r.stderr
    assert not db.exists() and not db.parent.exists()  # no store was created
    out = r.stdout
    # the per-task table, all 37 tasks, and the normalization set named
    for t in paper_data().tasks:
        assert re.search(rf"│ {t}\s+│ (seen|unseen)", out), t
    assert "max over the 13 methods compared (o1, r1, o1-preview, gpt-4o," in out
    total = re.search(r"normalized, total \(37\)[^\n]*", out)
    assert total is not None
    values = [float(v) for v in re.findall(r"\d+\.\d", total.group(0))]
    assert len(values) == 13
    by_name = dict(zip([m.name for m in PAPER_METHODS], values, strict=True))
    for name, published in HEADLINE.items():
        assert by_name[name] == published, name
    seen = re.search(r"normalized, seen \(28\)", out)
    unseen = re.search(r"normalized, unseen \(9\)", out)
    assert seen and unseen


def test_every_table8_normalized_total_is_reproduced(tmp_path: Path) -> None:
    rep = _json("--compare", "paper", tmp_path=tmp_path)
    table8 = _table8()
    checked = 0
    for m in PAPER_METHODS:
        for row in (m.cost_row or m.column, m.alt_cost_row):
            if row:
                got = rep["normalized"][m.name]["total"]
                assert abs(got - table8[row]) <= 0.05 + 1e-9, (m.name, got, table8[row])
                checked += 1
    assert checked == len(table8) == 14
    for name, published in HEADLINE.items():
        assert round(rep["normalized"][name]["total"], 1) == published
    # seen and unseen are averages over 28 and 9 tasks that make up the total
    assert rep["normalized_tasks_counted"] == {"seen": 28, "unseen": 9, "total": 37}
    for m in PAPER_METHODS:
        n = rep["normalized"][m.name]
        assert (28 * n["seen"] + 9 * n["unseen"]) / 37 == pytest.approx(n["total"])
    assert rep["excluded_from_normalization"] == []


def test_a_subset_is_normalized_over_itself_and_says_so(tmp_path: Path) -> None:
    rep = _json("--compare", "o1,r1,gpt-4o+codesteer", tmp_path=tmp_path)
    assert rep["normalized_over"] == ["o1", "r1", "gpt-4o+codesteer"]
    rates = paper_data().rates
    cols = {"o1": "o1", "r1": "deepseek_r1", "gpt-4o+codesteer": "gpt4o_codesteer"}
    tasks = list(paper_data().tasks)
    expect = normalized_scores(
        {k: rates[c] for k, c in cols.items()}, tasks, paper_data().split
    ).averages
    for k in cols:
        for scope in ("seen", "unseen", "total"):
            assert rep["normalized"][k][scope] == pytest.approx(expect[k][scope])
    # over three methods the scores rise: o1 is best on more tasks
    assert rep["normalized"]["o1"]["total"] > HEADLINE["o1"]
    r = run_cli(
        "report", "--compare", "o1,r1,gpt-4o+codesteer", env={"CODESTEER_DB": "/nonexistent/x.db"}
    )
    assert "max over the 3 methods compared (o1, r1, gpt-4o+codesteer)" in r.stdout


def test_all_zero_task_is_left_out_of_the_averages(tmp_path: Path) -> None:
    # o1, R1 and o1-preview all score 0 on standard_sudoku: 0/0
    rep = _json("--compare", "o1,r1,o1-preview", tmp_path=tmp_path)
    assert rep["excluded_from_normalization"] == ["standard_sudoku"]
    assert rep["normalized_tasks_counted"] == {"seen": 27, "unseen": 9, "total": 36}
    assert rep["normalized_per_task"]["o1"]["standard_sudoku"] is None
    assert any("standard_sudoku" in n and "0/0" in n for n in rep["notes"])
    # over the paper's own 13 methods no task is all zero: the rule never changes its figures
    for i, t in enumerate(paper_data().tasks):
        assert max(paper_data().rates[m.column][t] for m in PAPER_METHODS) > 0, (i, t)


def test_aliases_resolve_and_unknown_names_list_the_known_ones(tmp_path: Path) -> None:
    assert [m.column for m in resolve_compare("paper")] == [m.column for m in PAPER_METHODS]
    for spec, column in [
        ("o1", "o1"),
        ("R1", "deepseek_r1"),
        ("deepseek-r1", "deepseek_r1"),
        ("o1_preview", "o1_preview"),
        ("gpt-4o", "gpt4o_only_question"),
        ("GPT-4o+CodeSteer", "gpt4o_codesteer"),
        ("code-interpreter", "gpt4o_code_interpreter"),
        ("symbolic-agent", "gpt4o_symbolic_agent"),
        ("all-text", "gpt4o_all_text_cot"),
        ("all-code", "gpt4o_all_code_cot"),
        ("gpt4o_code_text_sum2", "gpt4o_code_text_sum2"),
    ]:
        assert [m.column for m in resolve_compare(spec)] == [column], spec
    # paper order, duplicates folded
    assert [m.name for m in resolve_compare("gpt-4o+codesteer,o1,o1")] == ["o1", "gpt-4o+codesteer"]
    r = run_cli("report", "--compare", "o1,o3", env={"CODESTEER_DB": str(tmp_path / "x.db")})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "unknown --compare name 'o3'" in r.stderr
    for m in PAPER_METHODS:
        assert m.name in r.stderr
    help_text = run_cli("report", "--help", env={"COLUMNS": "200"}).stdout
    for m in PAPER_METHODS:
        assert m.name in help_text


def test_paper_task_names_map_onto_spec_task_ids() -> None:
    spec = (REPO.parent / "shared" / "SPEC.md").read_text(encoding="utf-8")
    spec_ids = dict(re.findall(r"^\| \d+ \| (\w+) \| (seen|unseen) \|", spec, re.M))
    assert len(spec_ids) == 38
    data = paper_data()
    assert len(data.tasks) == 37 and "sokoban" not in data.tasks
    for t in data.tasks:
        assert spec_ids[t] == data.split[t], t
    # the original release's and the paper's spellings map onto the same ids
    assert task_id("BoxNet1") == "boxnet"
    assert task_id("Game 24") == "game24"
    assert task_id("2048") == "game_2048"
    assert task_id("String Deletion and Modification") == "string_deletion_modification"
    assert task_id("Permutations and Combinations") == "permutations_combinations"
    assert task_id("MATH Counting and Probability") == "math_counting_probability"
    # the fast table of splits and families agrees with SPEC and with symbench's registry
    assert set(TASK_INFO) == set(spec_ids)
    for t, (split, _) in TASK_INFO.items():
        assert split == spec_ids[t], t
    from symbench.core import all_tasks

    for task in all_tasks():
        assert TASK_INFO.get(task.id) == (task.split, task.family), task.id


def test_the_data_ships_inside_the_package() -> None:
    from importlib import resources

    root = resources.files("codesteer_cli.reporting").joinpath("data")
    for name in (compare.TABLE1, compare.TABLE8, "SOURCE.md"):
        assert root.joinpath(name).is_file(), name
    assert "2502.04350" in root.joinpath("SOURCE.md").read_text(encoding="utf-8")
    # the copies are the project's reference tables
    shared = REPO.parent / "shared" / "reference"
    for name in (compare.TABLE1, compare.TABLE8):
        assert (DATA / name).read_bytes() == (shared / name).read_bytes()
    # hatch packages whole folders: data/ is inside codesteer_cli, which the wheel lists
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'packages = \["codesteer_cli"', text)
