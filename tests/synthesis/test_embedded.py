"""End to end, offline, with the embedded model (`local:smollm2`) as teacher, guide and
task model, through the real commands.

Deliberately tiny: the embedded model runs at ~13 tokens/s per stream on the 2-core
reference machine, so this uses one sample of one seen task, at most two guide turns,
a few dozen new tokens per call, the short `tiny` prompts and no Self-answer Checker
(its checking program alone could take a minute). It proves the pipeline runs with a
real local model, not that the data is any good."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codesteer_cli.app import app

TINY = [
    "--task-model", "local:smollm2", "--tasks", "web_of_lies", "--per-task", "1",
    "--complexity", "1", "--max-tokens", "32", "--guide-max-tokens", "12",
    "--prompts", "tiny", "--no-self-check", "--concurrency", "4",
]  # fmt: skip


@pytest.mark.slow
def test_embedded_sft_and_dpo_end_to_end(db_path: Path, tmp_path: Path) -> None:
    runner = CliRunner()

    def cli(*args: str) -> str:
        r = runner.invoke(app, ["synthesize", *args], catch_exceptions=False)
        assert r.exit_code == 0, r.output
        return r.output

    cli("sft", "--teacher", "local:smollm2", *TINY, "--variants", "free",
        "--max-guidance-turns", "2", "--name", "emb-sft")  # fmt: skip
    cli("dpo", "--guide", "local:smollm2", *TINY, "--branches", "2", "--max-depth", "1",
        "--max-rounds", "0", "--temperature", "1.5", "--name", "emb-dpo")  # fmt: skip
    con = sqlite3.connect(db_path)
    runs = dict(con.execute("select kind, status from runs"))
    assert runs == {"synthesize-sft": "finished", "synthesize-dpo": "finished"}
    assert con.execute("select status, count(*) from episodes group by 1").fetchall() == [
        ("finished", 2)
    ]
    assert con.execute("select distinct split from samples").fetchall() == [("train",)]
    guide_turns = con.execute(
        "select count(*) from turns t join episodes e on e.id = t.episode_id "
        "join runs r on r.id = e.run_id where r.kind = 'synthesize-sft' and t.role = 'guide'"
    ).fetchone()[0]
    assert 1 <= guide_turns <= 2
    # a tree of the root + two sampled guidances, each ending at the round limit
    nodes = con.execute("select path, final, rounds, score from dpo_nodes order by path").fetchall()
    assert [n[:3] for n in nodes] == [("", 0, 0), ("0", 1, 1), ("1", 1, 1)]
    assert {n[3] for n in nodes[1:]} <= {14.0, -1.0}
    assert con.execute("select count(*) from dpo_pairs").fetchone()[0] == 1
    st = json.loads(cli("stats", "--json"))
    assert {r["kind"] for r in st["runs"]} == {"synthesize-sft", "synthesize-dpo"}
    assert all(r["cost_usd"] == 0.0 for r in st["runs"])  # local: priced at 0
