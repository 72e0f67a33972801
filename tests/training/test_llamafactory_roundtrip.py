"""A LLaMA-Factory export round-trips: `synthesize export --format llamafactory` (alpaca
with history, sharegpt ranking) → `train sft` / `train dpo` on a tiny random Llama →
the same token ids, loss masks, pairs and losses as from our own JSONL export of the same
runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codesteer_cli.sandbox.executor import Executor, Limits
from codesteer_cli.synthesis.export import export
from tests.synthesis.helpers import FAST_WRONG_TREE, AnswerBook, grow, new_store, synthesize
from tests.training.test_train_e2e import run_row

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One SFT and one DPO synthesis run, exported both ways (no validation split)."""
    root = tmp_path_factory.mktemp("roundtrip")
    store = new_store(root / "synth.db")
    executor = Executor(Limits(wall_s=10), workers=2)
    synthesize(store, executor, AnswerBook(), name="sft-1", per_task=2)
    grow(store, executor, FAST_WRONG_TREE, per_task=2)
    ours = export(store, root / "trl" / "sft.jsonl", root / "trl" / "pairs.jsonl", "trl", 0)
    lf = export(
        store, root / "lf" / "CodeSteer_SFT.json", root / "lf" / "CodeSteer_DPO.json",
        "llamafactory", 0,
    )  # fmt: skip
    assert ours.sft and lf.sft and ours.dpo and lf.dpo
    assert lf.dataset_info is not None and lf.sft.rows == ours.sft.rows > 0
    info = json.loads(lf.dataset_info.read_text())
    return {
        "sft.jsonl": ours.sft.path,
        "pairs.jsonl": ours.dpo.path,
        "alpaca": lf.dataset_info.parent / info["CodeSteer_SFT"]["file_name"],
        "sharegpt": lf.dataset_info.parent / info["CodeSteer_DPO"]["file_name"],
    }


def _columns(dataset: Any, names: tuple[str, ...]) -> list[tuple[list[int], ...]]:
    return list(zip(*(dataset[n] for n in names), strict=True))


@pytest.mark.parametrize("train_on", ["last", "all"])
def test_sft_trains_on_the_same_ids_and_masks(
    exported: dict[str, Path], tiny_model_dir: Path, tmp_path: Path, train_on: str
) -> None:
    from codesteer_cli.training.run_context import RunContext
    from codesteer_cli.training.sft_config import SFTOptions
    from codesteer_cli.training.sft_trainer import prepare_sft

    got = {}
    for key in ("sft.jsonl", "alpaca"):
        opts = SFTOptions(base=str(tiny_model_dir), data=str(exported[key]), train_on=train_on)
        prep = prepare_sft(opts, RunContext("sft", tmp_path / key))
        assert prep.details["data_format"] == ("jsonl" if key == "sft.jsonl" else "alpaca")
        got[key] = (_columns(prep.trainer.train_dataset, ("input_ids", "labels")), prep.stats)
    ours, theirs = got["sft.jsonl"], got["alpaca"]
    assert theirs[0] == ours[0]  # every example's token ids and labels, in order
    assert theirs[1].as_dict() == ours[1].as_dict()
    trained = [sum(x != -100 for x in labels) for _, labels in ours[0]]
    assert all(n > 0 for n in trained)
    if train_on == "all":  # examples holding earlier guide turns train more than one span
        spans = [
            sum(1 for i, x in enumerate(lab) if x != -100 and (i == 0 or lab[i - 1] == -100))
            for _, lab in ours[0]
        ]
        assert max(spans) > 1


def test_dpo_trains_on_the_same_pairs(
    exported: dict[str, Path], tiny_model_dir: Path, tmp_path: Path
) -> None:
    from codesteer_cli.training.dpo_config import DPOOptions
    from codesteer_cli.training.dpo_trainer import prepare_dpo
    from codesteer_cli.training.run_context import RunContext

    names = ("prompt_ids", "chosen_ids", "rejected_ids")
    got = {}
    for key in ("pairs.jsonl", "sharegpt"):
        opts = DPOOptions(base=str(tiny_model_dir), data=str(exported[key]), lora=True)
        prep = prepare_dpo(opts, RunContext("dpo", tmp_path / key))
        got[key] = _columns(prep.trainer.train_dataset, names)
    assert got["sharegpt"] == got["pairs.jsonl"] and len(got["sharegpt"]) > 0


def test_train_commands_on_llamafactory_files_match_our_jsonl(
    exported: dict[str, Path], train_cli: Any, tiny_model_dir: Path, tmp_path: Path, db_path: Path
) -> None:
    """The whole commands: the same losses step by step, and the same DPO rewards."""
    common = ["--epochs", "1", "--max-steps", "2", "--lr", "1e-3", "--warmup-ratio", "0"]
    runs = {}
    for key, fmt in (("sft.jsonl", "jsonl"), ("alpaca", "alpaca")):
        name = f"sft-{fmt}"
        train_cli(
            "train", "sft", "--base", tiny_model_dir, "--data", exported[key],
            "--data-format", "auto" if fmt == "alpaca" else fmt, "--train-on", "all",
            "--out", tmp_path / name, "--name", name, *common,
        )  # fmt: skip
        runs[fmt] = run_row(db_path, name)
    a, b = runs["jsonl"], runs["alpaca"]
    assert b["config"]["resolved"]["data_format"] == "alpaca"
    assert b["config"]["train_on"] == "all" and b["summary"]["data"] == a["summary"]["data"]
    losses = {
        k: [m["loss"] for m in r["metrics"] if m["split"] == "train"] for k, r in runs.items()
    }
    assert len(losses["alpaca"]) == 2
    assert losses["alpaca"] == pytest.approx(losses["jsonl"], rel=1e-5)

    dpo = {}
    for key, fmt in (("pairs.jsonl", "jsonl"), ("sharegpt", "sharegpt")):
        name = f"dpo-{fmt}"
        train_cli(
            "train", "dpo", "--base", tmp_path / "sft-jsonl", "--data", exported[key],
            "--out", tmp_path / name, "--name", name, "--batch-size", "2", *common,
        )  # fmt: skip
        dpo[fmt] = run_row(db_path, name)
    assert dpo["sharegpt"]["config"]["resolved"]["data_format"] == "sharegpt"
    assert dpo["sharegpt"]["summary"]["data"] == dpo["jsonl"]["summary"]["data"]
    logs = {k: [json.loads(m["logs"]) for m in r["metrics"]] for k, r in dpo.items()}
    for key in ("loss", "rewards/margins", "rewards/chosen"):
        ours = [x[key] for x in logs["jsonl"] if key in x]
        assert ours and [x[key] for x in logs["sharegpt"] if key in x] == pytest.approx(
            ours, rel=1e-5, abs=1e-7
        )
