"""Loading what training starts from: the base model, its tokenizer, the precision.

`--base` accepts what `--guide hf:…` accepts (a model folder, a hub id, a LoRA adapter
folder whose adapter_config.json names a local base, `base+adapter`), an `hf:` prefix,
and `local:smollm2[+adapter]` (the embedded model, dequantized once into the user cache
by `codesteer_cli.models`), which is also the base an adapter published by `make guide`
names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codesteer_cli.errors import UserError
from codesteer_cli.training.config import CHECKPOINTING_FROM_PARAMS, TrainOptions

_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")


@dataclass(frozen=True)
class BaseRef:
    spec: str  # as given
    base: str  # folder (absolute) or hub id of the full model
    adapter: str | None = None  # LoRA adapter folder on top of `base`

    def as_dict(self) -> dict[str, str | None]:
        return {"spec": self.spec, "base": self.base, "adapter": self.adapter}


def resolve_base(spec: str) -> BaseRef:
    name = spec.strip()
    if name.startswith("local:") or name.partition("+")[0] == "smollm2":
        from codesteer_cli.models.providers.embedded import split_adapter

        model, adapter = split_adapter(name.removeprefix("local:"))
        if model.partition("@")[0] != "smollm2":
            raise UserError(f"unknown local model {name!r}: known: local:smollm2")
        return BaseRef(spec, _embedded_folder(), str(adapter.resolve()) if adapter else None)
    if name.startswith("hf:"):
        name = name[3:]
    from codesteer_cli.models.providers.hf import split_target

    base, adapter = split_target(name, embedded_weights)
    return BaseRef(spec, base, adapter)


def _embedded_folder() -> str:
    from codesteer_cli.models.providers.embedded import ensure_cache

    return str(ensure_cache())


def embedded_weights(base: str) -> str | None:
    """The embedded model's fp32 folder when an adapter's base names it (`local:smollm2`:
    what `make guide` publishes, not a machine's cache path), else None."""
    if not base.startswith("local:"):
        return None
    from codesteer_cli.models.providers.embedded import ensure_cache, split_spec

    return str(ensure_cache(split_spec(base.removeprefix("local:"))[0].name))


def _local_kwargs(path: str) -> dict[str, Any]:
    return {"local_files_only": True} if Path(path).is_dir() else {}


def load_tokenizer(ref: BaseRef, chat_template_file: str | None = None) -> Any:
    from transformers import AutoTokenizer

    src = ref.base
    if ref.adapter and any((Path(ref.adapter) / f).is_file() for f in _TOKENIZER_FILES):
        src = ref.adapter
    try:
        tokenizer = AutoTokenizer.from_pretrained(src, **_local_kwargs(src))
    except Exception as exc:
        raise UserError(f"cannot load the tokenizer of {ref.spec}: {_first_line(exc)}") from None
    if chat_template_file:
        tokenizer.chat_template = Path(chat_template_file).expanduser().read_text(encoding="utf-8")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(path: str, dtype: Any) -> Any:
    from transformers import AutoModelForCausalLM

    try:
        return AutoModelForCausalLM.from_pretrained(path, dtype=dtype, **_local_kwargs(path))
    except Exception as exc:
        raise UserError(f"cannot load model {path}: {_first_line(exc)}") from None


def load_adapter(model: Any, adapter: str, trainable: bool) -> Any:
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(model, adapter, is_trainable=trainable)
    except Exception as exc:
        raise UserError(f"cannot load adapter {adapter}: {_first_line(exc)}") from None


def lora_config(opts: TrainOptions) -> Any:
    from peft import LoraConfig

    targets: str | list[str] = opts.lora_targets
    if targets != "all-linear":
        targets = [t.strip() for t in targets.split(",") if t.strip()]
    return LoraConfig(
        r=opts.lora_r,
        lora_alpha=opts.lora_alpha,
        lora_dropout=opts.lora_dropout,
        target_modules=targets,
        task_type="CAUSAL_LM",
    )


@dataclass(frozen=True)
class Precision:
    device: str  # cpu | cuda
    bf16: bool
    fp16: bool

    @property
    def name(self) -> str:
        return "bf16" if self.bf16 else "fp16" if self.fp16 else "fp32"

    def weights_dtype(self, lora: bool) -> Any:
        """Frozen LoRA bases load in the compute dtype; trained weights stay fp32 (mixed
        precision keeps fp32 masters)."""
        import torch

        if lora and self.bf16:
            return torch.bfloat16
        if lora and self.fp16:
            return torch.float16
        return torch.float32


def pick_precision(opts: TrainOptions) -> Precision:
    """bf16 on GPUs that support it, fp32 on CPU (bf16 there is ~13x slower without
    AVX512-BF16); explicit --precision wins."""
    import torch

    cuda = torch.cuda.is_available() and opts.device != "cpu"
    if opts.device == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda: no CUDA GPU is visible to torch")
    device = "cuda" if cuda else "cpu"
    if opts.precision == "fp32" or not cuda:
        if opts.precision in ("bf16", "fp16") and not cuda:
            raise UserError(f"--precision {opts.precision} needs a GPU; on CPU training is fp32")
        return Precision(device, False, False)
    if opts.precision == "fp16":
        return Precision(device, False, True)
    if opts.precision == "bf16":
        if not torch.cuda.is_bf16_supported():
            raise UserError("--precision bf16: this GPU does not support bf16")
        return Precision(device, True, False)
    return Precision(device, torch.cuda.is_bf16_supported(), False)


def count_parameters(model: Any) -> int:
    return sum(p.numel() for p in model.parameters())


def use_checkpointing(opts: TrainOptions, n_params: int) -> bool:
    if opts.gradient_checkpointing == "on":
        return True
    if opts.gradient_checkpointing == "off":
        return False
    return n_params >= CHECKPOINTING_FROM_PARAMS


def rank_info() -> tuple[int, int, int]:
    """(global rank, local rank, world size) from the launcher's environment."""
    return (
        int(os.environ.get("RANK", "0")),
        int(os.environ.get("LOCAL_RANK", "0")),
        int(os.environ.get("WORLD_SIZE", "1")),
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def quiet_libraries(verbose: bool | None = None) -> None:
    """No download/map/shard progress bars and no library chatter unless --verbose (the
    live progress line says what matters)."""
    import warnings

    if verbose is None:
        from codesteer_cli.context import settings

        verbose = settings.verbose or os.environ.get("CODESTEER_VERBOSE") == "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    warnings.filterwarnings("ignore", message=r".*gradient_checkpointing` is deprecated.*")
    warnings.filterwarnings("ignore", message=r".*use_reentrant.*")
    import datasets
    from transformers.utils import logging as hf_logging

    datasets.disable_progress_bars()
    hf_logging.disable_progress_bar()
    if not verbose:
        hf_logging.set_verbosity_error()
        datasets.logging.set_verbosity_error()
