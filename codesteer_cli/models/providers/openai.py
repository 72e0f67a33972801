"""`openai:<model>` — chat completions through the official `openai` SDK.

Reasoning models (o1, o3, o4, gpt-5 families) take no temperature and no stop, and
count their budget in `max_completion_tokens`; their system message becomes a developer
message (o1-mini and o1-preview take neither: it is folded into the first user turn).
The SDK's own retries are off (`max_retries=0`): `ChatModel.complete` retries, counts
and backs off. `$OPENAI_BASE_URL` points it elsewhere (tests: llm-katan on 127.0.0.1).
"""

from __future__ import annotations

import importlib.util
from typing import Any

from codesteer_cli.errors import UserError
from codesteer_cli.models.base import ChatModel, GenParams, RawReply, RetryPolicy
from codesteer_cli.models.keys import BASE_URL_VARS, get_setting, require_key

NO_SYSTEM_ROLE = ("o1-mini", "o1-preview")


def is_reasoning_model(name: str) -> bool:
    base = name.split("/")[-1]
    if base.startswith(("o1", "o3", "o4")):
        return True
    return base.startswith("gpt-5") and "chat" not in base


def require_sdk(package: str, pip_name: str, provider: str) -> None:
    if importlib.util.find_spec(package) is None:
        raise UserError(f"{provider}: models need the {pip_name} package: pip install {pip_name}")


class OpenAIModel(ChatModel):
    provider = "openai"
    default_concurrency = 16
    default_base_url = "https://api.openai.com/v1"

    def __init__(
        self,
        spec: str,
        *,
        concurrency: int | None = None,
        timeout_s: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(spec, concurrency=concurrency, timeout_s=timeout_s, retry=retry)
        if not self.name:
            raise UserError(f"{spec}: name a model after '{self.provider}:'")
        require_sdk("openai", "openai", self.provider)
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
        return require_key(self.provider)

    def _base_url(self) -> str:
        return get_setting(BASE_URL_VARS[self.provider]) or self.default_base_url

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
        return args

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
