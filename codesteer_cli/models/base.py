"""What every model returns, and the call loop every provider shares.

A provider subclasses `ChatModel` and implements `_request` (one attempt, may raise).
`ChatModel.complete` adds what callers rely on: the per-provider concurrency slot (our
own queue: a request waits there, not on the wire, and its timeout starts when it is
sent), retries with exponential backoff and jitter (honouring Retry-After) on 429, 5xx,
timeouts and connection errors, latency, token estimates when the server reports none,
cost from the dated price table, key scrubbing, and turning any failure that is left
after the retries into `Completion(error=...)` instead of an exception.

Only the standard library is imported here: `codesteer --help` must stay fast.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from codesteer_cli.models.facts import ProviderInfo

log = logging.getLogger("codesteer.models")

DEFAULT_TIMEOUT_S = 120.0  # remote APIs (see limits.py for the settings)
ROLES = frozenset({"system", "user", "assistant"})
MAX_ERROR_CHARS = 800


@dataclass
class Usage:
    tokens_in: int | None
    tokens_out: int | None
    latency_s: float
    cost_usd: float | None  # None = unknown price (never silently 0); local models: 0.0
    tokens_estimated: bool = False  # True when counted by us, not reported by the provider


@dataclass
class Completion:
    text: str  # "" when the call failed
    usage: Usage
    model: str  # the full spec, e.g. "openai:gpt-4o"
    cached: bool = False  # served from the response cache (usage = the original call's)
    error: str | None = None  # set when the call failed after retries (no key ever in it)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry. Delays: base * 2**n, capped, with jitter."""

    max_retries: int = 5  # retries after the first attempt
    max_timeout_retries: int = 2  # of those, how many may follow a timeout
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0
    max_retry_after_s: float = 300.0  # a longer Retry-After is capped to this

    def delay(self, retry_index: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `retry_index` (0-based)."""
        if retry_after is not None:
            # The server said when: wait that long, plus a little jitter so that many
            # threads told the same moment do not come back at once.
            return min(retry_after, self.max_retry_after_s) + random.uniform(0, 0.1)
        ceiling = min(self.max_delay_s, self.base_delay_s * (2**retry_index))
        return random.uniform(ceiling / 2, ceiling)  # "equal jitter"


@dataclass(frozen=True)
class GenParams:
    """The generation parameters of one call (also part of the response-cache key)."""

    temperature: float
    max_tokens: int
    seed: int | None  # as the caller gave it
    repeat: int
    stop: tuple[str, ...]
    top_p: float | None = None  # nucleus sampling; None: the provider's default
    top_k: int | None = None  # None: the provider's default (not every API takes it)

    @property
    def effective_seed(self) -> int | None:
        """The seed sent to the provider: the caller's for repeat 0, a derived one after.

        Deliberate repeats (repeat=1, 2, ...) must not share a seed, or a seeded provider
        would return the same sample each time.
        """
        if self.seed is None or self.repeat == 0:
            return self.seed
        digest = hashlib.sha256(f"{self.seed}:{self.repeat}".encode()).digest()
        return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF

    def as_dict(self) -> dict[str, Any]:
        return {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
            "repeat": self.repeat,
            "stop": list(self.stop),
            # only when set, so the cache keys of calls without them stay as they were
            **({"top_p": self.top_p} if self.top_p is not None else {}),
            **({"top_k": self.top_k} if self.top_k is not None else {}),
        }


@dataclass
class RawReply:
    """What one successful provider attempt returns."""

    text: str
    tokens_in: int | None
    tokens_out: int | None
    tokens_estimated: bool = False


@dataclass(frozen=True)
class Failure:
    """How the retry loop treats an exception from one attempt."""

    reason: str  # rate_limit | server_error | timeout | connection | client_error | other
    retryable: bool
    status: int | None = None
    retry_after: float | None = None


class ModelStats:
    """Thread-safe counters of one model instance (client side)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0  # complete() calls that reached the provider code
        self.attempts = 0  # requests sent (first tries + retries)
        self.retries = 0
        self.failures = 0  # calls that returned an error
        self.reasons: dict[str, int] = {}  # attempt failures by reason
        self.in_flight = 0  # attempts holding a concurrency slot now
        self.peak_in_flight = 0

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def reason(self, reason: str) -> None:
        with self._lock:
            self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": self.calls,
                "attempts": self.attempts,
                "retries": self.retries,
                "failures": self.failures,
                "reasons": dict(self.reasons),
                "in_flight": self.in_flight,
                "peak_in_flight": self.peak_in_flight,
            }


_SEMAPHORES: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_SEM_LOCK = threading.Lock()


def provider_semaphore(key: str, limit: int) -> threading.BoundedSemaphore:
    """One semaphore per (provider endpoint, limit), shared by every model and thread."""
    with _SEM_LOCK:
        sem = _SEMAPHORES.get((key, limit))
        if sem is None:
            sem = _SEMAPHORES[(key, limit)] = threading.BoundedSemaphore(limit)
        return sem


def normalize_messages(messages: Any) -> list[dict[str, str]]:
    """Validate chat messages: a list of {"role", "content"} with string content."""
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages must be a non-empty list of {'role', 'content'} dicts")
    out = []
    for i, m in enumerate(messages):
        if not isinstance(m, Mapping) or "role" not in m or "content" not in m:
            raise ValueError(f"message {i} must be a dict with 'role' and 'content'")
        role, content = m["role"], m["content"]
        if role not in ROLES:
            raise ValueError(f"message {i}: role {role!r} is not one of {sorted(ROLES)}")
        if not isinstance(content, str):
            raise ValueError(f"message {i}: content must be a string")
        out.append({"role": role, "content": content})
    return out


def cut_at_stop(text: str, stop: tuple[str, ...]) -> str:
    """The text up to the earliest stop sequence (excluded), as the APIs do."""
    cut = len(text)
    for s in stop:
        if s:
            i = text.find(s)
            if 0 <= i < cut:
                cut = i
    return text[:cut]


def parse_retry_after(headers: Any) -> float | None:
    """Seconds from `retry-after-ms` or `Retry-After` (seconds or an HTTP date)."""
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            value = float(ms) / 1000
            return value if value >= 0 else None
        raw = headers.get("retry-after")
    except Exception:
        return None
    if raw is None:
        return None
    raw = str(raw).strip()
    try:
        value = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        value = when.timestamp() - time.time()
    return max(0.0, value)


_CONNECTION_NAMES = frozenset(
    {
        "APIConnectionError",
        "ConnectError",
        "NetworkError",
        "TransportError",
        "RemoteProtocolError",
        "ReadError",
        "WriteError",
        "NoResponseError",
        "ConnectionError",
        "ConnectionResetError",
        "ConnectionRefusedError",
        "BrokenPipeError",
    }
)


def classify_exception(exc: BaseException) -> Failure:
    """Map an SDK or transport exception to a retry decision (works for all three SDKs)."""
    names = [c.__name__ for c in type(exc).__mro__]
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and not isinstance(status, bool):
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None) or getattr(exc, "headers", None)
        retry_after = parse_retry_after(headers)
        if status == 429:
            return Failure("rate_limit", True, status, retry_after)
        if status >= 500 or status in (408, 409, 425):
            return Failure("server_error", True, status, retry_after)
        return Failure("client_error", False, status)
    if any("Timeout" in n for n in names):
        return Failure("timeout", True)
    if any(n in _CONNECTION_NAMES for n in names):
        return Failure("connection", True)
    return Failure("other", False)


def describe_exception(exc: BaseException) -> str:
    """One line: exception type and its message (before scrubbing)."""
    msg = str(exc).strip().replace("\n", " ")
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


class ChatModel:
    """Base class of every provider. `complete` is thread-safe and never raises for
    provider or network failures; configuration mistakes raise `UserError` in
    `__init__`."""

    spec: str = ""
    provider: str = ""
    facts: ProviderInfo | None = None  # the provider's declaration (prices, variables)
    local: bool = False  # runs in this process (price 0.0, exact token counts)
    default_concurrency: int | None = 8  # None = no slot (local models batch instead)
    default_timeout_s: float | None = DEFAULT_TIMEOUT_S  # None = no limit

    def __init__(
        self,
        spec: str,
        *,
        concurrency: int | None = None,
        request_timeout: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        """`concurrency`: requests on the wire at once (None: the provider's setting or
        default); `request_timeout`: seconds per attempt once sent (None: the setting or
        default; 0: no limit). See `limits.py` for the settings."""
        from codesteer_cli.models.limits import concurrency as concurrency_setting
        from codesteer_cli.models.limits import request_timeout as timeout_setting
        from codesteer_cli.models.limits import retries as retries_setting

        self.spec = spec
        self.provider, _, self.name = spec.partition(":")
        self.timeout_s = timeout_setting(self.provider, request_timeout, self.default_timeout())
        if retry is None:
            retry = RetryPolicy(max_retries=retries_setting(self.provider, RetryPolicy.max_retries))
        self.retry = retry
        self.concurrency = concurrency_setting(self.provider, concurrency, self.default_concurrency)
        self.stats = ModelStats()
        self._secrets: tuple[str, ...] = ()

    def default_timeout(self) -> float | None:
        return self.default_timeout_s

    @property
    def request_timeout(self) -> float | None:
        """Seconds one attempt may take once sent; None = no limit."""
        return self.timeout_s

    # --- what providers implement ----------------------------------------------------
    def _request(self, messages: list[dict[str, str]], params: GenParams) -> RawReply:
        raise NotImplementedError

    def _classify(self, exc: BaseException) -> Failure:
        return classify_exception(exc)

    @property
    def endpoint(self) -> str:
        """What the concurrency slot is shared by: the provider and its base URL."""
        return self.provider

    @property
    def cache_identity(self) -> str:
        """What the response cache keys on besides the request (local models add a
        fingerprint of their weights, so retrained weights never hit stale answers)."""
        return self.spec

    def count_tokens(self, text: str) -> int:
        """Our own count of `text`, used when a server reports no usage."""
        from codesteer_cli.models.tokens import estimate_tokens

        return estimate_tokens(text, self.name)

    # --- the shared call loop --------------------------------------------------------
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
        start = time.monotonic()
        self.stats.add("calls")
        retries = timeout_retries = 0
        while True:
            self.stats.add("attempts")
            try:
                with self._slot():
                    raw = self._request(msgs, params)
            except Exception as exc:
                failure = self._classify(exc)
                self.stats.reason(failure.reason)
                may_retry = failure.retryable and retries < self.retry.max_retries
                if failure.reason == "timeout":
                    may_retry = may_retry and timeout_retries < self.retry.max_timeout_retries
                if may_retry:
                    wait = self.retry.delay(retries, failure.retry_after)
                    retries += 1
                    timeout_retries += failure.reason == "timeout"
                    self.stats.add("retries")
                    log.info("%s: %s, retry %d in %.2fs", self.spec, failure.reason, retries, wait)
                    time.sleep(wait)
                    continue
                self.stats.add("failures")
                return self._failed(exc, failure, retries + 1, time.monotonic() - start)
            return self._succeeded(msgs, params, raw, time.monotonic() - start)

    @contextmanager
    def _slot(self) -> Iterator[None]:
        if self.concurrency is None:
            yield
            return
        sem = provider_semaphore(self.endpoint, self.concurrency)
        with sem:
            self.stats.enter()
            try:
                yield
            finally:
                self.stats.leave()

    def _succeeded(
        self, msgs: list[dict[str, str]], params: GenParams, raw: RawReply, latency: float
    ) -> Completion:
        from codesteer_cli.models.pricing import cost

        text = cut_at_stop(raw.text or "", params.stop) if params.stop else raw.text or ""
        tokens_in, tokens_out, estimated = raw.tokens_in, raw.tokens_out, raw.tokens_estimated
        if tokens_in is None:
            tokens_in = self.count_tokens(_render_for_count(msgs))
            estimated = True
        if tokens_out is None:
            tokens_out = self.count_tokens(text)
            estimated = True
        usage = Usage(
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            latency_s=latency,
            cost_usd=cost(self.facts, self.name, tokens_in, tokens_out),
            tokens_estimated=estimated,
        )
        return Completion(text=text, usage=usage, model=self.spec)

    def _failed(
        self, exc: BaseException, failure: Failure, attempts: int, latency: float
    ) -> Completion:
        from codesteer_cli.models.keys import scrub

        detail = scrub(describe_exception(exc), self._secrets)
        if len(detail) > MAX_ERROR_CHARS:
            detail = detail[: MAX_ERROR_CHARS - 3] + "..."
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        error = f"{failure.reason}{tries}: {detail}"
        log.warning("%s: call failed: %s", self.spec, error)
        usage = Usage(
            tokens_in=None,
            tokens_out=None,
            latency_s=latency,
            cost_usd=0.0 if self.local else None,
        )
        return Completion(text="", usage=usage, model=self.spec, error=error)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec!r})"


def make_params(
    temperature: float,
    max_tokens: int,
    seed: int | None,
    repeat: int,
    stop: list[str] | None,
    top_p: float | None = None,
    top_k: int | None = None,
) -> GenParams:
    if temperature < 0:
        raise ValueError("temperature must be >= 0")
    if max_tokens < 1:
        raise ValueError("max_tokens must be >= 1")
    if repeat < 0:
        raise ValueError("repeat must be >= 0")
    if top_p is not None and not 0 < top_p <= 1:
        raise ValueError("top_p must be in (0, 1]")
    if top_k is not None and top_k < 1:
        raise ValueError("top_k must be >= 1")
    return GenParams(
        temperature=float(temperature),
        max_tokens=int(max_tokens),
        seed=None if seed is None else int(seed),
        repeat=int(repeat),
        stop=tuple(s for s in (stop or ()) if s),
        top_p=None if top_p is None else float(top_p),
        top_k=None if top_k is None else int(top_k),
    )


def sampling_args(params: GenParams, top_k: bool = False) -> dict[str, Any]:
    """top_p (and, for APIs that take it, top_k) as request fields, only when set and
    only when sampling: a greedy call sends neither."""
    if params.temperature <= 0:
        return {}
    out: dict[str, Any] = {}
    if params.top_p is not None:
        out["top_p"] = params.top_p
    if top_k and params.top_k is not None:
        out["top_k"] = params.top_k
    return out


def _render_for_count(msgs: list[dict[str, str]]) -> str:
    return "\n".join(f"{m['role']}: {m['content']}" for m in msgs)
