"""`deepseek:<model>` — DeepSeek's OpenAI-compatible API (https://api.deepseek.com).

`deepseek-chat` (V3) and `deepseek-reasoner` (R1). The reasoner ignores sampling
parameters, so none are sent; its chain of thought (`reasoning_content`) is not part of
the answer, but its tokens are in `completion_tokens` and are billed.
"""

from __future__ import annotations

from typing import Any

from codesteer_cli.models.base import GenParams, sampling_args
from codesteer_cli.models.facts import ProviderInfo
from codesteer_cli.models.providers.openai import OpenAIModel

PROVIDER = ProviderInfo(
    "deepseek",
    "deepseek:<model>",
    "DeepSeek (OpenAI-compatible API)",
    "DeepSeekModel",
    packages=("openai",),
    pip="openai",
    key_var="DEEPSEEK_API_KEY",
    base_url_var="DEEPSEEK_BASE_URL",
    default_base_url="https://api.deepseek.com",
    aliases=(
        ("deepseek-chat", "deepseek-chat"),
        ("deepseek-r1", "deepseek-reasoner"),
        ("deepseek-reasoner", "deepseek-reasoner"),
    ),
    price_table="deepseek",
    order=40,
)


class DeepSeekModel(OpenAIModel):
    provider = "deepseek"
    facts = PROVIDER

    def _arguments(self, messages: list[dict[str, str]], params: GenParams) -> dict[str, Any]:
        args: dict[str, Any] = {
            "model": self.name,
            "messages": messages,
            "max_tokens": params.max_tokens,
        }
        if params.stop:
            args["stop"] = list(params.stop[:16])
        if "reasoner" not in self.name and "r1" not in self.name:
            args["temperature"] = params.temperature
            if params.effective_seed is not None:
                args["seed"] = params.effective_seed
            args |= sampling_args(params)
        return args
