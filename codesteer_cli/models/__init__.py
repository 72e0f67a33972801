"""The model layer: one `ChatModel` interface over API providers and local models.

    from codesteer_cli.models import get_model
    model = get_model("gpt-4o", store=store)          # alias -> "openai:gpt-4o"
    done = model.complete([{"role": "user", "content": "..."}], temperature=0.0)
    done.text, done.usage.tokens_in, done.usage.cost_usd, done.ok
    model_defaults("local:qwen-coder")  # episode settings an embedded model needs

Importing this package is cheap: SDKs, torch and transformers load with the first model
that needs them.
"""

from __future__ import annotations

from codesteer_cli.models.base import ChatModel, Completion, RetryPolicy, Usage
from codesteer_cli.models.pricing import PRICE_TABLE_DATE
from codesteer_cli.models.registry import ALIASES, PROVIDERS, get_model, model_defaults, resolve

__all__ = [
    "ALIASES",
    "PRICE_TABLE_DATE",
    "PROVIDERS",
    "ChatModel",
    "Completion",
    "RetryPolicy",
    "Usage",
    "get_model",
    "model_defaults",
    "resolve",
]
