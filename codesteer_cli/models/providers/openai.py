"""`openai:<model>` — chat completions through the official `openai` SDK.

Reasoning models (o1, o3, o4, gpt-5 families) take no temperature and no stop, and
count their budget in `max_completion_tokens`; their system message becomes a developer
message (o1-mini and o1-preview take neither: it is folded into the first user turn).
The SDK's own retries are off (`max_retries=0`): `ChatModel.complete` retries, counts
and backs off. `$OPENAI_BASE_URL` points it elsewhere (tests: llm-katan on 127.0.0.1).
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
    "openai",
    "openai:<model>",
    "OpenAI chat completions (o1/o3-style reasoning models handled)",
    "OpenAIModel",
    packages=("openai",),
    pip="openai",
    key_var="OPENAI_API_KEY",
    base_url_var="OPENAI_BASE_URL",
    default_base_url="https://api.openai.com/v1",
    aliases=tuple(
        (a, a)
        for a in (
            "gpt-4o",
            "gpt-4o-mini",
            "gpt-3.5-turbo",
            "o1",
            "o1-mini",
            "o1-preview",
            "o3-mini",
        )
    ),
    price_table="openai",
    order=10,
)

NO_SYSTEM_ROLE = ("o1-mini", "o1-preview")


def is_reasoning_model(name: str) -> bool:
    base = name.split("/")[-1]
    if base.startswith(("o1", "o3", "o4")):
        return True
    return base.startswith("gpt-5") and "chat" not in base


class OpenAIModel(ChatModel):
    provider = "openai"
    facts = PROVIDER
    default_concurrency = 16

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
            raise UserError(f"{spec}: name a model after '{self.provider}:'")
        require(("openai",), "openai", f"{self.provider}: models")
        self.api_key = self._api_key()
        self.base_url = self._base_url()
        self._secrets = (self.api_key,)
        import openai

        self.client = openai.OpenAI(
            api_key=self.api_key,
            base_url=self.base_url,
            max_retries=0,
            timeout=self.timeout_s,
        )

    def _api_key(self) -> str:
        assert self.facts and self.facts.key_var
        return require_key(self.facts.key_var, self.provider)

    def _base_url(self) -> str:
        assert self.facts and self.facts.base_url_var and self.facts.default_base_url
        return get_setting(self.facts.base_url_var) or self.facts.default_base_url

    @property
    def endpoint(self) -> str:
        return f"{self.provider}@{self.base_url}"

    def _model_name(self) -> str:
        return self.name

    def _arguments(self, messages: list[dict[str, str]], params: GenParams) -> dict[str, Any]:
        name = self._model_name()
        args: dict[str, Any] = {"model": name}
        if is_reasoning_model(name):
            args["messages"] = _reasoning_messages(messages, name)
            args["max_completion_tokens"] = params.max_tokens
            return args
        args["messages"] = messages
        args["max_tokens"] = params.max_tokens
        args["temperature"] = params.temperature
        if params.effective_seed is not None:
            args["seed"] = params.effective_seed
        if params.stop:
            args["stop"] = list(params.stop[:4])  # the API takes 4; the rest cut client-side
        return args | sampling_args(params)  # the API has no top_k

    def _request(self, messages: list[dict[str, str]], params: GenParams) -> RawReply:
        resp = self.client.chat.completions.create(**self._arguments(messages, params))
        text = ""
        if resp.choices:
            text = resp.choices[0].message.content or ""
        usage = getattr(resp, "usage", None)
        tokens_in = getattr(usage, "prompt_tokens", None) if usage else None
        tokens_out = getattr(usage, "completion_tokens", None) if usage else None
        return RawReply(text, tokens_in, tokens_out)


def _reasoning_messages(messages: list[dict[str, str]], name: str) -> list[dict[str, str]]:
    base = name.split("/")[-1]
    system = [m["content"] for m in messages if m["role"] == "system"]
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if not system:
        return rest
    if base.startswith(NO_SYSTEM_ROLE):
        preamble = "\n\n".join(system)
        for m in rest:
            if m["role"] == "user":
                m["content"] = f"{preamble}\n\n{m['content']}"
                return rest
        return [{"role": "user", "content": preamble}, *rest]
    return [
        {"role": "developer", "content": m["content"]} if m["role"] == "system" else m
        for m in messages
    ]
