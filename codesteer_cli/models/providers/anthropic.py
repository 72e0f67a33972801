"""`anthropic:<model>` — the Messages API through the official `anthropic` SDK.

System messages go to `system=`; consecutive turns of one role are merged (the API
wants them alternating). SDK 2.x takes `temperature` only through `extra_body`, and
authenticates with `Authorization: Bearer`; the key is also sent as `x-api-key`, which
the API (and llm-katan) read. The SDK's own retries are off. `$ANTHROPIC_BASE_URL`
points it elsewhere. Seeds are not supported by the API (they still key the cache).
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
    "anthropic",
    "anthropic:<model>",
    "Anthropic Messages API",
    "AnthropicModel",
    packages=("anthropic",),
    pip="anthropic",
    key_var="ANTHROPIC_API_KEY",
    base_url_var="ANTHROPIC_BASE_URL",
    default_base_url="https://api.anthropic.com",
    aliases=(("claude-3-5-sonnet", "claude-3-5-sonnet-20241022"),),
    price_table="anthropic",
    order=20,
)


def to_anthropic(messages: list[dict[str, str]]) -> tuple[str | None, list[dict[str, str]]]:
    """(system text or None, alternating user/assistant turns)."""
    system = [m["content"] for m in messages if m["role"] == "system"]
    turns: list[dict[str, str]] = []
    for m in messages:
        if m["role"] == "system":
            continue
        if turns and turns[-1]["role"] == m["role"]:
            turns[-1] = {"role": m["role"], "content": f"{turns[-1]['content']}\n\n{m['content']}"}
        else:
            turns.append({"role": m["role"], "content": m["content"]})
    return ("\n\n".join(system) if system else None), turns


class AnthropicModel(ChatModel):
    provider = "anthropic"
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
            raise UserError(f"{spec}: name a model after 'anthropic:'")
        require(PROVIDER.packages, PROVIDER.pip, "anthropic: models")
        key = require_key("ANTHROPIC_API_KEY", self.provider)
        self.base_url = get_setting("ANTHROPIC_BASE_URL")
        self._secrets = (key,)
        import anthropic

        self.client = anthropic.Anthropic(
            api_key=key,
            base_url=self.base_url,
            max_retries=0,
            timeout=self.timeout_s,
            default_headers={"x-api-key": key},
        )

    @property
    def endpoint(self) -> str:
        return f"anthropic@{self.base_url or 'default'}"

    def _request(self, messages: list[dict[str, str]], params: GenParams) -> RawReply:
        system, turns = to_anthropic(messages)
        args: dict[str, Any] = {
            "model": self.name,
            "messages": turns,
            "max_tokens": params.max_tokens,
            # The API takes 0..1; higher requests are sent as 1.
            "extra_body": {"temperature": min(params.temperature, 1.0)},
        }
        if system is not None:
            args["system"] = system
        if params.stop:
            args["stop_sequences"] = list(params.stop)
        args["extra_body"] |= sampling_args(params, top_k=True)
        resp = self.client.messages.create(**args)
        text = "".join(
            getattr(block, "text", "") or ""
            for block in (resp.content or [])
            if getattr(block, "type", "") == "text"
        )
        usage = getattr(resp, "usage", None)
        return RawReply(
            text,
            getattr(usage, "input_tokens", None) if usage else None,
            getattr(usage, "output_tokens", None) if usage else None,
        )
