"""`codesteer train`: fine-tune the guide (SFT, then DPO), merge LoRA, list and show runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from codesteer_cli.console import console, err

app = typer.Typer(
    short_help="Fine-tune a guide (SFT, DPO, LoRA merge) on one GPU, several, or the CPU.",
    help="Fine-tune a guide model: `train sft`, then `train dpo` on its output; "
    "`train merge` folds a LoRA adapter in; `train list` / `train show RUN`.\n\n"
    "Defaults follow the paper (full fine-tuning; SFT 10 epochs at lr 1e-5, DPO 6 epochs at "
    "lr 5e-6 with beta 0.1; batch size 4; 8192 tokens). Every option can also come from a "
    "YAML file (--config; keys are the option names); flags on the command line win. The "
    "loss covers only the guide's turns (content + end-of-turn token).\n\n"
    "Several GPUs: --gpus N re-launches under `accelerate launch` with a generated config "
    "for --strategy ddp | fsdp | deepspeed-zero3 (without CUDA, --gpus N simulates N "
    "processes on the CPU with gloo). Several machines: run the same command on each with "
    "--num-machines M --machine-rank R --main-process-ip IP_OF_RANK_0 "
    "[--main-process-port P]; --gpus is per machine.",
    no_args_is_help=True,
)

# --- options shared by sft and dpo --------------------------------------------------
_T = "Training"
_D = "Distributed"
Config = Annotated[
    Path | None,
    typer.Option("--config", help="YAML file of options; command-line flags override it."),
]
Base = Annotated[
    str | None,
    typer.Option(
        "--base",
        help="Model to start from: a HF folder or hub id, a LoRA adapter folder, or "
        "local:smollm2 (the embedded model).",
        show_default=False,
    ),
]
Data = Annotated[
    str | None,
    typer.Option(
        "--data",
        help="Training data: the JSONL of `synthesize export`, or LLaMA-Factory alpaca "
        "(with history) / sharegpt, as JSON lines or one JSON array.",
        show_default=False,
    ),
]
EvalData = Annotated[str | None, typer.Option("--eval-data", help="Validation data (same format).")]
DataFormat = Annotated[
    str | None,
    typer.Option(
        "--data-format",
        help="auto (read from the first example), jsonl (ours), alpaca or sharegpt "
        "(LLaMA-Factory's, as the original release's data).",
        show_default="auto",
    ),
]
Out = Annotated[
    str | None,
    typer.Option("--out", "-o", help="Output folder.", show_default="train-out/RUN-NAME"),
]
Name = Annotated[str | None, typer.Option("--name", help="Run name in the store.")]
BatchSize = Annotated[
    int | None,
    typer.Option(
        "--batch-size",
        help="Global batch: all processes and accumulation steps together.",
        show_default="4",
        rich_help_panel=_T,
    ),
]
MicroBatch = Annotated[
    int | None,
    typer.Option(
        "--micro-batch-size",
        help="Examples per process and forward pass (the rest is gradient accumulation); "
        "on CPU one per pass wastes no time on padding.",
        show_default="batch-size / processes on a GPU, 1 on CPU",
        rich_help_panel=_T,
    ),
]
MaxLength = Annotated[
    int | None,
    typer.Option(
        "--max-length",
        help="Longest example in tokens; see --overlong for longer ones.",
        show_default="8192",
        rich_help_panel=_T,
    ),
]
Overlong = Annotated[
    str | None,
    typer.Option(
        "--overlong",
        help="Examples over --max-length: drop (left out, counted) or truncate (cut to "
        "their first --max-length tokens, counted; one left with no trained token is "
        "dropped; DPO answers keep at least half the budget).",
        show_default="drop",
        rich_help_panel=_T,
    ),
]
MaxSteps = Annotated[
    int | None,
    typer.Option("--max-steps", help="Stop after this many optimizer steps.", rich_help_panel=_T),
]
Lora = Annotated[
    bool | None,
    typer.Option(
        "--lora/--full",
        help="Train a LoRA adapter, or all weights (the paper).",
        show_default="--full",
        rich_help_panel=_T,
    ),
]
LoraR = Annotated[
    int | None,
    typer.Option("--lora-r", help="LoRA rank.", show_default="16", rich_help_panel=_T),
]
LoraAlpha = Annotated[
    int | None,
    typer.Option("--lora-alpha", help="LoRA alpha.", show_default="32", rich_help_panel=_T),
]
LoraDropout = Annotated[
    float | None,
    typer.Option("--lora-dropout", help="LoRA dropout.", show_default="0.05", rich_help_panel=_T),
]
LoraTargets = Annotated[
    str | None,
    typer.Option(
        "--lora-targets",
        help="all-linear or a comma list of module names.",
        show_default="all-linear",
        rich_help_panel=_T,
    ),
]
ChatTemplate = Annotated[
    str | None,
    typer.Option(
        "--chat-template",
        help="Jinja file replacing the tokenizer's chat template (kept in the outputs).",
        rich_help_panel=_T,
    ),
]
SaveSteps = Annotated[
    int | None,
    typer.Option(
        "--save-steps", help="Checkpoint every N steps.", show_default="500", rich_help_panel=_T
    ),
]
SaveLimit = Annotated[
    int | None,
    typer.Option(
        "--save-total-limit",
        help="Checkpoints kept.",
        show_default="2",
        rich_help_panel=_T,
    ),
]
EvalSteps = Annotated[
    int | None,
    typer.Option(
        "--eval-steps",
        help="Evaluate every N steps.",
        show_default="once per epoch",
        rich_help_panel=_T,
    ),
]
LoggingSteps = Annotated[
    int | None,
    typer.Option(
        "--logging-steps", help="Log every N steps.", show_default="1", rich_help_panel=_T
    ),
]
Warmup = Annotated[
    float | None,
    typer.Option("--warmup-ratio", help="Warmup fraction.", show_default="0.1", rich_help_panel=_T),
]
Scheduler = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="cosine, linear, constant or constant_with_warmup.",
        show_default="cosine",
        rich_help_panel=_T,
    ),
]
WeightDecay = Annotated[
    float | None,
    typer.Option("--weight-decay", show_default="0.0", rich_help_panel=_T),
]
MaxGradNorm = Annotated[
    float | None,
    typer.Option("--max-grad-norm", show_default="1.0", rich_help_panel=_T),
]
Seed = Annotated[int | None, typer.Option("--seed", show_default="42", rich_help_panel=_T)]
PrecisionOpt = Annotated[
    str | None,
    typer.Option(
        "--precision",
        help="auto (bf16 on GPUs that support it, fp32 on CPU), bf16, fp16 or fp32.",
        show_default="auto",
        rich_help_panel=_T,
    ),
]
Checkpointing = Annotated[
    str | None,
    typer.Option(
        "--gradient-checkpointing",
        help="auto (on from 1B parameters), on or off.",
        show_default="auto",
        rich_help_panel=_T,
    ),
]
Device = Annotated[
    str | None,
    typer.Option("--device", help="auto, cpu or cuda.", show_default="auto", rich_help_panel=_T),
]
Resume = Annotated[
    bool | None,
    typer.Option(
        "--resume", help="Continue from the last checkpoint in --out.", rich_help_panel=_T
    ),
]
Overwrite = Annotated[
    bool | None,
    typer.Option(
        "--overwrite",
        help="Replace an earlier output in --out (its checkpoints are deleted).",
        rich_help_panel=_T,
    ),
]
Packing = Annotated[bool | None, typer.Option("--packing", hidden=True)]
Liger = Annotated[bool | None, typer.Option("--liger-kernel", hidden=True)]
Gpus = Annotated[
    int | None,
    typer.Option(
        "--gpus",
        help="Processes (GPUs) per machine; > 1 re-launches under accelerate.",
        show_default="1",
        rich_help_panel=_D,
    ),
]
Strategy = Annotated[
    str | None,
    typer.Option(
        "--strategy",
        help="ddp, fsdp or deepspeed-zero3 (needs the deepspeed package).",
        show_default="ddp",
        rich_help_panel=_D,
    ),
]
NumMachines = Annotated[
    int | None,
    typer.Option("--num-machines", help="Machines in all.", show_default="1", rich_help_panel=_D),
]
MachineRank = Annotated[
    int | None,
    typer.Option(
        "--machine-rank",
        help="This machine's rank (0 = main).",
        show_default="0",
        rich_help_panel=_D,
    ),
]
MainIp = Annotated[
    str | None,
    typer.Option(
        "--main-process-ip", help="Address of machine rank 0 (multi-node).", rich_help_panel=_D
    ),
]
MainPort = Annotated[
    int | None,
    typer.Option(
        "--main-process-port",
        help="Port on machine rank 0.",
        show_default="a free port; 29500 multi-node",
        rich_help_panel=_D,
    ),
]
NoStore = Annotated[bool, typer.Option("--no-store", help="Do not record the run in the store.")]


def _overrides(values: dict[str, Any]) -> dict[str, Any]:
    skip = {"config", "no_store"}
    return {k: v for k, v in values.items() if k not in skip and v is not None}


@app.command("sft")
def sft(
    config: Config = None,
    base: Base = None,
    data: Data = None,
    eval_data: EvalData = None,
    data_format: DataFormat = None,
    out: Out = None,
    name: Name = None,
    epochs: Annotated[
        float | None, typer.Option("--epochs", show_default="10", rich_help_panel=_T)
    ] = None,
    lr: Annotated[
        float | None,
        typer.Option("--lr", help="Learning rate.", show_default="1e-5", rich_help_panel=_T),
    ] = None,
    train_on: Annotated[
        str | None,
        typer.Option(
            "--train-on",
            help="last: only each example's final guide turn carries the loss (earlier ones "
            "are context, trained in their own examples, as `synthesize export` writes "
            "them); all: every guide turn, as LLaMA-Factory trains the original release's "
            "alpaca data with history.",
            show_default="last",
            rich_help_panel=_T,
        ),
    ] = None,
    batch_size: BatchSize = None,
    micro_batch_size: MicroBatch = None,
    max_length: MaxLength = None,
    overlong: Overlong = None,
    max_steps: MaxSteps = None,
    lora: Lora = None,
    lora_r: LoraR = None,
    lora_alpha: LoraAlpha = None,
    lora_dropout: LoraDropout = None,
    lora_targets: LoraTargets = None,
    chat_template: ChatTemplate = None,
    save_steps: SaveSteps = None,
    save_total_limit: SaveLimit = None,
    eval_steps: EvalSteps = None,
    logging_steps: LoggingSteps = None,
    warmup_ratio: Warmup = None,
    scheduler: Scheduler = None,
    weight_decay: WeightDecay = None,
    max_grad_norm: MaxGradNorm = None,
    seed: Seed = None,
    precision: PrecisionOpt = None,
    gradient_checkpointing: Checkpointing = None,
    device: Device = None,
    resume: Resume = None,
    overwrite: Overwrite = None,
    packing: Packing = None,
    liger_kernel: Liger = None,
    gpus: Gpus = None,
    strategy: Strategy = None,
    num_machines: NumMachines = None,
    machine_rank: MachineRank = None,
    main_process_ip: MainIp = None,
    main_process_port: MainPort = None,
    no_store: NoStore = False,
) -> None:
    """Supervised fine-tuning on the guide turns of `synthesize export` SFT data (or
    LLaMA-Factory alpaca / sharegpt data)."""
    flags = _overrides(locals())
    from codesteer_cli.training.sft_config import SFTOptions

    opts = SFTOptions.build(config, flags)
    _run("sft", opts, no_store)


@app.command("dpo")
def dpo(
    config: Config = None,
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="The SFT output to start from (full model folder or LoRA adapter); it is "
            "also the reference model.",
            show_default=False,
        ),
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            help="Preference pairs: the JSONL of `synthesize export`, or LLaMA-Factory "
            "sharegpt / alpaca ranking data, as JSON lines or one JSON array.",
            show_default=False,
        ),
    ] = None,
    eval_data: EvalData = None,
    data_format: DataFormat = None,
    out: Out = None,
    name: Name = None,
    epochs: Annotated[
        float | None, typer.Option("--epochs", show_default="6", rich_help_panel=_T)
    ] = None,
    lr: Annotated[
        float | None,
        typer.Option("--lr", help="Learning rate.", show_default="5e-6", rich_help_panel=_T),
    ] = None,
    beta: Annotated[
        float | None,
        typer.Option("--beta", help="DPO beta.", show_default="0.1", rich_help_panel=_T),
    ] = None,
    loss_type: Annotated[
        str | None,
        typer.Option(
            "--loss-type",
            help="sigmoid (the paper), ipo, hinge or robust.",
            show_default="sigmoid",
            rich_help_panel=_T,
        ),
    ] = None,
    batch_size: BatchSize = None,
    micro_batch_size: MicroBatch = None,
    max_length: MaxLength = None,
    overlong: Overlong = None,
    max_steps: MaxSteps = None,
    lora: Lora = None,
    lora_r: LoraR = None,
    lora_alpha: LoraAlpha = None,
    lora_dropout: LoraDropout = None,
    lora_targets: LoraTargets = None,
    chat_template: ChatTemplate = None,
    save_steps: SaveSteps = None,
    save_total_limit: SaveLimit = None,
    eval_steps: EvalSteps = None,
    logging_steps: LoggingSteps = None,
    warmup_ratio: Warmup = None,
    scheduler: Scheduler = None,
    weight_decay: WeightDecay = None,
    max_grad_norm: MaxGradNorm = None,
    seed: Seed = None,
    precision: PrecisionOpt = None,
    gradient_checkpointing: Checkpointing = None,
    device: Device = None,
    resume: Resume = None,
    overwrite: Overwrite = None,
    packing: Packing = None,
    liger_kernel: Liger = None,
    gpus: Gpus = None,
    strategy: Strategy = None,
    num_machines: NumMachines = None,
    machine_rank: MachineRank = None,
    main_process_ip: MainIp = None,
    main_process_port: MainPort = None,
    no_store: NoStore = False,
) -> None:
    """Preference optimization (DPO, sigmoid loss) of an SFT guide on scored pairs."""
    flags = _overrides(locals())
    from codesteer_cli.training.dpo_config import DPOOptions

    opts = DPOOptions.build(config, flags)
    _run("dpo", opts, no_store)


def _run(kind: str, opts: Any, no_store: bool) -> None:
    from codesteer_cli.context import settings
    from codesteer_cli.training.launch import run_training

    result = run_training(kind, opts, db=settings.db, use_store=not no_store)
    _render_result(result)


def _fmt(value: Any, spec: str = "{:.4f}") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return spec.format(value)
    return str(value)


def _render_result(result: Any) -> None:
    from rich.table import Table

    s = result.summary
    table = Table(title=f"{result.run_name}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    rows = [
        ("output", str(result.out_dir) + (" (LoRA adapter)" if s.get("adapter") else "")),
        ("steps", _fmt(s.get("steps"))),
        ("loss first → last", f"{_fmt(s.get('first_loss'))} → {_fmt(s.get('last_loss'))}"),
        ("eval loss", _fmt(s.get("last_eval_loss"))),
        ("tokens/s", _fmt(s.get("tokens_per_s"), "{:.0f}")),
        ("processes", _fmt(s.get("world_size"))),
        ("precision", _fmt(s.get("precision"))),
        ("template", _fmt(s.get("template"))),
    ]
    if s.get("kind") == "dpo":
        rows += [
            ("reward margin", _fmt(s.get("rewards_margins"))),
            ("reward accuracy", _fmt(s.get("rewards_accuracies"), "{:.2f}")),
            ("reference", _fmt(s.get("reference"))),
        ]
    data = s.get("data") or {}
    if data.get("too_long"):
        rows.append(("left out (too long)", str(data["too_long"])))
    if data.get("truncated"):
        rows.append(("truncated to --max-length", str(data["truncated"])))
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)
    err.print(f"use it: --guide hf:{result.out_dir}", highlight=False)


@app.command("merge")
def merge(
    adapter: Annotated[
        Path, typer.Option("--adapter", help="LoRA adapter folder (a `--lora` output).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the merged model.")],
    dtype: Annotated[
        str, typer.Option("--dtype", help="auto (the base's), fp32, bf16 or fp16.")
    ] = "auto",
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Write into a non-empty --out.")
    ] = False,
) -> None:
    """Merge a LoRA adapter into its base model: a plain HF causal LM folder."""
    from codesteer_cli.training.merge import merge_adapter

    res = merge_adapter(adapter, out, overwrite=overwrite, dtype=dtype)
    console.print(
        f"merged {res.adapter} into {res.base}: {res.parameters / 1e6:.1f}M parameters → "
        f"{res.out} ({res.seconds:.1f}s)",
        highlight=False,
    )
    err.print(f"use it: --guide hf:{res.out}", highlight=False)


@app.command("list")
def list_runs(
    limit: Annotated[int, typer.Option("--limit", "-n", help="Most recent N runs.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """Training runs in the store, newest first."""
    from rich.table import Table

    from codesteer_cli.context import get_store
    from codesteer_cli.training.metrics import list_training_runs

    rows = list_training_runs(get_store(), limit)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    table = Table(title="training runs")
    table.add_column("id", justify="right")
    table.add_column("name", no_wrap=True)
    table.add_column("status")
    table.add_column("steps", justify="right")
    table.add_column("loss", justify="right")
    table.add_column("base", overflow="fold")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["name"],
            r["status"],
            _fmt(r["steps"]),
            _fmt(r["last_loss"]),
            str(r["base"] or "-"),
        )
    console.print(table)


@app.command("show")
def show(
    run: Annotated[str, typer.Argument(help="Run id or name.")],
    steps: Annotated[
        int, typer.Option("--steps", help="Metric rows shown (evenly spaced; 0 = all).")
    ] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of tables.")] = False,
) -> None:
    """A training run: its resolved config, summary and per-step metrics."""

    from codesteer_cli.context import get_store
    from codesteer_cli.training.metrics import describe_run

    info = describe_run(get_store(), run)
    if as_json:
        typer.echo(json.dumps(info, indent=2, default=str))
        return
    console.print(
        f"[bold]{info['name']}[/] (id {info['id']}, {info['kind']}, {info['status']}) "
        f"started {str(info['started_at'])[:19]}",
        highlight=False,
    )
    if info.get("error"):
        console.print(f"[red]error: {info['error']}[/]", highlight=False)
    console.print(_config_table(info))
    if info.get("summary"):
        console.print(_summary_table(info["summary"]))
    if info["metrics"]:
        console.print(_metrics_table(info["metrics"], steps))


def _config_table(info: dict[str, Any]) -> Any:
    """Options that differ from the defaults (plus base, data, out) and resolved details."""
    from rich.table import Table

    from codesteer_cli.training.dpo_config import DPOOptions
    from codesteer_cli.training.sft_config import SFTOptions

    cls = DPOOptions if info["kind"] == "train-dpo" else SFTOptions
    defaults = cls().to_dict()
    cfg = dict(info["config"])
    resolved = cfg.pop("resolved", None) or {}
    table = Table(title="config (non-default options; --json for all)", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", overflow="fold")
    for k, v in cfg.items():
        if k in ("base", "data", "out") or (k in defaults and v != defaults[k]):
            table.add_row(k.replace("_", "-"), str(v))
        elif k == "resume_from" and v:
            table.add_row("resumed from", str(v))
    for k in (
        "world_size",
        "precision",
        "template",
        "data_format",
        "reference",
        "gradient_checkpointing_on",
    ):
        if k in resolved:
            table.add_row(k.replace("_", " "), str(resolved[k]))
    if "micro_batch_size" in resolved:
        table.add_row(
            "micro batch × accumulation",
            f"{resolved['micro_batch_size']} × {resolved.get('gradient_accumulation_steps')}",
        )
    return table


def _summary_table(summary: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title="summary", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", overflow="fold")
    keys = (
        ("steps", "{}"),
        ("first_loss", "{:.4f}"),
        ("last_loss", "{:.4f}"),
        ("last_eval_loss", "{:.4f}"),
        ("rewards_margins", "{:.4f}"),
        ("rewards_accuracies", "{:.2f}"),
        ("tokens_per_s", "{:.0f}"),
        ("train_runtime_s", "{:.1f}"),
        ("trainable_parameters", "{}"),
    )
    for k, spec in keys:
        if summary.get(k) is not None:
            table.add_row(k.replace("_", " "), _fmt(summary[k], spec))
    data = summary.get("data") or {}
    if data:
        table.add_row(
            "examples",
            f"{data.get('kept')} of {data.get('examples')} "
            f"({data.get('too_long', 0)} too long, {data.get('truncated', 0)} truncated), "
            f"{data.get('trained_tokens')} trained tokens",
        )
    return table


def _metrics_table(metrics: list[dict[str, Any]], steps: int) -> Any:
    from rich.table import Table

    shown = _spread(metrics, steps)
    has_eval = any(m["split"] == "eval" for m in metrics)
    dpo = any("rewards/margins" in m["logs"] for m in metrics)
    cols = ["step", "epoch", *(["split"] if has_eval else []), "loss", "lr", "tok/s"]
    if dpo:
        cols += ["margin", "acc"]
    table = Table(title=f"metrics ({len(shown)} of {len(metrics)} rows; --steps 0 for all)")
    for c in cols:
        table.add_column(c, justify="left" if c == "split" else "right")
    for m in shown:
        row = [str(m["step"]), _fmt(m["epoch"], "{:.2f}")]
        if has_eval:
            row.append(m["split"])
        row += [
            _fmt(m["loss"]),
            _fmt(m["learning_rate"], "{:.1e}"),
            _fmt(m["tokens_per_s"], "{:.0f}"),
        ]
        if dpo:
            pre = "eval_" if m["split"] == "eval" else ""
            row += [
                _fmt(m["logs"].get(f"{pre}rewards/margins"), "{:.3f}"),
                _fmt(m["logs"].get(f"{pre}rewards/accuracies"), "{:.2f}"),
            ]
        table.add_row(*row)
    return table


def _spread(rows: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    if n <= 0 or len(rows) <= n:
        return rows
    if n == 1:
        return [rows[-1]]
    idx = sorted({round(i * (len(rows) - 1) / (n - 1)) for i in range(n)})
    return [rows[i] for i in idx]
