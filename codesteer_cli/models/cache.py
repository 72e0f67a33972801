"""The response cache: finished calls kept in the run store (`ResponseCacheRow`).

The key is the sha256 of the model's identity, the messages, the generation parameters,
the seed and the repeat index. Re-running a finished run is served from here and makes
no provider call; deliberate repeats (repeat=0, 1, 2, ...) each get their own entry, so
they are never served one another's answer. A result is written as soon as its call
returns, so a killed run loses only the calls in flight. Failed calls are not cached.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from typing import TYPE_CHECKING, Any

from codesteer_cli.models.base import (
    ChatModel,
    Completion,
    GenParams,
    Usage,
    make_params,
    normalize_messages,
)

if TYPE_CHECKING:
    from codesteer_cli.store.db import Store

log = logging.getLogger("codesteer.models")

KEY_VERSION = 1  # bump when the key's content changes meaning


def cache_request(identity: str, messages: list[dict[str, str]], params: GenParams) -> dict:
    """Everything that determines an answer, as stored in `ResponseCacheRow.request`."""
    return {
        "v": KEY_VERSION,
        "model": identity,
        "messages": messages,
        "params": params.as_dict(),
    }


def cache_key(request: dict[str, Any]) -> str:
    blob = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


class CachedModel(ChatModel):
    """Wraps a model with the response cache of one store."""

    def __init__(self, inner: ChatModel, store: Store) -> None:
        # Deliberately no super().__init__: this wrapper has no client, slot or retries.
        self.inner = inner
        self.store = store
        self.spec = inner.spec
        self.provider = inner.provider
        self.name = inner.name
        self.local = inner.local
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()

    @property
    def stats(self):  # type: ignore[no-untyped-def, override]
        return self.inner.stats

    def __getattr__(self, name: str) -> Any:
        # Anything else (timeout_s, generate_calls, lm, ...) is the wrapped model's.
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    @property
    def cache_identity(self) -> str:
        return self.inner.cache_identity

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        temperature: float = 0.0,
        max_tokens: int = 1024,
        seed: int | None = None,
        repeat: int = 0,
        stop: list[str] | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
    ) -> Completion:
        msgs = normalize_messages(messages)
        params = make_params(temperature, max_tokens, seed, repeat, stop, top_p, top_k)
        request = cache_request(self.inner.cache_identity, msgs, params)
        key = cache_key(request)
        hit = self._lookup(key)
        if hit is not None:
            with self._lock:
                self.hits += 1
            return hit
        with self._lock:
            self.misses += 1
        result = self.inner.complete(
            msgs,
            temperature=temperature,
            max_tokens=max_tokens,
            seed=seed,
            repeat=repeat,
            stop=stop,
            top_p=top_p,
            top_k=top_k,
        )
        if result.ok:
            self._save(key, request, result)
        return result

    def _lookup(self, key: str) -> Completion | None:
        from codesteer_cli.store.cache import cached_response

        try:
            row = cached_response(self.store, key)
        except Exception as exc:  # an unreadable cache must not fail the call
            log.warning("response cache lookup failed: %s", exc)
            return None
        if row is None:
            return None
        usage = Usage(
            tokens_in=row.tokens_in,
            tokens_out=row.tokens_out,
            latency_s=row.latency_s if row.latency_s is not None else 0.0,
            cost_usd=row.cost_usd,
            tokens_estimated=bool((row.request or {}).get("tokens_estimated", False)),
        )
        return Completion(text=row.response, usage=usage, model=self.spec, cached=True)

    def _save(self, key: str, request: dict[str, Any], result: Completion) -> None:
        from codesteer_cli.store.cache import save_response
        from codesteer_cli.store.models import utcnow

        values = {
            "key": key,
            "model": self.spec,
            "request": {**request, "tokens_estimated": result.usage.tokens_estimated},
            "response": result.text,
            "tokens_in": result.usage.tokens_in,
            "tokens_out": result.usage.tokens_out,
            "latency_s": result.usage.latency_s,
            "cost_usd": result.usage.cost_usd,
            "created_at": utcnow(),
        }
        try:
            save_response(self.store, values)
        except Exception as exc:  # a concurrent duplicate or a busy store: keep the answer
            log.warning("response cache write failed: %s", exc)

    def __repr__(self) -> str:
        return f"CachedModel({self.inner!r}, store={self.store.display!r})"
