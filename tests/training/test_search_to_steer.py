"""The whole method at tiny sizes, from the command line with the embedded model: the
search teacher makes guide data → export (one first action per task) → LoRA SFT of
SmolLM2 → the adapter published with its recipe → `steer` driven by it, every step a run
in one store. (number_multiply is the task SmolLM2 solves by code at complexity 1; it is
unseen, hence --allow-unseen.)"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from codesteer_cli.training.publish import sha256
from tests.fixtures.cli import run_cli

pytestmark = pytest.mark.slow


def _ok(*args: str, timeout: float = 600) -> str:
    r = run_cli(*args, env={"COLUMNS": "200"}, timeout=timeout)
    assert r.returncode == 0, (args, r.stderr[-3000:])
    return r.stdout


def test_search_synthesis_then_train_then_steer(tmp_path: Path) -> None:
    db = str(tmp_path / "cs.db")
    _ok("--db", db, "synthesize", "sft", "--teacher", "search", "-m", "local:smollm2",
        "--tasks", "number_multiply", "--allow-unseen", "--per-task", "4", "-c", "1",
        "--max-tokens", "160",
        "--no-self-check", "--max-guidance-turns", "1", "--name", "search")  # fmt: skip
    sft = tmp_path / "sft.jsonl"
    out = _ok("--db", db, "synthesize", "export", "--runs", "search", "--sft", str(sft),
        "--val-fraction", "0", "--seed", "0", "--first-action", "task")  # fmt: skip
    rows = [json.loads(x) for x in sft.read_text().splitlines()]
    assert rows, "the search teacher kept no correct trajectory"
    assert all(r["messages"][-1]["role"] == "assistant" for r in rows)
    assert "number_multiply: first action " in out  # the per-task rule says what it chose

    adapter = tmp_path / "adapter"
    _ok("--db", db, "train", "sft", "--base", "local:smollm2", "--lora", "--lora-r", "4",
        "--data", str(sft), "--out", str(adapter), "--max-steps", "2", "--lr", "1e-3",
        "--name", "guide")  # fmt: skip
    assert (adapter / "adapter_config.json").is_file()

    published = tmp_path / "published"  # what `make guide` does with the adapter
    r = subprocess.run(
        [sys.executable, "-m", "codesteer_cli.training.publish", str(adapter), str(published),
         "--data", str(sft), "--store", db, "--run", "guide", "--synthesis", "search",
         "--first-action", "task"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    recipe = json.loads((published / "recipe.json").read_text())
    assert recipe["export"] == {"first_action": "task"}
    assert recipe["data"]["sha256"] == sha256(sft) and recipe["data"]["rows"] == len(rows)
    assert [x["name"] for x in recipe["synthesis_runs"]] == ["search"]

    guide = f"local:smollm2+{published}"
    _ok("--db", db, "steer", "--method", "codesteer", "-m", "local:smollm2", "-g", guide,
        "--tasks", "number_multiply", "-c", "1", "--limit", "1", "--max-rounds", "1",
        "--max-tokens", "48", "--no-self-check", "--name", "steered")  # fmt: skip

    con = sqlite3.connect(db)
    runs = dict(con.execute("select name, status from runs"))
    assert runs == {"search": "finished", "guide": "finished", "steered": "finished"}
    cfg = json.loads(con.execute("select config from runs where name = 'steered'").fetchone()[0])
    assert cfg["guide"] == guide
    guide_turns = con.execute(
        "select count(*) from turns t join episodes e on e.id = t.episode_id "
        "join runs r on r.id = e.run_id where r.name = 'steered' and t.role = 'guide'"
    ).fetchone()[0]
    assert guide_turns >= 1  # the trained adapter was asked, and its answer recorded
