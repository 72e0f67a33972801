"""`mistral:<model>` — chat completions through the official `mistralai` SDK.

mistralai 3.x: `from mistralai.client import Mistral`. Its retries are turned off
(strategy "none"); `$MISTRAL_BASE_URL` points it elsewhere (it speaks the OpenAI wire
format, so llm-katan's OpenAI endpoint serves it in tests).
"""

from __future__ import annotations

from typing import Any

from codesteer_cli.errors import UserError
from codesteer_cli.models.base import (
    ChatModel,
    GenParams,
    RawReply,
    RetryPolicy,
    sampling_args,
)
from codesteer_cli.models.facts import ProviderInfo
from codesteer_cli.models.keys import get_setting, require_key
from codesteer_cli.models.packages import require

PROVIDER = ProviderInfo(
    "mistral",
    "mistral:<model>",
    "Mistral chat completions",
    "MistralModel",
    packages=("mistralai",),
    pip="mistralai",
    key_var="MISTRAL_API_KEY",
    base_url_var="MISTRAL_BASE_URL",
    default_base_url="https://api.mistral.ai",
    aliases=(("mistral-large", "mistral-large-latest"),),
    price_table="mistral",
    order=30,
)


class MistralModel(ChatModel):
    provider = "mistral"
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
        super().__init__(
            spec, concurrency=concurrency, request_timeout=request_timeout, retry=retry
        )
        if not self.name:
            raise UserError(f"{spec}: name a model after 'mistral:'")
        require(PROVIDER.packages, PROVIDER.pip, "mistral: models")
        key = require_key("MISTRAL_API_KEY", self.provider)
        self.base_url = get_setting("MISTRAL_BASE_URL")
        self._secrets = (key,)
        from mistralai.client import Mistral
        from mistralai.client.utils.retries import BackoffStrategy, RetryConfig

        no_retries = RetryConfig("none", BackoffStrategy(1, 1, 1.0, 1), False)
        self.client = Mistral(
            api_key=key,
            server_url=self.base_url,
            retry_config=no_retries,
            timeout_ms=None if self.timeout_s is None else int(self.timeout_s * 1000),
        )

    @property
    def endpoint(self) -> str:
        return f"mistral@{self.base_url or 'default'}"

    def _request(self, messages: list[dict[str, str]], params: GenParams) -> RawReply:
        args: dict[str, Any] = {
            "model": self.name,
            "messages": messages,
            "temperature": params.temperature,
            "max_tokens": params.max_tokens,
        }
        if params.effective_seed is not None:
            args["random_seed"] = params.effective_seed
        if params.stop:
            args["stop"] = list(params.stop)
        args |= sampling_args(params)  # the API has no top_k
        resp = self.client.chat.complete(**args)
        text = ""
        if resp.choices:
            content = resp.choices[0].message.content
            if isinstance(content, str):
                text = content
            elif content:  # a list of chunks
                text = "".join(getattr(c, "text", "") or "" for c in content)
        usage = getattr(resp, "usage", None)
        return RawReply(
            text,
            getattr(usage, "prompt_tokens", None) if usage else None,
            getattr(usage, "completion_tokens", None) if usage else None,
        )
