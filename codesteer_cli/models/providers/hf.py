"""`hf:<path-or-id>` — a local causal LM through transformers, batched across threads.

Forms: `hf:<model>`; `hf:<base>+<adapter_dir>` (a PEFT adapter on a base model);
`hf:<adapter_dir>` alone when its adapter_config.json names a local base folder.

Each model is loaded once per process (GPU in bf16 when there is one and it supports
bf16, else CPU fp32) and shared by every episode. Requests from all threads go through
one `Batcher`: those that arrive together run as one left-padded `generate` call. Each
row keeps its own settings inside the batch: its max_tokens and stop strings end that
row only, and rows with temperature > 0 are sampled from their own seeded generator
while greedy rows take the argmax, so requests with different parameters still share
the forward passes. Greedy outputs match one-at-a-time calls (tested); only a near-tie
between two tokens could flip on the tiny float differences that padding brings. Seeded
sampling is reproducible for the same batch; in another batch it may differ.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codesteer_cli.errors import UserError
from codesteer_cli.models.base import GenParams, RawReply, RetryPolicy, cut_at_stop
from codesteer_cli.models.batching import Batcher
from codesteer_cli.models.engine import LocalModel, passive_waits
from codesteer_cli.models.facts import ProviderInfo
from codesteer_cli.models.packages import require

PROVIDER = ProviderInfo(
    "hf",
    "hf:<path-or-id>[+<adapter_dir>]",
    "local causal LM through transformers (PEFT adapters too), batched",
    "HFModel",
    packages=("torch", "transformers"),
    pip="torch transformers",
    key_required=False,
    local=True,
    order=60,
)

log = logging.getLogger("codesteer.models")

DEFAULT_MAX_BATCH = 16
BATCH_WINDOW_S = 0.02
# Torch threads on CPU. A thread pool whose threads wait on a core that another process
# holds is many times slower than one thread (measured here: 5 requests batched took
# 47 s on 2 threads, 5 s on 1, while other processes were busy). So a batch runs on one
# thread when it is small (too little work to gain from more) or when other processes
# kept more than OTHERS_BUSY cores busy since the last batch (sandboxed code runs, other
# jobs); otherwise on all of torch's threads. $CODESTEER_TORCH_THREADS fixes the count.
SMALL_BATCH = 4
OTHERS_BUSY = 0.3
_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")


def is_adapter_dir(path: Path) -> bool:
    return (path / "adapter_config.json").is_file() and not any(
        (path / f).exists() for f in _WEIGHT_FILES
    )


def split_target(
    name: str, named_base: Callable[[str], str | None] | None = None
) -> tuple[str, str | None]:
    """(base model path or id, adapter folder or None) for the part after `hf:`;
    `named_base` maps a base an adapter names to a folder where the caller knows one."""
    if "+" in name:
        base, _, adapter = name.rpartition("+")
        apath = Path(adapter).expanduser()
        if base and apath.is_dir():
            if not (apath / "adapter_config.json").is_file():
                raise UserError(f"{adapter} is not a PEFT adapter (no adapter_config.json)")
            return _local_or_id(base), str(apath.resolve())
    path = Path(name).expanduser()
    if path.is_dir() and is_adapter_dir(path):
        try:
            cfg = json.loads((path / "adapter_config.json").read_text())
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot read {path / 'adapter_config.json'}: {exc}") from None
        base = cfg.get("base_model_name_or_path")
        if not base:
            raise UserError(f"adapter {path} names no base model: use hf:<base>+{name}")
        folder = named_base(base) if named_base else None
        if folder:
            return folder, str(path.resolve())
        for candidate in (Path(base).expanduser(), path / base):
            if candidate.is_dir():
                return str(candidate.resolve()), str(path.resolve())
        raise UserError(
            f"adapter {path} names base model {base!r}, which is not a local folder: "
            f"use hf:<base>+{name}"
        )
    return _local_or_id(name), None


def _local_or_id(name: str) -> str:
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise UserError(f"{name} is not a model folder")
        return str(path.resolve())
    if name.startswith((".", "/", "~")) or name.count("/") > 1 or os.sep != "/" and os.sep in name:
        raise UserError(f"model folder {name} does not exist")
    return name  # a hub id (org/name): resolved by transformers from its cache


def canonical_name(name: str) -> str:
    """The `hf:` target with local folders made absolute (what the spec records)."""
    base, adapter = split_target(name)
    return f"{base}+{adapter}" if adapter else base


def fingerprint(*targets: str | None) -> str:
    """Names, sizes and mtimes of the weight/config files: changes when weights change."""
    h = hashlib.sha256()
    for target in targets:
        if not target:
            continue
        path = Path(target)
        if not path.is_dir():
            h.update(target.encode())
            continue
        for f in sorted(path.iterdir()):
            if f.is_file() and f.suffix in (".safetensors", ".bin", ".json", ".model", ".gguf"):
                st = f.stat()
                h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:16]


def pick_device() -> tuple[str, Any]:
    """("cuda", bf16 or fp32) when a GPU is there, else ("cpu", fp32); $CODESTEER_DEVICE
    = cpu forces the CPU."""
    import torch

    forced = os.environ.get("CODESTEER_DEVICE", "").strip().lower()
    if forced != "cpu" and torch.cuda.is_available():
        bf16 = torch.cuda.is_bf16_supported()
        return "cuda", torch.bfloat16 if bf16 else torch.float32
    return "cpu", torch.float32


# Requests of at most this many new tokens (guide choices) batch apart from longer ones.
SHORT_GENERATION = 32


# --- loaded models ----------------------------------------------------------------------
@dataclass
class GenRequest:
    input_ids: list[int]
    max_new: int
    temperature: float
    seed: int | None
    stop: tuple[str, ...]
    top_p: float | None = None
    top_k: int | None = None
    started: threading.Event = field(default_factory=threading.Event)  # its batch runs


@dataclass
class GenResult:
    text: str
    tokens_in: int
    tokens_out: int


@dataclass
class LoadedLM:
    base: str
    adapter: str | None
    model: Any
    tokenizer: Any
    device: str
    dtype: str
    fingerprint: str
    eos_ids: list[int]
    pad_id: int
    max_positions: int | None
    load_s: float
    batcher: Batcher[GenRequest, GenResult] = field(init=False)
    threads: int = field(init=False)
    cpu: CpuWatch = field(init=False)
    tok_lock: threading.Lock = field(init=False)

    def __post_init__(self) -> None:
        import torch

        self.threads = torch.get_num_threads()
        self.cpu = CpuWatch()
        # A fast tokenizer used from several threads at once can fail ("Already
        # borrowed"): callers encode and the batcher decodes, so they take turns.
        self.tok_lock = threading.Lock()
        self.batcher = Batcher(
            self.run_batch,
            max_batch=DEFAULT_MAX_BATCH,
            window_s=BATCH_WINDOW_S,
            name=f"codesteer-batcher-{Path(self.base).name}",
            bucket=lambda r: r.max_new <= SHORT_GENERATION,
        )

    @property
    def generate_calls(self) -> int:
        return self.batcher.batches

    def encode(self, messages: list[dict[str, str]]) -> list[int]:
        with self.tok_lock:
            out = self.tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, tokenize=True
            )
        if hasattr(out, "keys") and "input_ids" in out:
            out = out["input_ids"]
        if hasattr(out, "tolist"):
            out = out.tolist()
        if out and isinstance(out[0], list):
            out = out[0]
        return [int(t) for t in out]

    def run_batch(self, reqs: list[GenRequest]) -> list[GenResult]:
        """One `generate` for all of `reqs` (left padding), each row with its own limits."""
        import torch
        from transformers import GenerationConfig, LogitsProcessorList, StoppingCriteriaList

        for r in reqs:
            r.started.set()  # a caller's timeout counts from here, not from its queueing
        width = max(len(r.input_ids) for r in reqs)
        ids = torch.full((len(reqs), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(reqs), width), dtype=torch.long)
        for i, r in enumerate(reqs):
            n = len(r.input_ids)
            ids[i, width - n :] = torch.tensor(r.input_ids, dtype=torch.long)
            mask[i, width - n :] = 1
        ids, mask = ids.to(self.device), mask.to(self.device)
        rows = _RowStop(width, reqs, self.eos_ids, self.tokenizer, self.device, self.tok_lock)
        sampling = any(r.temperature > 0 for r in reqs)
        config = GenerationConfig(
            max_new_tokens=max(r.max_new for r in reqs),
            do_sample=False,
            num_beams=1,
            pad_token_id=self.pad_id,
            eos_token_id=self.eos_ids,
        )
        threads = _threads_for(len(reqs), self.device, self.threads, self.cpu)
        if threads and torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=ids,
                attention_mask=mask,
                generation_config=config,
                logits_processor=LogitsProcessorList([_RowSampler(reqs)]) if sampling else None,
                stopping_criteria=StoppingCriteriaList([rows]),
            )
        results = []
        eos = set(self.eos_ids)
        for i, r in enumerate(reqs):
            gen = out[i, width:].tolist()
            n = rows.done_at[i] or min(len(gen), r.max_new)
            gen = gen[:n]
            text_ids = gen[:-1] if gen and gen[-1] in eos else gen
            with self.tok_lock:
                text = self.tokenizer.decode(text_ids, skip_special_tokens=True)
            if r.stop:
                text = cut_at_stop(text, r.stop)
            results.append(GenResult(text=text, tokens_in=len(r.input_ids), tokens_out=n))
        return results


class CpuWatch:
    """How many cores other processes kept busy since the last look (Linux /proc/stat;
    elsewhere always 0)."""

    def __init__(self) -> None:
        self.last = self._sample()
        self.others = 0.0

    @staticmethod
    def _sample() -> tuple[float, float, float] | None:
        try:
            with open("/proc/stat") as fh:
                fields = [int(x) for x in fh.readline().split()[1:9]]
        except (OSError, ValueError):
            return None
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields
        busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
        own = sum(os.times()[:2])
        return time.monotonic(), busy, own

    def others_busy(self) -> float:
        now = self._sample()
        if now is None or self.last is None:
            return 0.0
        wall = now[0] - self.last[0]
        if wall >= 0.2:  # too short an interval says nothing: keep the last figure
            self.others = max(0.0, ((now[1] - self.last[1]) - (now[2] - self.last[2])) / wall)
            self.last = now
        return self.others


def _threads_for(rows: int, device: str, default: int, watch: CpuWatch) -> int | None:
    forced = os.environ.get("CODESTEER_TORCH_THREADS", "").strip()
    if forced.isdigit() and int(forced) > 0:
        return int(forced)
    if device != "cpu" or default <= 1:
        return None
    busy = watch.others_busy()
    return 1 if rows < SMALL_BATCH or busy > OTHERS_BUSY else default


class _RowStop:
    """Per-row end of generation: EOS, the row's max_tokens, or one of its stop strings.

    Records how many tokens each row generated (`done_at`)."""

    def __init__(
        self,
        width: int,
        reqs: list[GenRequest],
        eos_ids: list[int],
        tokenizer: Any,
        device: str,
        lock: threading.Lock,
    ) -> None:
        import torch

        self.lock = lock
        self.width = width
        self.max_new = torch.tensor([r.max_new for r in reqs], device=device)
        self.eos = torch.tensor(eos_ids, device=device)
        self.stops = [r.stop for r in reqs]
        self.tail = max((len(s) for r in reqs for s in r.stop), default=0) + 2
        self.tokenizer = tokenizer
        self.done = torch.zeros(len(reqs), dtype=torch.bool, device=device)
        self.done_at: list[int] = [0] * len(reqs)

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        n = input_ids.shape[1] - self.width
        hit = torch.isin(input_ids[:, -1], self.eos) | (self.max_new <= n)
        for i, stop in enumerate(self.stops):
            if stop and not self.done[i]:
                start = max(self.width, input_ids.shape[1] - self.tail)
                with self.lock:
                    tail = self.tokenizer.decode(input_ids[i, start:].tolist())
                if any(s in tail for s in stop):
                    hit[i] = True
        new = hit & ~self.done
        for i in torch.nonzero(new).flatten().tolist():
            self.done_at[i] = n
        self.done |= new
        return self.done.clone()


class _RowSampler:
    """Samples rows with temperature > 0 from their own seeded generator and makes that
    token the only choice, so the greedy `generate` keeps it; greedy rows are untouched."""

    def __init__(self, reqs: list[GenRequest]) -> None:
        self.temps = [r.temperature for r in reqs]
        self.filters = [(r.top_k, r.top_p) for r in reqs]
        self.seeds = [
            r.seed if r.seed is not None else random.SystemRandom().getrandbits(62) for r in reqs
        ]
        self.generators: list[Any] = [None] * len(reqs)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        for i, t in enumerate(self.temps):
            if t <= 0:
                continue
            if self.generators[i] is None:
                g = torch.Generator(device=scores.device)
                g.manual_seed(self.seeds[i])
                self.generators[i] = g
            probs = torch.softmax(_filtered(scores[i].float() / t, *self.filters[i]), dim=-1)
            token = torch.multinomial(probs, 1, generator=self.generators[i])
            scores[i].fill_(float("-inf"))
            scores[i, token] = 0.0
        return scores


def _filtered(logits: Any, top_k: int | None, top_p: float | None) -> Any:
    """Top-k, then top-p (nucleus) filtering of one row's tempered logits, in the
    order transformers applies them; the most likely token always stays."""
    import torch

    if top_k is not None and top_k < logits.numel():
        kth = torch.topk(logits, top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1:
        order = torch.argsort(logits, descending=True)
        probs = torch.softmax(logits[order], dim=-1)
        drop = torch.cumsum(probs, dim=-1) - probs > top_p  # mass before it already > p
        logits = logits.clone()
        logits[order[drop]] = float("-inf")
    return logits


_LOADED: dict[tuple[str, str | None], LoadedLM] = {}
_LOAD_LOCK = threading.Lock()


def load_lm(base: str, adapter: str | None = None) -> LoadedLM:
    """The loaded model for (base, adapter): loaded on first use, then shared."""
    key = (base, adapter)
    with _LOAD_LOCK:
        lm = _LOADED.get(key)
        if lm is None:
            lm = _LOADED[key] = _load(base, adapter)
        return lm


def unload_all() -> None:
    """Forget loaded models (tests; the next `load_lm` loads from disk again)."""
    with _LOAD_LOCK:
        _LOADED.clear()


def _require_packages(adapter: bool) -> None:
    needed = ("torch", "transformers", "peft") if adapter else ("torch", "transformers")
    require(needed, " ".join(needed), "hf: models")


def _load(base: str, adapter: str | None) -> LoadedLM:
    _require_packages(adapter is not None)
    start = time.monotonic()
    passive_waits()
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    device, dtype = pick_device()
    local = Path(base).is_dir()
    opts: dict[str, Any] = {"local_files_only": True} if local else {}
    tok_src = adapter if adapter and _has_tokenizer(Path(adapter)) else base
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(tok_src, **opts)
        model = AutoModelForCausalLM.from_pretrained(base, dtype=dtype, **opts)
        if adapter:
            import warnings

            from peft import PeftModel

            with warnings.catch_warnings():  # peft asks transformers a deprecated question
                warnings.filterwarnings("ignore", ".*is_gradient_checkpointing", FutureWarning)
                model = PeftModel.from_pretrained(model, adapter, is_trainable=False)
            try:
                model = model.merge_and_unload()
            except Exception as exc:  # e.g. an adapter type that cannot be merged
                log.info("adapter %s kept unmerged: %s", adapter, exc)
    except UserError:
        raise
    except Exception as exc:
        what = f"{base}+{adapter}" if adapter else base
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"cannot load hf:{what}: {first}") from None
    finally:
        if bars:
            hf_logging.enable_progress_bar()
    if not getattr(tokenizer, "chat_template", None):
        raise UserError(f"hf:{base}: the tokenizer has no chat template")
    model.to(device)
    model.eval()
    eos = model.generation_config.eos_token_id
    if eos is None:
        eos = tokenizer.eos_token_id
    eos_ids = [int(e) for e in (eos if isinstance(eos, list | tuple) else [eos]) if e is not None]
    if not eos_ids:
        raise UserError(f"hf:{base}: neither the model nor the tokenizer names an EOS token")
    pad = tokenizer.pad_token_id
    pad_id = int(pad) if pad is not None else eos_ids[0]
    max_pos = getattr(model.config, "max_position_embeddings", None)
    lm = LoadedLM(
        base=base,
        adapter=adapter,
        model=model,
        tokenizer=tokenizer,
        device=device,
        dtype=str(dtype).replace("torch.", ""),
        fingerprint=fingerprint(base, adapter),
        eos_ids=eos_ids,
        pad_id=pad_id,
        max_positions=int(max_pos) if max_pos else None,
        load_s=time.monotonic() - start,
    )
    log.info("loaded %s on %s (%s) in %.1fs", base, device, lm.dtype, lm.load_s)
    return lm


def _has_tokenizer(path: Path) -> bool:
    return any((path / f).is_file() for f in ("tokenizer.json", "tokenizer_config.json"))


class HFModel(LocalModel):
    """A local model through transformers; `concurrency` is its largest batch,
    `request_timeout` (default none) how long a caller waits once its batch runs."""

    provider = "hf"
    facts = PROVIDER
    engine = "transformers"

    def __init__(
        self,
        spec: str,
        *,
        concurrency: int | None = None,
        request_timeout: float | None = None,
        retry: RetryPolicy | None = None,
        target: str | None = None,
    ) -> None:
        super().__init__(spec, request_timeout=request_timeout, retry=retry)
        base, adapter = split_target(target if target is not None else self.name)
        self.lm = load_lm(base, adapter)
        if concurrency is not None:
            if concurrency < 1:
                raise ValueError("concurrency must be at least 1")
            self.lm.batcher.max_batch = concurrency

    @property
    def cache_identity(self) -> str:
        return f"{self.spec}@{self.lm.fingerprint}"

    @property
    def generate_calls(self) -> int:
        """How many `generate` calls this model's weights have run (all instances)."""
        return self.lm.generate_calls

    def count_tokens(self, text: str) -> int:
        with self.lm.tok_lock:
            return len(self.lm.tokenizer.encode(text, add_special_tokens=False))

    def engine_info(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "device": self.lm.device,
            "dtype": self.lm.dtype,
            "threads": self.lm.threads,
            "max_batch": self.lm.batcher.max_batch,
        }

    def _request(self, messages: list[dict[str, str]], params: GenParams) -> RawReply:
        ids = self.lm.encode(messages)
        max_new = params.max_tokens
        if self.lm.max_positions:
            room = self.lm.max_positions - len(ids)
            if room < 1:
                raise ValueError(
                    f"prompt of {len(ids)} tokens fills the model's context "
                    f"of {self.lm.max_positions}"
                )
            max_new = min(max_new, room)
        req = GenRequest(
            input_ids=ids,
            max_new=max_new,
            temperature=params.temperature,
            seed=params.effective_seed,  # None: a fresh random seed in the batch
            stop=params.stop,
            top_p=params.top_p,
            top_k=params.top_k,
        )
        fut = self.lm.batcher.submit(req)
        if self.timeout_s is not None:
            # Queued behind other batches is not slow: the clock starts with our batch.
            while not req.started.wait(1.0) and not fut.done():
                pass
            try:
                res = fut.result(timeout=self.timeout_s)
            except TimeoutError:
                raise TimeoutError(
                    f"no answer {self.timeout_s:g}s after its batch started"
                ) from None
        else:
            res = fut.result()
        return RawReply(res.text, res.tokens_in, res.tokens_out, tokens_estimated=False)
