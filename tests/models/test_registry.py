"""Specs, aliases and `get_model`'s one-instance-per-options rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesteer_cli.errors import UserError
from codesteer_cli.models import ALIASES, RetryPolicy, get_model, registry, resolve
from codesteer_cli.models.limits import LOCAL_SERVER_TIMEOUT_S
from codesteer_cli.models.packages import missing, require


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
    assert get_model("gpt-4o", request_timeout=5) is not a
    assert get_model("gpt-4o", timeout_s=5) is get_model("gpt-4o", request_timeout=5)
    slow = RetryPolicy(max_retries=1)
    assert get_model("gpt-4o", retry=slow) is get_model("gpt-4o", retry=RetryPolicy(max_retries=1))
    assert a.request_timeout == 120 and get_model("gpt-4o", request_timeout=5).timeout_s == 5
    assert get_model("gpt-4o", request_timeout=0).request_timeout is None  # 0: no limit
    assert a.concurrency == 16 and get_model("gpt-4o", concurrency=2).concurrency == 2


def test_missing_package_is_a_user_error() -> None:
    """The one package check, on a package that really is not installed."""
    with pytest.raises(
        UserError, match="^mistral: models needs codesteer_no_such_sdk: pip install no-such-sdk$"
    ):
        require(("json", "codesteer_no_such_sdk"), "no-such-sdk", "mistral: models")
    require(("json", "mistralai"), "mistralai", "mistral: models")  # both installed
    assert missing(["json", "codesteer_no_such_sdk"]) == ["codesteer_no_such_sdk"]


def test_providers_declare_their_facts() -> None:
    """Every provider's variables, base URL, aliases and price table come from its own
    module; the registry found them all."""
    assert list(registry.PROVIDERS)[:5] == [
        "openai",
        "anthropic",
        "mistral",
        "deepseek",
        "openai-compat",
    ]
    assert {"hf", "gguf", "local"} <= set(registry.PROVIDERS)
    openai = registry.PROVIDERS["openai"]
    assert openai.module == "codesteer_cli.models.providers.openai"
    assert (openai.key_var, openai.base_url_var) == ("OPENAI_API_KEY", "OPENAI_BASE_URL")
    assert openai.default_base_url == "https://api.openai.com/v1"
    assert registry.PROVIDERS["deepseek"].default_base_url == "https://api.deepseek.com"
    assert registry.PROVIDERS["local"].local and registry.PROVIDERS["local"].price_table is None
    for info in registry.PROVIDERS.values():
        assert info.key_var is None or info.key_var.endswith("_API_KEY"), info.name
        for alias, _ in info.aliases:
            assert ALIASES[alias].startswith(f"{info.name}:")


def test_timeout_and_concurrency_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789")
    (tmp_path / ".env").write_text("CODESTEER_OPENAI_TIMEOUT=7.5\nCODESTEER_OPENAI_CONCURRENCY=3\n")
    m = get_model("gpt-4o")
    assert m.request_timeout == 7.5 and m.concurrency == 3
    assert get_model("gpt-4o", request_timeout=2, concurrency=5).concurrency == 5  # given wins
    monkeypatch.setenv("CODESTEER_OPENAI_TIMEOUT", "none")
    registry.clear_models()
    assert get_model("gpt-4o").request_timeout is None
    monkeypatch.setenv("CODESTEER_OPENAI_TIMEOUT", "soon")
    registry.clear_models()
    with pytest.raises(UserError, match="CODESTEER_OPENAI_TIMEOUT must be seconds"):
        get_model("gpt-4o")
    monkeypatch.setenv("CODESTEER_OPENAI_TIMEOUT", "1")
    monkeypatch.setenv("CODESTEER_OPENAI_CONCURRENCY", "0")
    with pytest.raises(UserError, match="CODESTEER_OPENAI_CONCURRENCY must be a whole number"):
        get_model("gpt-4o")


def test_local_servers_get_a_long_default_timeout() -> None:
    far = get_model("openai-compat:https://api.example.com/v1#m")
    near = get_model("openai-compat:http://127.0.0.1:9/v1#m")
    assert far.request_timeout == 120
    assert near.request_timeout == LOCAL_SERVER_TIMEOUT_S


def test_hf_specs_are_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "m").mkdir()
    monkeypatch.chdir(tmp_path)
    assert resolve("hf:m") == f"hf:{tmp_path / 'm'}"
    assert resolve("hf:org/name") == "hf:org/name"  # a hub id stays as written
