"""What `train sft` and `train dpo` share once their trainer is built: the training
arguments common to TRL's SFTConfig and DPOConfig, the run itself (resuming if asked), the
saved outputs and the run's summary. Each `*_trainer.py` loads its data and builds its TRL
trainer into a `Prepared`; `run_prepared` does the rest.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codesteer_cli.training.modeling import Precision, rank_info

if TYPE_CHECKING:
    from codesteer_cli.training.config import TrainOptions
    from codesteer_cli.training.data import TokenStats
    from codesteer_cli.training.run_context import RunContext

SUMMARY_FILE = "codesteer_training.json"


def common_args(
    opts: TrainOptions,
    out_dir: Path,
    precision: Precision,
    checkpointing: bool,
    has_eval: bool,
) -> dict[str, Any]:
    """TrainingArguments shared by SFTConfig and DPOConfig."""
    from codesteer_cli.context import settings

    verbose = settings.verbose or os.environ.get("CODESTEER_VERBOSE") == "1"
    micro, accumulation = opts.batch_layout(precision.device)
    args: dict[str, Any] = {
        "output_dir": str(out_dir),
        "num_train_epochs": opts.epochs,
        "max_steps": opts.max_steps,
        "learning_rate": opts.lr,
        "per_device_train_batch_size": micro,
        "per_device_eval_batch_size": micro,
        "gradient_accumulation_steps": accumulation,
        "lr_scheduler_type": opts.scheduler,
        "warmup_steps": opts.warmup_ratio,  # < 1: a fraction of the training steps
        "weight_decay": opts.weight_decay,
        "max_grad_norm": opts.max_grad_norm,
        "max_length": opts.max_length,
        "bf16": precision.bf16,
        "fp16": precision.fp16,
        "use_cpu": precision.device == "cpu",
        "gradient_checkpointing": checkpointing,
        "logging_steps": opts.logging_steps,
        "logging_first_step": True,
        "save_strategy": "steps",
        "save_steps": opts.save_steps,
        "save_total_limit": opts.save_total_limit,
        "seed": opts.seed,
        "data_seed": opts.seed,
        "report_to": "none",
        "disable_tqdm": True,
        "ddp_find_unused_parameters": False,
        "dataloader_num_workers": 0,
        "use_liger_kernel": False,
        "log_level": "warning" if verbose else "error",
        "log_level_replica": "warning" if verbose else "error",
    }
    if has_eval:
        if opts.eval_steps:
            args.update(eval_strategy="steps", eval_steps=opts.eval_steps)
        else:
            args.update(eval_strategy="epoch")
    return args


def set_checkpointing(args: Any, on: bool) -> None:
    """Switch gradient (activation) checkpointing on the built arguments: decided after
    the model is loaded (its size), while the arguments must exist before the load."""
    args.gradient_checkpointing = on  # the name TRL reads
    if hasattr(args, "activation_checkpointing"):  # the name transformers >= 5.2x reads
        args.activation_checkpointing = on


def announce(ctx: RunContext, what: str) -> None:
    """One line per process, so a log shows every rank that ran."""
    import sys

    rank, _, world = rank_info()
    print(f"[rank {rank}/{world}] {what}", file=sys.stderr, flush=True)


def finish_outputs(
    trainer: Any,
    out_dir: Path,
    summary: dict[str, Any],
) -> None:
    """Final weights (or adapter) + tokenizer with its original template, and a summary."""
    trainer.save_model(str(out_dir))
    if trainer.is_world_process_zero():
        ref = out_dir / "ref"
        if (ref / "adapter_config.json").is_file():  # TRL's frozen reference adapter copy
            import shutil

            shutil.rmtree(ref, ignore_errors=True)
        (out_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2, default=str) + "\n")


@dataclass
class Prepared:
    """A trainer ready to run, with what the summary reports."""

    kind: str
    trainer: Any
    details: dict[str, Any]
    stats: TokenStats
    eval_stats: TokenStats | None
    live: Any
    started: float


def run_prepared(prep: Prepared, opts: TrainOptions, ctx: RunContext) -> dict[str, Any]:
    """Train (resuming if asked), then save the outputs and return the run's summary."""
    trainer = prep.trainer
    ctx.record_config(prep.details)
    output = trainer.train(resume_from_checkpoint=ctx.resume_from)
    summary = build_summary(prep.kind, opts, prep.details, output, prep.live, prep.started)
    summary["data"] = prep.stats.as_dict()
    if prep.eval_stats is not None:
        summary["eval_data"] = prep.eval_stats.as_dict()
    summary["trainable_parameters"] = sum(
        p.numel() for p in trainer.model.parameters() if p.requires_grad
    )
    finish_outputs(trainer, ctx.out_dir, summary)
    return summary


def build_summary(
    kind: str,
    opts: TrainOptions,
    details: dict[str, Any],
    output: Any,
    live: Any,
    started: float,
) -> dict[str, Any]:
    train_losses = [
        r["loss"] for r in live.history if r["split"] == "train" and r["loss"] is not None
    ]
    eval_losses = [
        r["loss"] for r in live.history if r["split"] == "eval" and r["loss"] is not None
    ]
    rates = [r["tokens_per_s"] for r in live.history if r.get("tokens_per_s")]
    final = live.final
    summary: dict[str, Any] = {
        "kind": kind,
        "steps": int(output.global_step),
        "training_loss": float(output.training_loss),
        "first_loss": train_losses[0] if train_losses else None,
        "last_loss": train_losses[-1] if train_losses else None,
        "last_eval_loss": eval_losses[-1] if eval_losses else None,
        "train_runtime_s": final.get("train_runtime"),
        "train_samples_per_s": final.get("train_samples_per_second"),
        "tokens_per_s": sum(rates) / len(rates) if rates else None,
        "wall_s": round(time.monotonic() - started, 2),
        "adapter": opts.lora,
        **details,
    }
    last = next((r["logs"] for r in reversed(live.history) if r["split"] == "train"), {})
    for key in ("rewards/margins", "rewards/accuracies", "rewards/chosen", "rewards/rejected"):
        if key in last:
            summary[key.replace("/", "_")] = last[key]
    return summary
