"""The whole method on CPU: synthesize (scripted teacher, real engine and sandbox) →
`synthesize export` → `train sft` (tiny random Llama, SmolLM2 tokenizer) → `train dpo`
→ `steer --guide hf:<result>` against a real local OpenAI-compatible server."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from codesteer_cli.sandbox.executor import Executor, Limits
from tests.fixtures.cli import run_cli
from tests.fixtures.katan import Katan
from tests.synthesis.helpers import FAST_WRONG_TREE, AnswerBook, grow, new_store, synthesize
from tests.training.conftest import (
    smol_tokenizer_dir,  # noqa: F401  (fixture)
    tiny_model_dir,  # noqa: F401  (fixture)
)

pytestmark = pytest.mark.slow


def _ok(*args: str, env: dict[str, str] | None = None) -> str:
    r = run_cli(*args, env=env, timeout=900)
    assert r.returncode == 0, (args, r.stderr[-3000:])
    return r.stdout + r.stderr


def test_synthesize_export_train_then_steer_with_the_trained_guide(
    tmp_path: Path,
    tiny_model_dir: Path,  # noqa: F811
) -> None:
    db = tmp_path / "s.db"
    store = new_store(db)
    executor = Executor(Limits(wall_s=10), workers=2)
    synthesize(store, executor, AnswerBook(), name="sft-data", per_task=4)
    grow(store, executor, FAST_WRONG_TREE, per_task=3)

    sft, dpo = tmp_path / "sft.jsonl", tmp_path / "pairs.jsonl"
    _ok("--db", str(db), "synthesize", "export", "--sft", str(sft), "--dpo", str(dpo))
    rows = [json.loads(x) for x in sft.read_text().splitlines()]
    assert rows and all(r["messages"][-1]["role"] == "assistant" for r in rows)

    sft_out, dpo_out = tmp_path / "guide-sft", tmp_path / "guide-dpo"
    _ok(
        "--db",
        str(db),
        "train",
        "sft",
        "--base",
        str(tiny_model_dir),
        "--data",
        str(sft),
        "--out",
        str(sft_out),
        "--epochs",
        "1",
        "--batch-size",
        "2",
        "--lr",
        "1e-3",
        "--name",
        "e2e-sft",
    )
    _ok(
        "--db",
        str(db),
        "train",
        "dpo",
        "--base",
        str(sft_out),
        "--data",
        str(dpo),
        "--out",
        str(dpo_out),
        "--epochs",
        "1",
        "--batch-size",
        "2",
        "--name",
        "e2e-dpo",
    )
    con = sqlite3.connect(db)
    assert con.execute(
        "select kind, status from runs where name in ('e2e-sft', 'e2e-dpo') order by id"
    ).fetchall() == [("train-sft", "finished"), ("train-dpo", "finished")]

    server = Katan(tmp_path / "katan").start().wait_ready()
    try:
        task_model = f"openai-compat:{server.url}/v1#echo-model"
        out = _ok(
            "--db",
            str(db),
            "steer",
            "--method",
            "codesteer",
            "--guide",
            f"hf:{dpo_out}",
            "--task-model",
            task_model,
            "--tasks",
            "number_multiply",
            "-c",
            "1",
            "-n",
            "2",
            "--max-rounds",
            "1",
            "--guide-max-tokens",
            "8",
            "--no-self-check",
            "--name",
            "e2e-steer",
            env={"OPENAI_COMPAT_API_KEY": "x", "HF_HUB_OFFLINE": "1"},
        )
    finally:
        server.stop()
    assert "e2e-steer" in out
    assert con.execute(
        "select count(*) from episodes e join runs r on r.id = e.run_id "
        "where r.name = 'e2e-steer' and e.status = 'finished'"
    ).fetchone() == (2,)
    guide_turns = con.execute(
        "select count(*), min(t.model) from turns t join episodes e on e.id = t.episode_id "
        "join runs r on r.id = e.run_id where r.name = 'e2e-steer' and t.role = 'guide'"
    ).fetchone()
    assert guide_turns[0] >= 2 and guide_turns[1] == f"hf:{dpo_out}"
