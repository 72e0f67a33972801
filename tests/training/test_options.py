"""Options: paper defaults < YAML file < flags; refusals; the generated accelerate configs."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesteer_cli.errors import UserError
from codesteer_cli.training.dpo_config import DPOOptions
from codesteer_cli.training.launch import accelerate_config, check_strategy, prepare_out_dir
from codesteer_cli.training.sft_config import SFTOptions

REQ = {"base": "m", "data": "d.jsonl"}


def test_paper_defaults() -> None:
    sft, dpo = SFTOptions(**REQ), DPOOptions(**REQ)
    assert (sft.epochs, sft.lr, sft.batch_size, sft.max_length, sft.lora) == (
        10,
        1e-5,
        4,
        8192,
        False,
    )
    assert (dpo.epochs, dpo.lr, dpo.beta, dpo.loss_type) == (6, 5e-6, 0.1, "sigmoid")
    assert sft.train_on == "last"


def test_yaml_then_flags(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("base: m\ndata: d.jsonl\nepochs: 3\nbatch-size: 8\nlr: 2e-5\nlora: true\n")
    opts = SFTOptions.build(cfg, {"lr": 1e-4, "epochs": None})
    assert (opts.epochs, opts.batch_size, opts.lr, opts.lora) == (3.0, 8, 1e-4, True)


@pytest.mark.parametrize(
    "text, message",
    [
        ("epochs: [1]\n", "epochs must be float"),
        ("batch_size: 2.5\n", "batch_size must be int"),
        ("beta: 0.2\n", "unknown option 'beta' for train sft"),
        ("- a\n", "expected a mapping"),
        ("a: [\n", "not valid YAML"),
    ],
)
def test_bad_yaml(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    with pytest.raises(UserError, match=message.replace("[", r"\[")):
        SFTOptions.build(cfg, REQ)


@pytest.mark.parametrize(
    "flags, message",
    [
        ({"packing": True}, "--packing is refused"),
        ({"liger_kernel": True}, "--liger-kernel is refused"),
        ({"strategy": "horovod"}, "unknown --strategy 'horovod'"),
        ({"train_on": "first"}, "unknown --train-on"),
        ({"batch_size": 4, "gpus": 3}, "not a multiple of the 3 processes"),
        ({"batch_size": 4, "micro_batch_size": 3}, "does not divide"),
        ({"num_machines": 2}, "needs --main-process-ip"),
        ({"resume": True, "overwrite": True}, "contradict"),
        ({"device": "cpu", "precision": "bf16"}, "needs a GPU"),
    ],
)
def test_refused_options(flags: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        SFTOptions.build(None, {**REQ, **flags})


def test_batch_layout_keeps_the_global_batch() -> None:
    assert SFTOptions(**REQ, batch_size=4).batch_layout() == (4, 1)
    assert SFTOptions(**REQ, batch_size=4, gpus=2).batch_layout() == (2, 1)
    assert SFTOptions(**REQ, batch_size=8, gpus=2, micro_batch_size=1).batch_layout() == (1, 4)
    # on CPU one example per forward pass unless asked: no padding to compute
    assert SFTOptions(**REQ, batch_size=4).batch_layout("cpu") == (1, 4)
    assert SFTOptions(**REQ, batch_size=4, gpus=2).batch_layout("cpu") == (1, 2)
    assert SFTOptions(**REQ, batch_size=4, micro_batch_size=2).batch_layout("cpu") == (2, 2)
    assert SFTOptions(**REQ, batch_size=4).batch_layout("cuda") == (4, 1)


def test_accelerate_configs_per_strategy() -> None:
    ddp = accelerate_config(SFTOptions(**REQ, gpus=4), "bf16")
    assert ddp["distributed_type"] == "MULTI_GPU" and ddp["num_processes"] == 4
    assert ddp["mixed_precision"] == "bf16" and ddp["num_machines"] == 1
    fsdp = accelerate_config(SFTOptions(**REQ, gpus=4, strategy="fsdp"))
    assert fsdp["distributed_type"] == "FSDP"
    assert fsdp["fsdp_config"]["fsdp_version"] == 2
    assert fsdp["fsdp_config"]["fsdp_state_dict_type"] == "FULL_STATE_DICT"
    ds = accelerate_config(SFTOptions(**REQ, gpus=4, strategy="deepspeed-zero3"), "bf16")
    assert ds["distributed_type"] == "DEEPSPEED"
    assert ds["deepspeed_config"]["zero_stage"] == 3
    assert ds["deepspeed_config"]["zero3_save_16bit_model"] is True
    nodes = accelerate_config(
        SFTOptions(**REQ, gpus=8, num_machines=2, machine_rank=1, main_process_ip="10.0.0.1")
    )
    assert nodes["num_processes"] == 16 and nodes["machine_rank"] == 1
    assert nodes["main_process_ip"] == "10.0.0.1" and nodes["main_process_port"] == 29500


def test_deepspeed_missing_is_a_clear_error() -> None:
    import importlib.util

    if importlib.util.find_spec("deepspeed") is not None:
        pytest.skip("deepspeed is installed here")
    with pytest.raises(UserError, match="needs the deepspeed package"):
        check_strategy(SFTOptions(**REQ, gpus=2, strategy="deepspeed-zero3"))


def test_out_dir_rules(tmp_path: Path) -> None:
    out = tmp_path / "o"
    assert prepare_out_dir(SFTOptions(**REQ, out=str(out)), "r") == (out, None)
    with pytest.raises(UserError, match="no checkpoint"):
        prepare_out_dir(SFTOptions(**REQ, out=str(out), resume=True), "r")
    (out / "checkpoint-2").mkdir(parents=True)
    (out / "checkpoint-2" / "trainer_state.json").write_text("{}")
    (out / "checkpoint-10").mkdir()
    (out / "checkpoint-10" / "trainer_state.json").write_text("{}")
    (out / "checkpoint-12").mkdir()  # cut short: no trainer_state.json
    _, ckpt = prepare_out_dir(SFTOptions(**REQ, out=str(out), resume=True), "r")
    assert ckpt == str(out / "checkpoint-10")
    with pytest.raises(UserError, match="already holds a training output"):
        prepare_out_dir(SFTOptions(**REQ, out=str(out)), "r")
    with pytest.raises(UserError, match="--resume needs --out"):
        prepare_out_dir(SFTOptions(**REQ, resume=True), "r")
