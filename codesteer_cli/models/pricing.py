"""The dated price table and the cost of a call.

Prices are list prices in US dollars per million tokens (standard tier: no batch,
cached-input or regional discounts) as published by each provider on
`PRICE_TABLE_DATE`. A run stores that date, so its dollars can be recomputed when
prices change. Tables are keyed by the `price_table` a provider declares
(`ProviderInfo`); a model not in its table has cost None (unknown), never 0; models that
run in this process (`hf:`, `local:`) cost 0.0. Token estimates live in `tokens.py`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codesteer_cli.models.facts import ProviderInfo

PRICE_TABLE_DATE = "2025-10-01"

# price table (a provider's `price_table`) -> model -> (input $/M tokens, output $/M tokens)
PRICES: dict[str, dict[str, tuple[float, float]]] = {
    "openai": {
        "gpt-4o": (2.50, 10.00),
        "gpt-4o-2024-05-13": (5.00, 15.00),
        "gpt-4o-mini": (0.15, 0.60),
        "gpt-4.1": (2.00, 8.00),
        "gpt-4.1-mini": (0.40, 1.60),
        "gpt-4.1-nano": (0.10, 0.40),
        "gpt-4-turbo": (10.00, 30.00),
        "gpt-4": (30.00, 60.00),
        "gpt-3.5-turbo": (0.50, 1.50),
        "gpt-5": (1.25, 10.00),
        "gpt-5-mini": (0.25, 2.00),
        "gpt-5-nano": (0.05, 0.40),
        "o1": (15.00, 60.00),
        "o1-preview": (15.00, 60.00),
        "o1-mini": (1.10, 4.40),
        "o3": (2.00, 8.00),
        "o3-mini": (1.10, 4.40),
        "o4-mini": (1.10, 4.40),
    },
    "anthropic": {
        "claude-3-5-sonnet": (3.00, 15.00),
        "claude-3-7-sonnet": (3.00, 15.00),
        "claude-sonnet-4": (3.00, 15.00),
        "claude-sonnet-4-5": (3.00, 15.00),
        "claude-3-5-haiku": (0.80, 4.00),
        "claude-3-haiku": (0.25, 1.25),
        "claude-haiku-4-5": (1.00, 5.00),
        "claude-3-opus": (15.00, 75.00),
        "claude-opus-4": (15.00, 75.00),
        "claude-opus-4-1": (15.00, 75.00),
    },
    "mistral": {
        "mistral-large": (2.00, 6.00),
    },
    "deepseek": {
        # DeepSeek-V3.2 pricing (cache-miss input) since 2025-09-29, both endpoints.
        "deepseek-chat": (0.28, 0.42),
        "deepseek-reasoner": (0.28, 0.42),
    },
}

# Snapshot suffixes that share the base model's price: -2024-08-06, -20241022, -2411,
# -latest. An exact entry (gpt-4o-2024-05-13) wins over the stripped name.
_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|latest)$")


def price(info: ProviderInfo | None, name: str) -> tuple[float, float] | None:
    """(input, output) dollars per million tokens of model `name` of provider `info`:
    0.0 for local models, None if unknown."""
    if info is None:
        return None
    if info.local:
        return (0.0, 0.0)
    table = PRICES.get(info.price_table or "")
    if not table:
        return None
    while True:
        if name in table:
            return table[name]
        stripped = _SNAPSHOT.sub("", name)
        if stripped == name:
            return None
        name = stripped


def cost(
    info: ProviderInfo | None, name: str, tokens_in: int | None, tokens_out: int | None
) -> float | None:
    """Dollars for one call; None when the price or a token count is unknown."""
    p = price(info, name)
    if p is None or tokens_in is None or tokens_out is None:
        return None
    if p == (0.0, 0.0):
        return 0.0
    return (tokens_in * p[0] + tokens_out * p[1]) / 1_000_000
