"""LoRA: SFT to an adapter, merge to a plain folder, DPO with the adapter disabled as the
reference, DPO continuing an SFT adapter, and full DPO against a frozen copy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.training.test_train_e2e import generates, run_row

pytestmark = pytest.mark.slow


def test_lora_sft_merge_and_dpo(train_cli, tiny_model_dir, sft_file, dpo_file, tmp_path, db_path):
    import torch
    from peft import AutoPeftModelForCausalLM
    from transformers import AutoModelForCausalLM

    adapter = tmp_path / "lora"
    train_cli(
        "train", "sft", "--base", tiny_model_dir, "--data", sft_file, "--out", adapter,
        "--lora", "--lora-r", "8", "--max-steps", "3", "--lr", "1e-2", "--name", "sft-lora",
    )  # fmt: skip
    assert (adapter / "adapter_config.json").is_file()
    assert not (adapter / "model.safetensors").exists()
    base_named = json.loads((adapter / "adapter_config.json").read_text())
    assert Path(base_named["base_model_name_or_path"]) == tiny_model_dir.resolve()
    summary = run_row(db_path, "sft-lora")["summary"]
    assert summary["adapter"] is True
    assert summary["trainable_parameters"] < summary["parameters"] / 10
    peft_model = AutoPeftModelForCausalLM.from_pretrained(adapter).eval()

    merged = tmp_path / "merged"
    out = train_cli("train", "merge", "--adapter", adapter, "--out", merged).output
    assert "merged" in out
    plain = AutoModelForCausalLM.from_pretrained(merged).eval()
    ids = torch.tensor([[1, 520, 9531, 198, 104, 2]])
    with torch.no_grad():
        assert torch.allclose(peft_model(ids).logits, plain(ids).logits, atol=1e-4)
    generates(merged)

    # LoRA DPO on a full model: the reference is the model with the adapter disabled
    dpo_lora = tmp_path / "dpo-lora"
    train_cli(
        "train", "dpo", "--base", merged, "--data", dpo_file, "--out", dpo_lora, "--lora",
        "--epochs", "1", "--lr", "1e-2", "--warmup-ratio", "0", "--name", "dpo-lora",
    )  # fmt: skip
    run = run_row(db_path, "dpo-lora")
    assert run["summary"]["reference"].endswith("adapter disabled")
    assert json.loads(run["metrics"][0]["logs"])["rewards/margins"] == pytest.approx(0, abs=1e-6)
    assert (dpo_lora / "adapter_config.json").is_file()
    AutoPeftModelForCausalLM.from_pretrained(dpo_lora)

    # LoRA DPO on the SFT adapter: the adapter keeps training against a frozen copy of it
    dpo_cont = tmp_path / "dpo-cont"
    train_cli(
        "train", "dpo", "--base", adapter, "--data", dpo_file, "--out", dpo_cont, "--lora",
        "--epochs", "1", "--lr", "1e-2", "--warmup-ratio", "0", "--name", "dpo-cont",
    )  # fmt: skip
    run = run_row(db_path, "dpo-cont")
    assert run["summary"]["reference"] == "frozen copy of the SFT adapter"
    assert json.loads(run["metrics"][0]["logs"])["rewards/margins"] == pytest.approx(0, abs=1e-6)
    assert not (dpo_cont / "ref").exists()  # TRL's reference adapter is not shipped
    generates_adapter = AutoPeftModelForCausalLM.from_pretrained(dpo_cont)
    assert generates_adapter is not None


def test_dpo_references(tiny_model_dir, dpo_file, tmp_path) -> None:
    """Full DPO keeps a frozen copy; LoRA DPO keeps none (the adapter is switched off)."""
    from peft import PeftModel

    from codesteer_cli.training.dpo_config import DPOOptions
    from codesteer_cli.training.dpo_trainer import prepare_dpo
    from codesteer_cli.training.run_context import RunContext

    full = prepare_dpo(
        DPOOptions(base=str(tiny_model_dir), data=str(dpo_file)),
        RunContext("dpo", tmp_path / "full"),
    ).trainer
    assert full.ref_model is not None and full.ref_model is not full.model
    assert not any(p.requires_grad for p in full.ref_model.parameters())
    for (n, a), (_, b) in zip(
        full.model.named_parameters(), full.ref_model.named_parameters(), strict=True
    ):
        assert a.data_ptr() != b.data_ptr(), n
        assert (a == b).all(), n
    lora = prepare_dpo(
        DPOOptions(base=str(tiny_model_dir), data=str(dpo_file), lora=True),
        RunContext("dpo", tmp_path / "lora"),
    ).trainer
    assert lora.ref_model is None and isinstance(lora.model, PeftModel)
