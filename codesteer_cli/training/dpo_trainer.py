"""`train dpo`: direct preference optimization of an SFT guide on scored guidance pairs.

Sigmoid loss (beta 0.1) by default. The pairs are tokenized here with the training
template (see `templates.py`): the prompt is the conversation up to the parent node plus
the generation prompt, and each answer is the guide turn's content plus its end-of-turn
token — exactly the span SFT trained. TRL's DPOTrainer receives these ids as they are.

The reference model is always the SFT model the run starts from:

- `--lora` on a full model: a new adapter; reference = the same model with the adapter
  disabled (no second copy in memory);
- `--lora` on a LoRA adapter (a LoRA SFT output): that adapter keeps training and TRL
  keeps a frozen copy of it as the reference adapter;
- `--full`: reference = a frozen copy of the starting weights (TRL loads it again from
  the base folder, or a copy of the merged model when the base is an adapter).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from codesteer_cli.training.modeling import (
    count_parameters,
    load_adapter,
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
    from codesteer_cli.training.dpo_config import DPOOptions
    from codesteer_cli.training.run_context import RunContext


def _trainer_class() -> type:
    from trl import DPOTrainer

    class GuideDPOTrainer(DPOTrainer):  # type: ignore[misc]
        """DPOTrainer that takes our pre-tokenized pairs as they are."""

        def _prepare_dataset(self, dataset, processing_class, args, dataset_name):  # type: ignore[no-untyped-def]
            columns = set(dataset.column_names or [])
            if {"prompt_ids", "chosen_ids", "rejected_ids"} <= columns:
                return dataset
            return super()._prepare_dataset(dataset, processing_class, args, dataset_name)

    return GuideDPOTrainer


def train_dpo(opts: DPOOptions, ctx: RunContext) -> dict[str, Any]:
    return run_prepared(prepare_dpo(opts, ctx), opts, ctx)


def prepare_dpo(opts: DPOOptions, ctx: RunContext) -> Prepared:
    """Load, tokenize and build the DPO trainer (without training)."""
    import copy

    from datasets import Dataset
    from trl import DPOConfig

    from codesteer_cli.training.data import read_dpo, tokenize_dpo
    from codesteer_cli.training.metrics import make_callbacks, quiet_trainer
    from codesteer_cli.training.templates import resolve_training_template

    quiet_libraries()
    started = time.monotonic()
    ref = resolve_base(opts.base)
    tokenizer = load_tokenizer(ref, opts.chat_template)
    template = resolve_training_template(tokenizer)

    def tokenized(path: str) -> tuple[list[dict[str, list[int]]], TokenStats, str]:
        pairs, fmt = read_dpo(path, opts.data_format)
        rows, stats = tokenize_dpo(pairs, tokenizer, template, opts.max_length, path, opts.overlong)
        return rows, stats, fmt

    train_rows, train_stats, data_format = tokenized(opts.data)
    eval_rows = eval_stats = None
    if opts.eval_data:
        eval_rows, eval_stats, _ = tokenized(opts.eval_data)
    precision = pick_precision(opts)
    args = DPOConfig(
        **common_args(opts, ctx.out_dir, precision, False, eval_rows is not None),
        beta=opts.beta,
        loss_type=[opts.loss_type],
        precompute_ref_log_probs=False,
        dataset_num_proc=None,
    )
    # The adapter's own base loads in the compute dtype when only an adapter trains.
    model = load_model(ref.base, precision.weights_dtype(opts.lora))
    ref_model = None
    peft_config = None
    if ref.adapter and opts.lora:
        model = load_adapter(model, ref.adapter, trainable=True)
        reference = "frozen copy of the SFT adapter"
    elif ref.adapter:
        model = load_adapter(model, ref.adapter, trainable=False).merge_and_unload()
        ref_model = copy.deepcopy(model)
        reference = "frozen copy of the SFT model (adapter merged)"
    elif opts.lora:
        peft_config = lora_config(opts)
        reference = "SFT model = policy with the adapter disabled"
    else:
        reference = "frozen copy of the SFT model"  # TRL loads it from ref.base
    if ref_model is not None:
        ref_model.eval()
        for p in ref_model.parameters():
            p.requires_grad_(False)
    n_params = count_parameters(model)
    checkpointing = use_checkpointing(opts, n_params)
    set_checkpointing(args, checkpointing)
    announce(
        ctx,
        f"train dpo: {len(train_rows)} pairs, {precision.device} {precision.name}, "
        f"{n_params / 1e6:.1f}M parameters, reference: {reference}",
    )
    trainer = _trainer_class()(
        model=model,
        ref_model=ref_model,
        args=args,
        train_dataset=Dataset.from_list(train_rows),
        eval_dataset=Dataset.from_list(eval_rows) if eval_rows else None,
        processing_class=tokenizer,
        peft_config=peft_config,
    )
    if trainer.ref_model is not None:  # never trained; make that explicit
        for p in trainer.ref_model.parameters():
            p.requires_grad_(False)
    quiet_trainer(trainer)
    callbacks = make_callbacks(ctx.store, ctx.run_id, "dpo")
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
        "reference": reference,
        "out": str(ctx.out_dir),
    }
    return Prepared("dpo", trainer, details, train_stats, eval_stats, callbacks[0], started)
