"""`train sft`: supervised fine-tuning of a guide on the guide turns of kept trajectories.

Runs in every training process (one, or each rank under `accelerate launch`). The data is
tokenized here with the training template (see `templates.py`): `input_ids` and `labels`
(-100 outside the trained guide turns) go to TRL's SFTTrainer as a pre-tokenized dataset,
so TRL neither re-renders nor re-masks anything. No packing, no Liger kernel.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codesteer_cli.errors import UserError
from codesteer_cli.training.modeling import (
    Precision,
    count_parameters,
    load_model,
    load_tokenizer,
    lora_config,
    pick_precision,
    quiet_libraries,
    rank_info,
    resolve_base,
    use_checkpointing,
)

if TYPE_CHECKING:
    from codesteer_cli.training.data import TokenStats
    from codesteer_cli.training.launch import RunContext
    from codesteer_cli.training.sft_config import SFTOptions, TrainOptions

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
    micro, accumulation = opts.batch_layout()
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


def masked_lm_loss(
    model: Any, inputs: dict[str, Any], num_items_in_batch: Any
) -> tuple[Any, Any, Any, Any]:
    """(loss, logits, valid, correct): the causal-LM loss with the LM head applied only at
    the positions whose next token is trained.

    TRL's fused LM head scores every position when Triton is missing (CPU), which costs
    a full [tokens, vocab] pass twice per step; the guide turns are a small part of each
    conversation, so projecting only them is several times faster on CPU."""
    import torch
    import torch.nn.functional as F

    labels = inputs["labels"]
    keep = torch.zeros_like(labels, dtype=torch.bool)
    keep[:, :-1] = labels[:, 1:] != -100
    targets = labels[:, 1:][keep[:, :-1]]
    out = model(
        input_ids=inputs["input_ids"],
        attention_mask=inputs.get("attention_mask"),
        use_cache=False,
        logits_to_keep=keep,
    )
    logits = out.logits
    if logits.dim() == 3:  # an architecture that ignores a boolean logits_to_keep
        logits = logits[keep] if logits.shape[1] == labels.shape[1] else logits.reshape(-1, 0)
    if logits.shape[0] != targets.shape[0]:
        raise RuntimeError("the model did not honour logits_to_keep; cannot mask the LM head")
    loss_sum = F.cross_entropy(logits.float(), targets, reduction="sum")
    valid = targets.numel()
    denom = num_items_in_batch if num_items_in_batch is not None else max(valid, 1)
    loss = loss_sum / denom
    correct = (logits.detach().argmax(-1) == targets).sum()
    return loss, logits, valid, correct


def _sft_trainer_class(masked_head: bool) -> type:
    from trl import SFTTrainer

    if not masked_head:
        return SFTTrainer

    class GuideSFTTrainer(SFTTrainer):  # type: ignore[misc]
        """SFTTrainer whose loss projects only the trained positions (see masked_lm_loss)."""

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):  # type: ignore[no-untyped-def]
            import torch

            mode = "train" if self.model.training else "eval"
            loss, logits, valid, correct = masked_lm_loss(model, inputs, num_items_in_batch)
            if self.args.average_tokens_across_devices and num_items_in_batch is not None:
                loss = loss * self.accelerator.num_processes
            dev = inputs["input_ids"].device
            counts = torch.tensor([float(valid), float(correct)], device=dev)
            counts = self.accelerator.gather_for_metrics(counts.unsqueeze(0)).sum(0)
            acc = (counts[1] / counts[0]).item() if counts[0] > 0 else 0.0
            self._metrics[mode]["mean_token_accuracy"].append(acc)
            if mode == "train":
                n = inputs["attention_mask"].sum() if "attention_mask" in inputs else None
                if n is None:
                    n = torch.tensor(inputs["input_ids"].numel(), device=dev)
                self._total_train_tokens += self.accelerator.gather_for_metrics(n).sum().item()
            self._metrics[mode]["num_tokens"] = [self._total_train_tokens]
            return (loss, {"logits": logits}) if return_outputs else loss

    return GuideSFTTrainer


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


def train_sft(opts: SFTOptions, ctx: RunContext) -> dict[str, Any]:
    return run_prepared(prepare_sft(opts, ctx), opts, ctx)


def prepare_sft(opts: SFTOptions, ctx: RunContext) -> Prepared:
    """Load, tokenize and build the SFT trainer (without training)."""
    from datasets import Dataset
    from trl import SFTConfig

    from codesteer_cli.training.data import load_sft, tokenize_sft
    from codesteer_cli.training.metrics import make_callbacks, quiet_trainer
    from codesteer_cli.training.templates import resolve_training_template

    quiet_libraries()
    started = time.monotonic()
    ref = resolve_base(opts.base)
    if ref.adapter:
        raise UserError(
            f"--base {opts.base} is a LoRA adapter; merge it first "
            f"(codesteer train merge --adapter {ref.adapter} --out DIR) and train from DIR"
        )
    tokenizer = load_tokenizer(ref, opts.chat_template)
    template = resolve_training_template(tokenizer)
    train_rows, train_stats = tokenize_sft(
        load_sft(opts.data), tokenizer, template, opts.train_on, opts.max_length, opts.data
    )
    eval_rows = None
    eval_stats = None
    if opts.eval_data:
        eval_rows, eval_stats = tokenize_sft(
            load_sft(opts.eval_data),
            tokenizer,
            template,
            opts.train_on,
            opts.max_length,
            opts.eval_data,
        )
    precision = pick_precision(opts)
    out_dir = ctx.out_dir
    # Arguments first: under DeepSpeed ZeRO-3 they make from_pretrained shard at load time.
    args = SFTConfig(
        **common_args(opts, out_dir, precision, False, eval_rows is not None),
        packing=False,
        assistant_only_loss=False,
        completion_only_loss=None,
        dataset_num_proc=None,
    )
    model = load_model(ref.base, precision.weights_dtype(opts.lora))
    n_params = count_parameters(model)
    checkpointing = use_checkpointing(opts, n_params)
    set_checkpointing(args, checkpointing)
    announce(
        ctx,
        f"train sft: {len(train_rows)} examples, {precision.device} {precision.name}, "
        f"{n_params / 1e6:.1f}M parameters",
    )
    trainer = _sft_trainer_class(masked_head=precision.device == "cpu")(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(train_rows),
        eval_dataset=Dataset.from_list(eval_rows) if eval_rows else None,
        processing_class=tokenizer,
        peft_config=lora_config(opts) if opts.lora else None,
    )
    quiet_trainer(trainer)
    callbacks = make_callbacks(ctx.store, ctx.run_id, "sft")
    for cb in callbacks:
        trainer.add_callback(cb)
    details = {
        "base_resolved": ref.as_dict(),
        "template": template.source,
        "precision": precision.name,
        "device": precision.device,
        "gradient_checkpointing_on": checkpointing,
        "parameters": n_params,
        "world_size": trainer.args.world_size,
        "micro_batch_size": args.per_device_train_batch_size,
        "gradient_accumulation_steps": args.gradient_accumulation_steps,
        "out": str(out_dir),
    }
    return Prepared("sft", trainer, details, train_stats, eval_stats, callbacks[0], started)


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
