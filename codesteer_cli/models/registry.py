"""Model specs (`provider:model`), aliases, and `get_model`.

Providers declare themselves: every module in `codesteer_cli.models.providers` with a
`PROVIDER = ProviderInfo(...)` is one (found here, so adding a provider is adding its
module). `get_model` resolves aliases, creates each model once per process per (spec,
options), and wraps it with the response cache of `store` when one is given. SDKs,
torch, transformers and llama.cpp load only when a model of theirs is made.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import codesteer_cli.models.providers as _providers
from codesteer_cli.errors import UserError
from codesteer_cli.models.base import ChatModel, RetryPolicy
from codesteer_cli.models.facts import ProviderInfo
from codesteer_cli.models.keys import get_setting, setting_source
from codesteer_cli.models.packages import missing
from codesteer_cli.models.storage import models_dir

if TYPE_CHECKING:
    from codesteer_cli.store.db import Store

__all__ = [
    "ALIASES",
    "PROVIDERS",
    "ProviderInfo",
    "clear_models",
    "describe",
    "get_model",
    "model_defaults",
    "price_for",
    "resolve",
]


def _discover() -> dict[str, ProviderInfo]:
    found: list[ProviderInfo] = []
    for mod in pkgutil.iter_modules(_providers.__path__):
        name = f"{_providers.__name__}.{mod.name}"
        info = getattr(importlib.import_module(name), "PROVIDER", None)
        if isinstance(info, ProviderInfo):
            found.append(ProviderInfo(**{**info.__dict__, "module": name}))
    found.sort(key=lambda p: (p.order, p.name))
    return {p.name: p for p in found}


PROVIDERS: dict[str, ProviderInfo] = _discover()
ALIASES: dict[str, str] = {
    alias: f"{p.name}:{model}" for p in PROVIDERS.values() for alias, model in p.aliases
}


def resolve(spec: str) -> str:
    """The canonical `provider:model` for a spec or an alias (UserError if neither)."""
    s = spec.strip()
    if s in ALIASES:
        return ALIASES[s]
    provider, sep, name = s.partition(":")
    if not sep:
        raise UserError(
            f"unknown model {spec!r}: write provider:model (providers: "
            f"{', '.join(PROVIDERS)}) or use an alias (see `codesteer models`)"
        )
    if provider not in PROVIDERS:
        raise UserError(f"unknown provider {provider!r} in {spec!r}: known: {', '.join(PROVIDERS)}")
    name = name.strip()
    if not name:
        raise UserError(f"{spec!r}: name a model after '{provider}:' ({PROVIDERS[provider].form})")
    if provider == "hf":
        from codesteer_cli.models.providers.hf import canonical_name

        name = canonical_name(name)
    elif provider == "local":
        from codesteer_cli.models.providers.embedded import split_spec

        split_spec(name)
    elif provider == "gguf":
        name = str(Path(name).expanduser().resolve())
    return f"{provider}:{name}"


_MODELS: dict[tuple[Any, ...], ChatModel] = {}
_LOCKS: dict[tuple[Any, ...], threading.Lock] = {}
_LOCK = threading.Lock()


def _once(key: tuple[Any, ...], make: Any) -> ChatModel:
    with _LOCK:
        model = _MODELS.get(key)
        if model is not None:
            return model
        lock = _LOCKS.setdefault(key, threading.Lock())
    with lock:  # creating one model (loading weights) does not block the others
        model = _MODELS.get(key)
        if model is None:
            model = make()
            with _LOCK:
                _MODELS[key] = model
        return model


def _create(
    spec: str,
    concurrency: int | None,
    request_timeout: float | None,
    retry: RetryPolicy | None,
) -> ChatModel:
    info = PROVIDERS[spec.partition(":")[0]]
    gone = missing(info.packages)
    if gone:
        raise UserError(f"{info.name}: models need {', '.join(gone)}: pip install {info.pip}")
    make = getattr(importlib.import_module(info.module), info.cls)
    return make(spec, concurrency=concurrency, request_timeout=request_timeout, retry=retry)


def get_model(
    spec: str,
    *,
    store: Store | None = None,
    cache: bool = True,
    concurrency: int | None = None,
    request_timeout: float | None = None,
    retry: RetryPolicy | None = None,
    timeout_s: float | None = None,
) -> ChatModel:
    """The model for `spec` (an alias or provider:model), one instance per options.

    `concurrency`: requests on the wire at once for the provider (local models: batch
    size or llama.cpp slots); None: $CODESTEER_<PROVIDER>_CONCURRENCY, else the
    provider's default. `request_timeout`: seconds one attempt may take once sent (a
    request waiting in our queue is not timed); None: $CODESTEER_<PROVIDER>_TIMEOUT,
    else 120 s for APIs, 1800 s for servers on this machine, no limit for local models;
    0 = no limit. `timeout_s` is its former name. `retry`: backoff policy.
    With `store` and `cache`, answers are served from and saved to its response cache.
    Raises UserError for configuration mistakes (unknown provider, missing key/package).
    """
    if request_timeout is None:
        request_timeout = timeout_s
    canonical = resolve(spec)
    key = (canonical, concurrency, request_timeout, retry)
    inner = _once(key, lambda: _create(canonical, concurrency, request_timeout, retry))
    if store is None or not cache:
        return inner
    from codesteer_cli.models.cache import CachedModel

    return _once((*key, store.url), lambda: CachedModel(inner, store))


def clear_models() -> None:
    """Forget the model instances of this process (tests; loaded weights stay shared)."""
    with _LOCK:
        _MODELS.clear()
        _LOCKS.clear()


def model_defaults(spec: str) -> dict[str, Any]:
    """Episode settings that make `spec` usable: for the embedded models the prompt set
    and token limits (`EpisodeSettings` field names: prompts, task_max_tokens,
    guide_max_tokens, checker_max_tokens, checker_attempts); {} for every other model.
    Values the user gave explicitly should win over these."""
    from codesteer_cli.models.providers.embedded import model_defaults as embedded_defaults

    try:
        canonical = resolve(spec)
    except UserError:
        return {}
    return embedded_defaults(canonical)


def price_for(spec: str) -> tuple[float, float] | None:
    """(input, output) dollars per million tokens; 0.0 for local models, None if unknown."""
    from codesteer_cli.models.pricing import price

    provider, _, name = spec.partition(":")
    return price(PROVIDERS.get(provider), name)


def cost_usd(spec: str, tokens_in: int | None, tokens_out: int | None) -> float | None:
    from codesteer_cli.models.pricing import cost

    provider, _, name = spec.partition(":")
    return cost(PROVIDERS.get(provider), name, tokens_in, tokens_out)


# --- `codesteer models` -------------------------------------------------------------------
def describe() -> dict[str, Any]:
    """Providers, aliases and what is usable now; imports no SDK and loads nothing."""
    from codesteer_cli.models.pricing import PRICE_TABLE_DATE
    from codesteer_cli.models.providers import embedded
    from codesteer_cli.models.tokens import estimator_available

    providers = []
    for info in PROVIDERS.values():
        gone = missing(info.packages)
        key_src = setting_source(info.key_var) if info.key_var else None
        row: dict[str, Any] = {
            "name": info.name,
            "form": info.form,
            "description": info.description,
            "key_var": info.key_var,
            "key_required": info.key_required,
            "key": key_src,  # where the key comes from ("env", ".env") or None; never its value
            "base_url": None,
            "missing_packages": gone,
        }
        if info.base_url_var:
            override = get_setting(info.base_url_var)
            row["base_url"] = override or info.default_base_url
            row["base_url_var"] = info.base_url_var
            row["base_url_overridden"] = bool(override)
        problems = []
        if gone:
            problems.append(f"pip install {info.pip}")
        if info.key_required and not key_src:
            problems.append(f"set {info.key_var}")
        status = "usable" if not problems else "; ".join(problems)
        if info.name == "local" and not gone:
            models = embedded.status()
            row["models"] = models
            row["cache"] = str(embedded.cache_dir())
            row["cache_ready"] = embedded.is_ready()
            ready = [m["spec"] for m in models if m["packages"]]
            if not ready:
                problems.append(models[0]["pip"])
                status = "; ".join(problems)
            else:
                status = "usable: " + ", ".join(
                    f"{m['spec']} ({m['engine']})" for m in models if m["packages"]
                )
        row["usable"] = not problems
        row["status"] = status
        providers.append(row)
    usable = {p["name"]: p["usable"] for p in providers}
    aliases = []
    for alias, spec in ALIASES.items():
        price = price_for(spec)
        aliases.append(
            {
                "alias": alias,
                "spec": spec,
                "usable": usable[spec.partition(":")[0]],
                "price_in_per_m": price[0] if price else None,
                "price_out_per_m": price[1] if price else None,
            }
        )
    return {
        "price_table_date": PRICE_TABLE_DATE,
        "providers": providers,
        "aliases": aliases,
        "embedded": {
            "package": embedded.package_folder() is not None,
            "cache": str(embedded.cache_dir()),
            "cache_ready": embedded.is_ready(),
            "models_dir": str(models_dir()),
            "models": embedded.status(),
            "engines": embedded.engine_summary(),
        },
        "token_estimates": {
            name: estimator_available(name) for name in ("o200k_base", "cl100k_base")
        },
    }
