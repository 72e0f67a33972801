"""`openai-compat:<base_url>#<model>` — any OpenAI-compatible server (vLLM, llama.cpp,
TGI, llm-katan, ...).

The key is optional (`$OPENAI_COMPAT_API_KEY`). The price is unknown (cost None). When
the server reports no usage, tokens are counted here and marked estimated.
"""

from __future__ import annotations

from typing import Any

from codesteer_cli.errors import UserError
from codesteer_cli.models.base import GenParams, RetryPolicy
from codesteer_cli.models.keys import KEY_VARS, get_setting
from codesteer_cli.models.providers.openai import OpenAIModel

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


class OpenAICompatModel(OpenAIModel):
    provider = "openai-compat"
    default_concurrency = 8

    def __init__(
        self,
        spec: str,
        *,
        concurrency: int | None = None,
        timeout_s: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        name = spec.partition(":")[2]
        self.compat_base_url, self.compat_model = split_compat(name)
        super().__init__(spec, concurrency=concurrency, timeout_s=timeout_s, retry=retry)

    def _api_key(self) -> str:
        return get_setting(KEY_VARS[self.provider]) or PLACEHOLDER_KEY

    def _base_url(self) -> str:
        return self.compat_base_url

    def _model_name(self) -> str:
        return self.compat_model

    def count_tokens(self, text: str) -> int:
        from codesteer_cli.models.pricing import estimate_tokens

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
        return args
