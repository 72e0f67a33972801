"""`train merge`: fold a LoRA adapter into its base model and save a plain HF folder.

The result loads with `AutoModelForCausalLM.from_pretrained(out)` (so `--guide hf:OUT`
works without peft) and carries the adapter folder's tokenizer, whose chat template is
the model's original one. An unmerged adapter folder works too: `--guide hf:ADAPTER`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codesteer_cli.errors import UserError

MERGE_FILE = "codesteer_merge.json"


@dataclass
class MergeResult:
    out: Path
    base: str
    adapter: str
    parameters: int
    seconds: float


def merge_adapter(
    adapter: str | Path, out: str | Path, overwrite: bool = False, dtype: str = "auto"
) -> MergeResult:
    from codesteer_cli.training.modeling import (
        BaseRef,
        count_parameters,
        embedded_weights,
        load_adapter,
        load_model,
        load_tokenizer,
        quiet_libraries,
    )

    started = time.monotonic()
    adapter_dir = Path(adapter).expanduser().resolve()
    out_dir = Path(out).expanduser().resolve()
    if not (adapter_dir / "adapter_config.json").is_file():
        raise UserError(f"{adapter_dir} is not a LoRA adapter folder (no adapter_config.json)")
    if out_dir == adapter_dir:
        raise UserError("--out must differ from --adapter")
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise UserError(f"{out_dir} is not empty; pass --overwrite to replace its model")
    try:
        cfg = json.loads((adapter_dir / "adapter_config.json").read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read {adapter_dir / 'adapter_config.json'}: {exc}") from None
    base = cfg.get("base_model_name_or_path")
    if not base:
        raise UserError(f"{adapter_dir}/adapter_config.json names no base model")
    base_path = Path(base).expanduser()
    if not base_path.is_dir() and (base.startswith(("/", ".", "~")) or base.count("/") > 1):
        raise UserError(f"the adapter's base model folder {base} does not exist")
    base_ref = embedded_weights(base) or (str(base_path.resolve()) if base_path.is_dir() else base)
    quiet_libraries()
    torch_dtype = _dtype(dtype, base_ref)
    model = load_model(base_ref, torch_dtype)
    model = load_adapter(model, str(adapter_dir), trainable=False)
    try:
        merged = model.merge_and_unload()
    except Exception as exc:
        raise UserError(f"cannot merge {adapter_dir}: {exc}") from None
    tokenizer = load_tokenizer(BaseRef(str(adapter_dir), base_ref, str(adapter_dir)))
    out_dir.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    result = MergeResult(
        out_dir, base_ref, str(adapter_dir), count_parameters(merged), time.monotonic() - started
    )
    (out_dir / MERGE_FILE).write_text(
        json.dumps({"base": base_ref, "adapter": str(adapter_dir)}, indent=2) + "\n"
    )
    return result


def _dtype(name: str, base: str) -> Any:
    import torch

    table = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
    if name in table:
        return table[name]
    if name != "auto":
        raise UserError(f"unknown --dtype {name!r}: choose from auto, fp32, bf16, fp16")
    # auto: the base model's stored dtype (what it would be served in)
    try:
        cfg = json.loads((Path(base) / "config.json").read_text())
    except (OSError, ValueError):
        return torch.float32
    stored = str(cfg.get("dtype") or cfg.get("torch_dtype") or "float32")
    return {"bfloat16": torch.bfloat16, "float16": torch.float16}.get(stored, torch.float32)
