"""Checkpoints and --resume; `--gpus 2` on CPU runs two processes (gloo)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.training.test_train_e2e import generates, run_row

pytestmark = pytest.mark.slow


def test_resume_continues_exactly_where_the_checkpoint_left(
    train_cli, tiny_model_dir, sft_file, tmp_path, db_path
) -> None:
    out = tmp_path / "sft"
    common = ["--base", tiny_model_dir, "--data", sft_file, "--out", out, "--epochs", "2"]
    common += ["--lr", "1e-3", "--save-steps", "3", "--save-total-limit", "5"]
    train_cli("train", "sft", *common, "--name", "whole")
    assert sorted(p.name for p in out.glob("checkpoint-*")) == [
        "checkpoint-10", "checkpoint-3", "checkpoint-6", "checkpoint-9",
    ]  # fmt: skip
    # as if the run had died after step 7: the last checkpoint left is step 6
    shutil.rmtree(out / "checkpoint-9")
    shutil.rmtree(out / "checkpoint-10")
    (out / "model.safetensors").unlink()
    train_cli("train", "sft", *common, "--resume", "--name", "resumed")
    whole = {m["step"]: m["loss"] for m in run_row(db_path, "whole")["metrics"]}
    resumed = run_row(db_path, "resumed")
    assert resumed["config"]["resume_from"] == str(out / "checkpoint-6")
    again = {m["step"]: m["loss"] for m in resumed["metrics"]}
    assert sorted(again) == [7, 8, 9, 10]
    for step, loss in again.items():
        assert loss == pytest.approx(whole[step], abs=1e-4)
    assert (out / "model.safetensors").is_file()


def test_two_processes_on_cpu(tiny_model_dir, sft_file, tmp_path) -> None:
    db = tmp_path / "s.db"
    out = tmp_path / "ddp"
    env = {**os.environ, "CODESTEER_DB": str(db)}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "codesteer_cli.app",
            "train",
            "sft",
            "--base",
            str(tiny_model_dir),
            "--data",
            str(sft_file),
            "--out",
            str(out),
            "--gpus",
            "2",
            "--epochs",
            "1",
            "--lr",
            "1e-3",
            "--save-steps",
            "3",
            "--name",
            "ddp",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "[rank 0/2] train sft" in r.stderr and "[rank 1/2] train sft" in r.stderr
    run = run_row(db, "ddp")
    assert run["status"] == "finished"
    assert run["summary"]["world_size"] == 2 == run["config"]["resolved"]["world_size"]
    resolved = run["config"]["resolved"]
    # the global batch of 4: 2 per process, taken one per forward pass on CPU
    assert (resolved["micro_batch_size"], resolved["gradient_accumulation_steps"]) == (1, 2)
    assert [m["step"] for m in run["metrics"]] == [1, 2, 3, 4, 5]  # rank 0 alone writes
    cfg = (out / "accelerate_config.yaml").read_text()
    assert "distributed_type: MULTI_GPU" in cfg and "num_processes: 2" in cfg
    state = json.loads((out / "checkpoint-3" / "trainer_state.json").read_text())
    assert state["global_step"] == 3
    assert (out / "model.safetensors").is_file()
    generates(out)
