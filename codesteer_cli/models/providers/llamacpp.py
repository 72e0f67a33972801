"""`gguf:<file.gguf>` — a local GGUF served by llama.cpp in this process (`xllamacpp`).

`xllamacpp` is a prebuilt wheel (no compiler): `Server(CommonParams)` loads the GGUF in
a second or two and `handle_chat_completions(dict)` answers in process, with the model's
own chat template, `n_parallel` slots and continuous batching: requests that arrive
while others generate join the running batch at the next token, so llama.cpp does what
our micro-batcher does for transformers. Each loaded file is shared per process.

The slots are our queue's width: at most `slots` requests are inside llama.cpp at once,
the rest wait in `ChatModel`'s slot semaphore, so a request's timeout (when one is set)
counts from when llama.cpp starts on it; llama.cpp applies it as `t_max_predict_ms`.
The embedded models (`local:`) use this engine where it measured faster.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codesteer_cli.errors import UserError
from codesteer_cli.models.base import GenParams, RawReply, RetryPolicy, sampling_args
from codesteer_cli.models.engine import LocalModel, passive_waits, threads
from codesteer_cli.models.facts import ProviderInfo
from codesteer_cli.models.packages import installed

log = logging.getLogger("codesteer.models")

PACKAGE = "xllamacpp"
PIP = "xllamacpp==2026.10.11549"
PROVIDER = ProviderInfo(
    "gguf",
    "gguf:<file.gguf>",
    "a local GGUF file served by llama.cpp in process (xllamacpp), continuous batching",
    "LlamaCppModel",
    packages=(PACKAGE,),
    pip=PIP,
    key_required=False,
    local=True,
    order=65,
)
DEFAULT_SLOTS = 8  # steer's default concurrency
MAX_SLOTS = 64
CONTEXT_PER_SLOT = 4096  # tokens of prompt + answer one request may hold


@dataclass
class LlamaServer:
    """One GGUF loaded by llama.cpp with `slots` parallel sequences."""

    path: Path
    slots: int
    context_per_slot: int
    threads: int
    server: Any
    load_s: float
    requests: int = 0

    def chat(self, body: dict[str, Any]) -> dict[str, Any]:
        self.requests += 1
        reply = self.server.handle_chat_completions(body)
        if not isinstance(reply, dict):
            raise RuntimeError(f"llama.cpp answered {type(reply).__name__}, not a reply")
        return reply


_SERVERS: dict[tuple[str, int, int, int], LlamaServer] = {}
_SERVERS_LOCK = threading.Lock()


def require_engine() -> None:
    if not installed(PACKAGE):
        raise UserError(f"the llama.cpp engine needs the xllamacpp package: pip install {PIP}")


def load_server(path: Path, slots: int, context_per_slot: int = CONTEXT_PER_SLOT) -> LlamaServer:
    """The llama.cpp server for `path` with `slots` slots: loaded once, then shared."""
    n_threads = threads()
    key = (str(path), slots, context_per_slot, n_threads)
    with _SERVERS_LOCK:
        hit = _SERVERS.get(key)
        if hit is not None:
            return hit
        require_engine()
        passive_waits()
        import xllamacpp

        start = time.monotonic()
        p = xllamacpp.CommonParams()
        p.model.path = str(path)
        p.n_parallel = slots
        p.n_ctx = context_per_slot * slots
        p.cpuparams.n_threads = n_threads
        p.cpuparams_batch.n_threads = n_threads
        p.verbosity = -1  # llama.cpp logs every request at INFO otherwise
        p.warmup = False
        try:
            server = xllamacpp.Server(p)
        except Exception as exc:
            raise UserError(f"llama.cpp cannot load {path}: {exc}") from None
        srv = LlamaServer(
            path, slots, context_per_slot, n_threads, server, time.monotonic() - start
        )
        log.info(
            "llama.cpp loaded %s (%d slots, %d threads) in %.1fs",
            path.name,
            slots,
            n_threads,
            srv.load_s,
        )
        _SERVERS[key] = srv
        return srv


def file_identity(path: Path) -> str:
    """Name and size of a GGUF (its content is fixed by the package that shipped it)."""
    st = path.stat()
    return hashlib.sha256(f"{path.name}:{st.st_size}".encode()).hexdigest()[:16]


class LlamaCppModel(LocalModel):
    """A GGUF through llama.cpp; `concurrency` is its number of slots."""

    provider = "gguf"
    facts = PROVIDER
    engine = "llama.cpp"

    def __init__(
        self,
        spec: str,
        *,
        concurrency: int | None = None,
        request_timeout: float | None = None,
        retry: RetryPolicy | None = None,
        path: Path | None = None,
        identity: str | None = None,
    ) -> None:
        super().__init__(spec, request_timeout=request_timeout, retry=retry)
        gguf = path or Path(self.name).expanduser()
        if not gguf.is_file():
            raise UserError(f"{spec}: no GGUF file at {gguf}")
        slots = concurrency if concurrency is not None else (self.concurrency or DEFAULT_SLOTS)
        if not 1 <= slots <= MAX_SLOTS:
            raise ValueError(f"concurrency must be from 1 to {MAX_SLOTS} for llama.cpp")
        self.concurrency = slots  # the slot semaphore: requests beyond wait in our queue
        self.server = load_server(gguf.resolve(), slots, _context_per_slot())
        self.identity = identity or file_identity(gguf)

    @property
    def endpoint(self) -> str:
        return f"llama.cpp@{self.server.path}#{self.server.slots}"

    @property
    def cache_identity(self) -> str:
        return f"{self.spec}@llama.cpp:{self.identity}"

    def engine_info(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "slots": self.server.slots,
            "threads": self.server.threads,
            "context_per_slot": self.server.context_per_slot,
        }

    def _request(self, messages: list[dict[str, str]], params: GenParams) -> RawReply:
        body: dict[str, Any] = {
            "messages": messages,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
        }
        if params.effective_seed is not None:
            body["seed"] = params.effective_seed
        if params.stop:
            body["stop"] = list(params.stop)
        body |= sampling_args(params, top_k=True)
        if self.timeout_s is not None:
            body["t_max_predict_ms"] = int(self.timeout_s * 1000)
        reply = self.server.chat(body)
        error = reply.get("error")
        if error:
            message = error.get("message") if isinstance(error, dict) else str(error)
            raise ValueError(f"llama.cpp: {message}")
        choice = (reply.get("choices") or [{}])[0]
        text = (choice.get("message") or {}).get("content") or ""
        usage = reply.get("usage") or {}
        timings = reply.get("timings") or {}
        if (
            self.timeout_s is not None
            and choice.get("finish_reason") == "length"
            and timings.get("predicted_ms", 0) >= self.timeout_s * 1000
            and usage.get("completion_tokens", 0) < params.max_tokens
        ):
            raise TimeoutError(f"generation ran past {self.timeout_s:g}s")
        return RawReply(text, usage.get("prompt_tokens"), usage.get("completion_tokens"))


def _context_per_slot() -> int:
    raw = os.environ.get("CODESTEER_CONTEXT", "").strip()
    return int(raw) if raw.isdigit() and int(raw) >= 256 else CONTEXT_PER_SLOT
