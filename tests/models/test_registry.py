"""Specs, aliases and `get_model`'s one-instance-per-options rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesteer_cli.errors import UserError
from codesteer_cli.models import ALIASES, RetryPolicy, get_model, registry, resolve


def test_aliases() -> None:
    expected = {
        "gpt-4o": "openai:gpt-4o",
        "gpt-4o-mini": "openai:gpt-4o-mini",
        "gpt-3.5-turbo": "openai:gpt-3.5-turbo",
        "o1": "openai:o1",
        "o1-mini": "openai:o1-mini",
        "o3-mini": "openai:o3-mini",
        "mistral-large": "mistral:mistral-large-latest",
        "deepseek-chat": "deepseek:deepseek-chat",
        "deepseek-r1": "deepseek:deepseek-reasoner",
        "deepseek-reasoner": "deepseek:deepseek-reasoner",
        "smollm2": "local:smollm2",
    }
    for alias, spec in expected.items():
        assert resolve(alias) == spec
    assert resolve("claude-3-5-sonnet").startswith("anthropic:claude-3-5-sonnet")
    assert set(expected) <= set(ALIASES)
    assert resolve("openai:gpt-4o") == "openai:gpt-4o"
    assert resolve(" openai:gpt-4o ") == "openai:gpt-4o"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("gpt-17", "unknown model 'gpt-17'"),
        ("foo:bar", "unknown provider 'foo'"),
        ("openai:", "name a model after 'openai:'"),
        ("openai-compat:nohash", "openai-compat:<base_url>#<model>"),
        ("openai-compat:ftp://x#m", "must start with http"),
        ("hf:./no/such/folder", "does not exist"),
    ],
)
def test_spec_mistakes_are_user_errors(spec: str, message: str) -> None:
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace("[", r"\[")):
        get_model(spec)


def test_one_instance_per_spec_and_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789")
    a = get_model("gpt-4o")
    assert get_model("openai:gpt-4o") is a
    assert get_model("gpt-4o", concurrency=2) is not a
    assert get_model("gpt-4o", timeout_s=5) is not a
    slow = RetryPolicy(max_retries=1)
    assert get_model("gpt-4o", retry=slow) is get_model("gpt-4o", retry=RetryPolicy(max_retries=1))
    assert a.timeout_s == 120 and get_model("gpt-4o", timeout_s=5).timeout_s == 5
    assert a.concurrency == 16 and get_model("gpt-4o", concurrency=2).concurrency == 2


def test_missing_sdk_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISTRAL_API_KEY", "k-0123456789")
    real = registry._find
    monkeypatch.setattr(registry, "_find", lambda p: None if p == "mistralai" else real(p))
    with pytest.raises(UserError, match="pip install mistralai"):
        get_model("mistral-large")


def test_hf_specs_are_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "m").mkdir()
    monkeypatch.chdir(tmp_path)
    assert resolve("hf:m") == f"hf:{tmp_path / 'm'}"
    assert resolve("hf:org/name") == "hf:org/name"  # a hub id stays as written
