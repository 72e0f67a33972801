"""`codesteer synthesize` on the command line: bad input is one red line (exit 2, no
traceback); export and stats render a store made by scripted runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codesteer_cli.app import app
from codesteer_cli.errors import UserError
from codesteer_cli.sandbox.executor import Executor, Limits
from tests.conftest import REPO
from tests.synthesis.helpers import FAST_WRONG_TREE, AnswerBook, grow, new_store, synthesize

BAD = {
    "unseen task": (
        ["sft", "--teacher", "gpt-4o", "--task-model", "gpt-4o", "--tasks", "number_multiply"],
        "number_multiply is an unseen task",
    ),
    "unknown variant": (
        ["sft", "--teacher", "gpt-4o", "--task-model", "gpt-4o", "--variants", "free,bogus"],
        "unknown variant 'bogus'",
    ),
    "branches 0": (
        ["dpo", "--guide", "hf:./ckpt", "--task-model", "gpt-4o", "--branches", "0"],
        "--branches must be at least 2",
    ),
    "no guide": (["dpo", "--task-model", "gpt-4o"], "--guide"),
    "no teacher": (["sft", "--task-model", "gpt-4o"], "--teacher required"),
    "no export target": (["export"], "nothing to export"),
    "nothing stored": (["export", "--sft", "out.jsonl"], "no synthesize-sft runs to export"),
    "unknown run": (["sft", "--resume", "x"], "no run named or numbered 'x'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line(
    case: str,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """Through `main()`, the console script's entry point, in this process."""
    from codesteer_cli.app import main

    monkeypatch.chdir(tmp_path)
    args, message = BAD[case]
    monkeypatch.setattr(sys, "argv", ["codesteer", "synthesize", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    out, err = capsys.readouterr()
    lines = [x for x in err.splitlines() if x.strip()]
    assert exc.value.code == 2, (case, err)
    assert "Traceback" not in err + out
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert message in err


def test_bad_input_in_a_real_process(tmp_path: Path) -> None:
    env = {**os.environ, "CODESTEER_DB": str(tmp_path / "s.db"), "PYTHONPATH": str(REPO)}
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "codesteer_cli.app",
            "synthesize",
            "dpo",
            "--guide",
            "hf:./x",
            "--task-model",
            "gpt-4o",
            "--branches",
            "0",
        ],  # fmt: skip
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.strip().splitlines() == [
        "error: --branches must be at least 2 (pairs are made of siblings), got 0"
    ]


@pytest.fixture
def filled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "s.db"
    store = new_store(db)
    executor = Executor(Limits(wall_s=10), workers=2)
    synthesize(store, executor, AnswerBook(), name="sft-a", per_task=2)
    grow(store, executor, FAST_WRONG_TREE, per_task=2)
    monkeypatch.setenv("CODESTEER_DB", str(db))
    from codesteer_cli.context import settings

    monkeypatch.setattr(settings, "db", None)
    return db


def test_export_and_stats_commands(filled: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "data" / "sft.jsonl"
    r = runner.invoke(
        app,
        [
            "synthesize",
            "export",
            "--sft",
            str(out),
            "--dpo",
            str(tmp_path / "p.jsonl"),
            "--val-fraction",
            "0.5",
        ],  # fmt: skip
        catch_exceptions=False,
    )
    assert r.exit_code == 0, r.output
    assert out.exists() and (tmp_path / "data" / "sft.val.jsonl").exists()
    assert "SFT:" in r.output and "DPO:" in r.output and "held out" in r.output
    r = runner.invoke(app, ["synthesize", "stats", "--json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    st = json.loads(r.output)
    by = {(x["task"], x["variant"]): x for x in st["sft"]}
    assert by[("gsm_hard", "free")]["trajectories"] == 2
    assert by[("gsm_hard", "text_to_code")]["turns"] == 3
    assert by[("gsm_hard", "free")]["code_share"] == 100.0
    assert by[("gsm_hard", "text_to_code")]["code_share"] == 50.0  # text, then code
    [dpo] = st["dpo"]
    assert (dpo["trees"], dpo["pairs_kept"], dpo["pairs_rejected"]) == (2, 4, 2)
    assert dpo["nodes"] == 2 * 10 and dpo["leaves"] == 2 * 4
    assert {r["kind"] for r in st["runs"]} == {"synthesize-sft", "synthesize-dpo"}
    assert all(r["calls"] > 0 and r["tokens"] for r in st["runs"])
    r = runner.invoke(app, ["synthesize", "stats"], catch_exceptions=False)
    assert r.exit_code == 0 and "SFT trajectories" in r.output and "DPO trees" in r.output
    # a finished run continued: nothing to do, no model needed
    r = runner.invoke(app, ["synthesize", "sft", "--resume", "sft-a"], catch_exceptions=False)
    assert r.exit_code == 0 and "6 episodes" in r.output and "6 already done" in r.output
    with pytest.raises(UserError, match="'sft-a' is a synthesize-sft run"):
        runner.invoke(app, ["synthesize", "dpo", "--resume", "sft-a"], catch_exceptions=False)
