"""`train sft`: supervised fine-tuning of a guide on the guide turns of kept trajectories.

Runs in every training process (one, or each rank under `accelerate launch`). The data is
tokenized here with the training template (see `templates.py`): `input_ids` and `labels`
(-100 outside the trained guide turns) go to TRL's SFTTrainer as a pre-tokenized dataset,
so TRL neither re-renders nor re-masks anything. No packing, no Liger kernel.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from codesteer_cli.errors import UserError
from codesteer_cli.training.modeling import (
    count_parameters,
    load_model,
    load_tokenizer,
    lora_config,
    pick_precision,
    quiet_libraries,
    resolve_base,
    use_checkpointing,
)
from codesteer_cli.training.pipeline import (
    Prepared,
    announce,
    common_args,
    run_prepared,
    set_checkpointing,
)

if TYPE_CHECKING:
    from codesteer_cli.training.data import TokenStats
    from codesteer_cli.training.run_context import RunContext
    from codesteer_cli.training.sft_config import SFTOptions


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


def train_sft(opts: SFTOptions, ctx: RunContext) -> dict[str, Any]:
    return run_prepared(prepare_sft(opts, ctx), opts, ctx)


def prepare_sft(opts: SFTOptions, ctx: RunContext) -> Prepared:
    """Load, tokenize and build the SFT trainer (without training)."""
    from datasets import Dataset
    from trl import SFTConfig

    from codesteer_cli.training.data import read_sft, tokenize_sft
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

    def tokenized(path: str) -> tuple[list[dict[str, list[int]]], TokenStats, str]:
        examples, fmt = read_sft(path, opts.data_format)
        rows, stats = tokenize_sft(
            examples, tokenizer, template, opts.train_on, opts.max_length, path, opts.overlong
        )
        return rows, stats, fmt

    train_rows, train_stats, data_format = tokenized(opts.data)
    eval_rows = None
    eval_stats = None
    if opts.eval_data:
        eval_rows, eval_stats, _ = tokenized(opts.eval_data)
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
        "data_format": data_format,
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
