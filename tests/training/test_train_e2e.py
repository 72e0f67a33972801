"""End to end on CPU with a tiny random Llama: `train sft` → `train dpo` → a causal LM
that loads and generates; the run, its resolved config and per-step metrics in the store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.training.conftest import masked_loss

pytestmark = pytest.mark.slow


def generates(folder: Path) -> str:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder)
    inputs = tok.apply_chat_template(
        [{"role": "user", "content": "What is 37 * 41?"}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    out = model.generate(**inputs, max_new_tokens=6, do_sample=False)
    assert out.shape[1] > inputs["input_ids"].shape[1]
    return tok.decode(out[0, inputs["input_ids"].shape[1] :])


def run_row(db: Path, name: str) -> dict:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    row = dict(con.execute("select * from runs where name = ?", (name,)).fetchone())
    row["config"] = json.loads(row["config"])
    row["summary"] = json.loads(row["summary"]) if row["summary"] else None
    row["metrics"] = [
        dict(r)
        for r in con.execute(
            "select * from training_metrics where run_id = ? order by step", (row["id"],)
        )
    ]
    return row


def test_sft_then_dpo_full(
    train_cli, tiny_model_dir, smol_tokenizer, sft_file, dpo_file, tmp_path, db_path
) -> None:
    cfg = tmp_path / "sft.yaml"
    cfg.write_text("epochs: 3\nlr: 0.5\nsave-steps: 100\nwarmup-ratio: 0.0\n")
    sft_out = tmp_path / "sft"
    before = masked_loss(tiny_model_dir, sft_file)
    train_cli(
        "train", "sft", "--config", cfg, "--base", tiny_model_dir, "--data", sft_file,
        "--out", sft_out, "--lr", "1e-3", "--name", "sft-e2e", "--eval-data", sft_file,
    )  # fmt: skip
    after = masked_loss(sft_out, sft_file)
    assert after < before - 0.5, (before, after)

    run = run_row(db_path, "sft-e2e")
    assert run["kind"] == "train-sft" and run["status"] == "finished"
    cfg_stored = run["config"]
    assert cfg_stored["lr"] == 1e-3  # the flag beats the YAML file
    assert cfg_stored["epochs"] == 3.0 and cfg_stored["warmup_ratio"] == 0.0  # from the YAML
    assert cfg_stored["resolved"]["template"] == "chatml"
    assert cfg_stored["resolved"]["world_size"] == 1
    assert cfg_stored["resolved"]["precision"] == "fp32"
    assert cfg_stored["resolved"]["gradient_checkpointing_on"] is False
    steps = run["summary"]["steps"]
    assert steps == 15  # 20 examples, batch 4, 3 epochs
    train_rows = [m for m in run["metrics"] if m["split"] == "train"]
    assert [m["step"] for m in train_rows] == list(range(1, steps + 1))
    assert all(m["loss"] is not None and m["learning_rate"] is not None for m in train_rows)
    assert all(m["tokens_per_s"] and m["tokens_per_s"] > 0 for m in train_rows)
    assert train_rows[-1]["loss"] < train_rows[0]["loss"]
    evals = [m["loss"] for m in run["metrics"] if m["split"] == "eval"]
    assert len(evals) == 3 and evals[0] > evals[1] > evals[2]  # once per epoch

    # a plain HF folder with the original chat template
    assert (sft_out / "model.safetensors").is_file()
    from transformers import AutoTokenizer

    assert AutoTokenizer.from_pretrained(sft_out).chat_template == smol_tokenizer.chat_template
    generates(sft_out)

    dpo_out = tmp_path / "dpo"
    train_cli(
        "train", "dpo", "--base", sft_out, "--data", dpo_file, "--out", dpo_out,
        "--epochs", "1", "--lr", "1e-3", "--batch-size", "2", "--warmup-ratio", "0",
        "--name", "dpo-e2e",
    )  # fmt: skip
    dpo = run_row(db_path, "dpo-e2e")
    assert dpo["status"] == "finished" and dpo["summary"]["steps"] == 2
    assert dpo["config"]["beta"] == 0.1 and dpo["config"]["loss_type"] == "sigmoid"
    assert "frozen copy" in dpo["summary"]["reference"]
    assert dpo["summary"]["host"]["packages"]["trl"]  # the machine and libraries it ran on
    logs = [json.loads(m["logs"]) for m in dpo["metrics"]]
    # step 1 is scored before any update: policy == reference (the SFT model)
    assert logs[0]["rewards/margins"] == pytest.approx(0.0, abs=1e-6)
    assert logs[-1]["rewards/margins"] > 0 and logs[-1]["rewards/accuracies"] == 1.0
    assert AutoTokenizer.from_pretrained(dpo_out).chat_template == smol_tokenizer.chat_template
    generates(dpo_out)

    listed = train_cli("train", "list").output
    assert "sft-e2e" in listed and "dpo-e2e" in listed
    shown = train_cli("train", "show", "dpo-e2e").output
    assert "margin" in shown and "frozen copy" in shown
    as_json = json.loads(train_cli("train", "show", "sft-e2e", "--json").output)
    assert [m["split"] for m in as_json["metrics"]].count("train") == 15


def test_trl_keeps_our_labels(tiny_model_dir, sft_file, tmp_path) -> None:
    """TRL receives the pre-tokenized rows and trains on exactly our labels."""
    from codesteer_cli.training.data import load_sft, tokenize_sft
    from codesteer_cli.training.run_context import RunContext
    from codesteer_cli.training.sft_config import SFTOptions
    from codesteer_cli.training.sft_trainer import prepare_sft
    from codesteer_cli.training.templates import resolve_training_template

    for train_on in ("last", "all"):
        opts = SFTOptions(base=str(tiny_model_dir), data=str(sft_file), train_on=train_on)
        prep = prepare_sft(opts, RunContext("sft", tmp_path / train_on))
        got = sorted(map(tuple, prep.trainer.train_dataset["labels"]))
        tok = prep.trainer.processing_class
        rows, _ = tokenize_sft(
            load_sft(sft_file), tok, resolve_training_template(tok), train_on, 8192, "x"
        )
        assert got == sorted(tuple(r["labels"]) for r in rows)
        assert not prep.trainer.args.packing


def test_gradient_checkpointing_switch_reaches_the_model(tiny_model_dir, sft_file, tmp_path):
    from codesteer_cli.training.run_context import RunContext
    from codesteer_cli.training.sft_config import SFTOptions
    from codesteer_cli.training.sft_trainer import prepare_sft

    for mode, expected in (("on", True), ("auto", False)):  # auto: off below 1B parameters
        opts = SFTOptions(
            base=str(tiny_model_dir), data=str(sft_file), max_steps=1, gradient_checkpointing=mode
        )
        prep = prepare_sft(opts, RunContext("sft", tmp_path / mode))
        prep.trainer.train()
        model = prep.trainer.model
        assert model.is_gradient_checkpointing is expected
        assert prep.details["gradient_checkpointing_on"] is expected


def test_micro_batch_one_trains_like_the_whole_batch(tiny_model_dir, sft_file, tmp_path):
    """On CPU the default micro batch is 1 (no padding to pay for): with gradient
    accumulation the optimizer sees the loss and gradient of one padded batch of 4."""
    from codesteer_cli.training.run_context import RunContext
    from codesteer_cli.training.sft_config import SFTOptions
    from codesteer_cli.training.sft_trainer import prepare_sft

    runs = {}
    for micro in (4, None):
        opts = SFTOptions(
            base=str(tiny_model_dir), data=str(sft_file), max_steps=3, lr=1e-2,
            warmup_ratio=0.0, micro_batch_size=micro, device="cpu", seed=0,
        )  # fmt: skip
        prep = prepare_sft(opts, RunContext("sft", tmp_path / str(micro)))
        start = {k: v.detach().clone() for k, v in prep.trainer.model.state_dict().items()}
        prep.trainer.train()
        args = prep.trainer.args
        runs[micro] = (
            (args.per_device_train_batch_size, args.gradient_accumulation_steps),
            [h["loss"] for h in prep.live.history if "loss" in h],
            {k: v.detach().clone() for k, v in prep.trainer.model.state_dict().items()},
        )
    assert runs[4][0] == (4, 1) and runs[None][0] == (1, 4)
    assert len(runs[4][1]) == 3 and runs[None][1] == pytest.approx(runs[4][1], rel=1e-4)
    assert runs[4][1][-1] < runs[4][1][0]  # it trained: the comparison is not of two no-ops
    # Adam's step is about lr per weight whatever the gradient's size, so near-zero
    # gradients turn rounding into visible noise: compare against the update itself
    moved = max(float((runs[4][2][k] - start[k]).abs().max()) for k in start)
    drift = max(float((runs[4][2][k] - runs[None][2][k]).abs().max()) for k in start)
    assert moved > 1e-2 and drift < 0.02 * moved, (drift, moved)
