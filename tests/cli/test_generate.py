"""`codesteer generate`, `tasks` and `db` through the real command."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import reference_root
from tests.fixtures.cli import run_cli


def test_generate_writes_store_and_jsonl_idempotently(cli, db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.jsonl"
    r = cli("generate", "--task", "number_multiply", "-c", "2-4", "-n", "7", "--out", str(out))
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 21 and {x["complexity"] for x in lines} == {2, 3, 4}
    con = sqlite3.connect(db_path)
    assert con.execute("select count(*) from samples").fetchone()[0] == 21
    r = cli("generate", "--task", "number_multiply", "-c", "2-4", "-n", "7")
    assert r.exit_code == 0
    assert con.execute("select count(*) from samples").fetchone()[0] == 21
    r = cli("generate", "--task", "number_multiply", "-c", "3", "-n", "7", "--split", "train")
    assert r.exit_code == 0
    rows = con.execute("select split, count(*) from samples group by split").fetchall()
    assert dict(rows) == {"test": 21, "train": 7}
    hashes = con.execute("select content_hash, count(distinct split) from samples group by 1")
    assert all(n == 1 for _, n in hashes)


def test_tasks_json_lists_registered_tasks_with_counts(cli) -> None:
    cli("generate", "--task", "number_multiply", "-c", "1", "-n", "4")
    r = cli("tasks", "--json")
    rows = {t["id"]: t for t in json.loads(r.output)}
    nm = rows["number_multiply"]
    assert nm["split"] == "unseen" and nm["samples"] == {"train": 0, "test": 4}
    assert set(nm["knobs"]) == {"1", "5", "10"}


def test_import_check_verifies_original_samples(cli, db_path: Path) -> None:
    r = cli("generate", "--import", str(reference_root()), "--check", "-t", "number_multiply")
    assert r.exit_code == 0, r.output
    assert "number_multiply" in r.output
    con = sqlite3.connect(db_path)
    n, origins = con.execute(
        "select count(*), count(distinct origin) from samples where origin != 'generated'"
    ).fetchone()
    assert n == origins == 300


def test_import_of_a_nested_tree_records_complexity_and_split(
    cli, db_path: Path, tmp_path: Path
) -> None:
    from tests.symbench.test_import_layouts import TREE, build_tree

    root = build_tree(tmp_path / "release")
    r = cli("generate", "--import", str(root), "--check", "-t", "all")
    assert r.exit_code == 0, r.output
    assert "new_operator_dataset_hard" in r.output and "cryptanalysis_SFT" in r.output
    con = sqlite3.connect(db_path)
    rows = con.execute("select origin, complexity, split from samples").fetchall()
    want = {(dest, level, "train" if "_SFT" in dest else "test") for _, _, dest, level in TREE}
    assert set(rows) == want


def test_db_status_and_path(cli, db_path: Path) -> None:
    assert cli("db", "path").output.strip() == str(db_path)
    from codesteer_cli.store.db import open_store

    head = open_store(str(db_path), migrate=False).head_revision()
    r = cli("db", "upgrade")
    assert r.exit_code == 0 and f"empty → {head}" in r.output
    r = cli("db", "status")
    assert "up to date" in r.output and "samples" in r.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["generate", "--task", "no_such_task"], "unknown task 'no_such_task'"),
        (["generate", "--task", "number_multiply", "-c", "0"], "complexity must be"),
        (["generate", "--task", "number_multiply", "-c", "11"], "complexity must be"),
        (["generate", "--task", "number_multiply", "-c", "x-y"], "bad complexity"),
        (["generate", "--import", "/no/such/folder"], "cannot read import folder"),
        (["generate", "--split", "dev"], "--split must be"),
    ],
)
def test_bad_input_is_one_line_without_traceback(args, message, tmp_path: Path) -> None:
    r = run_cli(*args, env={"CODESTEER_DB": str(tmp_path / "x.db")})
    assert r.returncode != 0
    assert message in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_a_store_that_is_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database at all" * 200)
    r = run_cli("--db", str(bad), "generate", "-t", "number_multiply", "-n", "1")
    assert r.returncode == 2
    assert "is not a codesteer store" in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_help_is_light(tmp_path: Path) -> None:
    """`codesteer --help` must not import torch, transformers, sqlalchemy or matplotlib."""
    code = (
        "import sys, runpy\n"
        "sys.argv = ['codesteer', '--help']\n"
        "try:\n    runpy.run_module('codesteer_cli.app', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'transformers', 'trl', 'matplotlib', 'sqlalchemy',"
        " 'openai', 'anthropic') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "HEAVY []" in r.stdout, r.stdout[-500:] + r.stderr[-500:]
