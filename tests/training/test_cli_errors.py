"""Bad input to `codesteer train …`: one line on stderr, no traceback, nothing trained."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.training.conftest import dpo_rows, sft_rows, write_jsonl


def run_cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codesteer_cli.app", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "CODESTEER_DB": str(db)},
        timeout=300,
    )


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    sft = write_jsonl(tmp_path / "sft.jsonl", sft_rows()[:3])
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(sft_rows()[0]) + "\n" + '{"messages": [\n')
    pairs = write_jsonl(tmp_path / "pairs.jsonl", dpo_rows())
    info = tmp_path / "dataset_info.json"
    info.write_text(json.dumps({"CodeSteer_SFT": {"file_name": "sft.json"}}, indent=2))
    yaml = tmp_path / "c.yaml"
    yaml.write_text("epochs: 2\nlearning_rate: 0.1\n")
    return {"sft": sft, "bad": bad, "pairs": pairs, "yaml": yaml, "info": info, "dir": tmp_path}


CASES = [
    (["sft", "--base", "m", "--data", "{dir}/none.jsonl"], "SFT data file", "does not exist"),
    (["sft", "--base", "m", "--data", "{bad}"], "bad.jsonl:2: not valid JSON", ""),
    (["sft", "--base", "m", "--data", "{sft}", "--strategy", "horovod"], "unknown --strategy", ""),
    (["sft", "--base", "m", "--data", "{sft}", "--packing"], "--packing is refused", ""),
    (["sft", "--base", "m", "--data", "{sft}", "--liger-kernel"], "--liger-kernel is refused", ""),
    (
        ["sft", "--base", "m", "--data", "{sft}", "--gpus", "2", "--strategy", "deepspeed-zero3"],
        "needs the deepspeed package",
        "",
    ),
    (["dpo", "--base", "m", "--data", "{sft}"], "sft.jsonl:1:", "looks like SFT data"),
    (["sft", "--base", "m", "--data", "{sft}", "--strategy", "fsdp"], "needs CUDA GPUs", ""),
    (["sft", "--base", "m", "--data", "{sft}", "--data-format", "csv"], "--data-format", ""),
    (["sft", "--base", "m", "--data", "{sft}", "--overlong", "cut"], "unknown --overlong", ""),
    (
        ["sft", "--base", "m", "--data", "{sft}", "--data-format", "alpaca"],
        "sft.jsonl:1: missing 'instruction'",
        "looks like codesteer JSONL data",
    ),
    (["sft", "--base", "m", "--data", "{info}"], "LLaMA-Factory dataset_info.json", "sft.json"),
    (["sft", "--config", "{yaml}", "--base", "m", "--data", "{sft}"], "unknown option", ""),
    (["sft", "--data", "{sft}"], "--base is required", ""),
    (["sft", "--base", "{dir}/no-model", "--data", "{sft}"], "does not exist", ""),
    (["merge", "--adapter", "{dir}", "--out", "{dir}/m"], "not a LoRA adapter folder", ""),
    (["show", "nope"], "no run 'nope'", ""),
]


@pytest.mark.parametrize("args, message, also", CASES)
def test_one_line_errors(files: dict[str, Path], args: list[str], message: str, also: str):
    import importlib.util

    if "deepspeed" in message and importlib.util.find_spec("deepspeed") is not None:
        pytest.skip("deepspeed is installed here")
    if "CUDA" in message:
        import torch

        if torch.cuda.is_available():
            pytest.skip("this machine has CUDA")
    argv = [a.format(**files) for a in args]
    r = run_cli("train", *argv, db=files["dir"] / "s.db")
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert message in lines[0] and also in lines[0]
    assert not (files["dir"] / "train-out").exists()
