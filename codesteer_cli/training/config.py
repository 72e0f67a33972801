"""The options `train sft` and `train dpo` share, with the paper's defaults, and their YAML
file. Each command's own options are in `sft_config.py` / `dpo_config.py`.

Precedence: these defaults < the YAML file of `--config` < flags given on the command
line. YAML keys are the flag names, with `-` or `_` (`batch-size: 8`, `eval_data: …`).
The resolved options are stored with the run (`RunRow.config`).

Paper (SPEC §5): full fine-tuning, SFT 10 epochs at lr 1e-5, batch size 4, context about
8k tokens. Not from the paper (our choice, common for these trainers): cosine schedule
with 10% warmup, no weight decay, gradient clipping at 1.0, checkpoints every 500 steps.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

from codesteer_cli.errors import UserError

STRATEGIES = ("ddp", "fsdp", "deepspeed-zero3")
PRECISIONS = ("auto", "bf16", "fp16", "fp32")
SWITCHES = ("auto", "on", "off")
DEVICES = ("auto", "cpu", "cuda")
SCHEDULERS = ("cosine", "linear", "constant", "constant_with_warmup")
# jsonl: ours (`synthesize export --format trl`); alpaca / sharegpt: LLaMA-Factory's, as the
# original release's data (see `data.py`). auto: read from the first example.
DATA_FORMATS = ("auto", "jsonl", "alpaca", "sharegpt")
OVERLONG = ("drop", "truncate")  # examples over --max-length: left out, or cut to fit

# Gradient checkpointing is switched on (`auto`) from this many parameters: it costs ~20%
# speed and saves activation memory, which matters for 1B+ models at 8k tokens and not
# for SmolLM2-135M or the tiny test models.
CHECKPOINTING_FROM_PARAMS = 1_000_000_000


@dataclass
class TrainOptions:
    """What `train sft` and `train dpo` share."""

    KIND: ClassVar[str] = ""

    base: str = ""
    data: str = ""
    eval_data: str | None = None
    data_format: str = "auto"  # of --data and --eval-data
    out: str | None = None
    name: str | None = None
    epochs: float = 10.0
    lr: float = 1e-5
    batch_size: int = 4  # global: all processes and accumulation steps together
    # per process and step; default batch/processes on a GPU, 1 on CPU (see batch_layout)
    micro_batch_size: int | None = None
    max_length: int = 8192
    overlong: str = "drop"
    max_steps: int = -1  # > 0 stops after that many optimizer steps
    lora: bool = False
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_targets: str = "all-linear"
    chat_template: str | None = None  # a Jinja file replacing the tokenizer's template
    gpus: int = 1
    strategy: str = "ddp"
    num_machines: int = 1
    machine_rank: int = 0
    main_process_ip: str | None = None
    main_process_port: int | None = None
    resume: bool = False
    overwrite: bool = False
    save_steps: int = 500
    save_total_limit: int | None = 2
    eval_steps: int | None = None  # default: evaluate once per epoch
    logging_steps: int = 1
    warmup_ratio: float = 0.1
    scheduler: str = "cosine"
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    seed: int = 42
    precision: str = "auto"
    gradient_checkpointing: str = "auto"
    device: str = "auto"
    # Refused: both can drop the guide-turn loss mask without a word.
    packing: bool = False
    liger_kernel: bool = False

    # --- construction ----------------------------------------------------------------
    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def build(
        cls, config_file: str | Path | None = None, overrides: dict[str, Any] | None = None
    ) -> TrainOptions:
        """Defaults, then the YAML file, then the non-None `overrides` (flags)."""
        values: dict[str, Any] = {}
        if config_file is not None:
            values.update(read_config_file(config_file, cls))
        for key, value in (overrides or {}).items():
            if value is not None:
                values[key] = value
        opts = cls(**values)
        opts.validate()
        return opts

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainOptions:
        known = set(cls.field_names())
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    # --- checks ----------------------------------------------------------------------
    @property
    def world_size(self) -> int:
        return self.gpus * self.num_machines

    @property
    def needs_launcher(self) -> bool:
        """True when training runs under `accelerate launch` (several processes or a
        sharding strategy), False when it runs in this process."""
        return self.world_size > 1 or self.strategy != "ddp"

    def batch_layout(self, device: str | None = None) -> tuple[int, int]:
        """(per-process micro batch, gradient accumulation steps) giving `batch_size`.

        Unless --micro-batch-size is given, a process takes its whole share in one forward
        pass on a GPU, and one example per pass on the CPU: there a padded token costs as
        much as a real one and a batch buys no parallelism (benchmarks/train_throughput.py
        --compare-micro measures the difference; the loss is the same, gradient accumulation
        normalising by the batch's trained tokens)."""
        world = self.world_size
        if self.batch_size % world:
            raise UserError(
                f"--batch-size {self.batch_size} is not a multiple of the {world} processes"
            )
        per_process = self.batch_size // world
        micro = self.micro_batch_size or (1 if device == "cpu" else per_process)
        if per_process % micro:
            raise UserError(
                f"--micro-batch-size {micro} does not divide the {per_process} examples each "
                f"process takes per step (--batch-size {self.batch_size} / {world} processes)"
            )
        return micro, per_process // micro

    def validate(self) -> None:
        if self.packing:
            raise UserError(
                "--packing is refused: packing several examples into one sequence can drop the "
                "guide-turn loss mask (and lets examples attend to each other); train without it"
            )
        if self.liger_kernel:
            raise UserError(
                "--liger-kernel is refused: its fused loss ignores the guide-turn loss mask in "
                "some TRL versions; train without it"
            )
        if not self.base:
            raise UserError("--base is required (a model folder, hub id or local:smollm2)")
        if not self.data:
            raise UserError(
                "--data is required (the file of `synthesize export`, or LLaMA-Factory "
                "alpaca / sharegpt data)"
            )
        choice("--data-format", self.data_format, DATA_FORMATS)
        choice("--overlong", self.overlong, OVERLONG)
        choice("--strategy", self.strategy, STRATEGIES)
        choice("--precision", self.precision, PRECISIONS)
        choice("--gradient-checkpointing", self.gradient_checkpointing, SWITCHES)
        choice("--device", self.device, DEVICES)
        choice("--scheduler", self.scheduler, SCHEDULERS)
        positive("--epochs", self.epochs)
        positive("--lr", self.lr)
        positive("--batch-size", self.batch_size)
        positive("--max-length", self.max_length)
        positive("--save-steps", self.save_steps)
        positive("--logging-steps", self.logging_steps)
        positive("--gpus", self.gpus)
        positive("--num-machines", self.num_machines)
        positive("--lora-r", self.lora_r)
        positive("--lora-alpha", self.lora_alpha)
        if self.micro_batch_size is not None:
            positive("--micro-batch-size", self.micro_batch_size)
        if self.eval_steps is not None:
            positive("--eval-steps", self.eval_steps)
        if self.save_total_limit is not None:
            positive("--save-total-limit", self.save_total_limit)
        if not 0 <= self.warmup_ratio < 1:
            raise UserError(f"--warmup-ratio must be in [0, 1), got {self.warmup_ratio}")
        if not 0 <= self.lora_dropout < 1:
            raise UserError(f"--lora-dropout must be in [0, 1), got {self.lora_dropout}")
        if self.resume and self.overwrite:
            raise UserError("--resume and --overwrite contradict each other")
        if not 0 <= self.machine_rank < self.num_machines:
            raise UserError(
                f"--machine-rank must be in 0..{self.num_machines - 1}, got {self.machine_rank}"
            )
        if self.num_machines > 1 and not self.main_process_ip:
            raise UserError("--num-machines > 1 needs --main-process-ip (machine rank 0's address)")
        if self.device == "cpu" and self.precision in ("bf16", "fp16"):
            raise UserError(f"--precision {self.precision} needs a GPU; on CPU training is fp32")
        if self.chat_template and not Path(self.chat_template).expanduser().is_file():
            raise UserError(f"--chat-template file {self.chat_template} does not exist")
        self.batch_layout()


def choice(flag: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise UserError(f"unknown {flag} {value!r}: choose from {', '.join(allowed)}")


def positive(flag: str, value: float) -> None:
    if value <= 0:
        raise UserError(f"{flag} must be positive, got {value}")


# --- the YAML file ------------------------------------------------------------------


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in fields(cls)}


def _coerce(key: str, value: Any, hint: Any, where: str) -> Any:
    allowed = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if value is None:
        if type(None) in allowed:
            return None
        raise UserError(f"{where}: {key} cannot be empty")
    for t in allowed:
        if t is bool and isinstance(value, bool):
            return value
        if t is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if t is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if t is str and isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
    if isinstance(value, str):  # PyYAML reads 1e-5 (no dot) as a string
        for t in allowed:
            try:
                if t is float:
                    return float(value)
                if t is int:
                    return int(value)
            except ValueError:
                continue
    names = "/".join(getattr(t, "__name__", str(t)) for t in allowed if t is not type(None))
    raise UserError(f"{where}: {key} must be {names}, got {value!r}")


def read_config_file(path: str | Path, cls: type[TrainOptions]) -> dict[str, Any]:
    """The options in a YAML file, checked against `cls`'s fields."""
    import yaml

    p = Path(path).expanduser()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"config file {p} does not exist") from None
    except OSError as exc:
        raise UserError(f"cannot read config file {p}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"{p}{at}: not valid YAML ({problem})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(f"{p}: expected a mapping of option: value")
    types_ = _field_types(cls)
    out: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = str(raw_key).replace("-", "_")
        if key not in types_:
            known = ", ".join(k.replace("_", "-") for k in types_)
            raise UserError(
                f"{p}: unknown option {raw_key!r} for train {cls.KIND} (known: {known})"
            )
        out[key] = _coerce(str(raw_key), value, types_[key], str(p))
    return out
