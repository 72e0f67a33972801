"""`openai-compat:<base_url>#<model>` — any OpenAI-compatible server (vLLM, llama.cpp,
TGI, llm-katan, ...).

The key is optional (`$OPENAI_COMPAT_API_KEY`). The price is unknown (cost None). When
the server reports no usage, tokens are counted here and marked estimated.

A server on this machine (a loopback address) is slow rather than stuck, so its
requests get a long timeout (`LOCAL_SERVER_TIMEOUT_S`) instead of the APIs' 120 s;
and when it says how many requests it runs at once (llama.cpp's `/props` reports
`total_slots`), no more than that are sent: the rest wait in codesteer's queue, where
no timeout runs, instead of in the server's.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from codesteer_cli.errors import UserError
from codesteer_cli.models.base import GenParams, RetryPolicy, sampling_args
from codesteer_cli.models.facts import ProviderInfo
from codesteer_cli.models.keys import get_setting
from codesteer_cli.models.limits import API_TIMEOUT_S, LOCAL_SERVER_TIMEOUT_S
from codesteer_cli.models.providers.openai import OpenAIModel

log = logging.getLogger("codesteer.models")

PROVIDER = ProviderInfo(
    "openai-compat",
    "openai-compat:<base_url>#<model>",
    "any OpenAI-compatible server (vLLM, llama.cpp, TGI); key optional",
    "OpenAICompatModel",
    packages=("openai",),
    pip="openai",
    key_var="OPENAI_COMPAT_API_KEY",
    key_required=False,
    order=50,
)
PLACEHOLDER_KEY = "not-needed"


def split_compat(name: str) -> tuple[str, str]:
    """(base_url, model) from `<base_url>#<model>`."""
    base_url, sep, model = name.rpartition("#")
    if not sep or not base_url or not model:
        raise UserError(
            f"openai-compat:{name}: write openai-compat:<base_url>#<model>, "
            "e.g. openai-compat:http://127.0.0.1:8000/v1#my-model"
        )
    if not base_url.startswith(("http://", "https://")):
        raise UserError(f"openai-compat: base URL {base_url!r} must start with http:// or https://")
    return base_url.rstrip("/"), model


def is_loopback(base_url: str) -> bool:
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def server_slots(base_url: str, timeout_s: float = 1.0) -> int | None:
    """How many requests the server runs at once, when it says (llama.cpp: /props)."""
    root = base_url[: -len("/v1")] if base_url.endswith("/v1") else base_url
    try:
        with urllib.request.urlopen(f"{root}/props", timeout=timeout_s) as resp:
            props = json.loads(resp.read())
    except (OSError, ValueError):
        return None
    slots = props.get("total_slots") if isinstance(props, dict) else None
    return slots if isinstance(slots, int) and not isinstance(slots, bool) and slots > 0 else None


class OpenAICompatModel(OpenAIModel):
    provider = "openai-compat"
    facts = PROVIDER
    default_concurrency = 8

    def __init__(
        self,
        spec: str,
        *,
        concurrency: int | None = None,
        request_timeout: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        name = spec.partition(":")[2]
        self.compat_base_url, self.compat_model = split_compat(name)
        super().__init__(
            spec, concurrency=concurrency, request_timeout=request_timeout, retry=retry
        )
        self.server_slots = server_slots(self.compat_base_url) if self.local_server else None
        if self.server_slots is not None and self.concurrency is not None:
            if self.concurrency > self.server_slots:
                log.info(
                    "%s runs %d requests at once: the others wait in our queue",
                    self.compat_base_url,
                    self.server_slots,
                )
            self.concurrency = min(self.concurrency, self.server_slots)

    @property
    def local_server(self) -> bool:
        return is_loopback(self.compat_base_url)

    def default_timeout(self) -> float | None:
        return LOCAL_SERVER_TIMEOUT_S if self.local_server else API_TIMEOUT_S

    def _api_key(self) -> str:
        return get_setting("OPENAI_COMPAT_API_KEY") or PLACEHOLDER_KEY

    def _base_url(self) -> str:
        return self.compat_base_url

    def _model_name(self) -> str:
        return self.compat_model

    def count_tokens(self, text: str) -> int:
        from codesteer_cli.models.tokens import estimate_tokens

        return estimate_tokens(text, self.compat_model)

    def _arguments(self, messages: list[dict[str, str]], params: GenParams) -> dict[str, Any]:
        args: dict[str, Any] = {
            "model": self.compat_model,
            "messages": messages,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
        }
        if params.effective_seed is not None:
            args["seed"] = params.effective_seed
        if params.stop:
            args["stop"] = list(params.stop)
        extra = sampling_args(params, top_k=True)
        if "top_k" in extra:  # not in the OpenAI schema; vLLM and llama.cpp servers read it
            args["extra_body"] = {"top_k": extra.pop("top_k")}
        return args | extra
