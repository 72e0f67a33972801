"""Keys from the environment or ./.env; missing keys are one-line UserErrors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codesteer_cli.errors import UserError
from codesteer_cli.models import get_model
from codesteer_cli.models.keys import get_setting, require_key, scrub, setting_source


def test_missing_key_names_the_variable() -> None:
    for spec, var in [
        ("gpt-4o", "OPENAI_API_KEY"),
        ("claude-3-5-sonnet", "ANTHROPIC_API_KEY"),
        ("mistral-large", "MISTRAL_API_KEY"),
        ("deepseek-r1", "DEEPSEEK_API_KEY"),
    ]:
        with pytest.raises(UserError) as info:
            get_model(spec)
        msg = str(info.value)
        assert msg.startswith(f"{var} is not set") and "\n" not in msg


def test_dotenv_in_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-from-dotenv-123456\n# comment\n")
    assert get_setting("OPENAI_API_KEY") == "sk-from-dotenv-123456"
    assert setting_source("OPENAI_API_KEY") == ".env"
    assert "OPENAI_API_KEY" not in os.environ  # read, not exported to child processes
    model = get_model("openai:gpt-4o")
    assert model.spec == "openai:gpt-4o"


def test_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("MISTRAL_API_KEY=from-file-123456\n")
    monkeypatch.setenv("MISTRAL_API_KEY", "from-env-123456")
    assert require_key("MISTRAL_API_KEY", "mistral") == "from-env-123456"
    assert setting_source("MISTRAL_API_KEY") == "env"


def test_scrub_removes_keys_and_key_shaped_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "plainsecretvalue42")
    text = (
        "got 'plainsecretvalue42', Authorization: Bearer abc.def-123 "
        "x-api-key: zzz-top-secret sk-proj-AbCdEf0123456789 url?key=qq11"
    )
    out = scrub(text, ("extra-secret",))
    for leaked in (
        "plainsecretvalue42",
        "abc.def-123",
        "zzz-top-secret",
        "AbCdEf0123456789",
        "qq11",
    ):
        assert leaked not in out
    assert scrub("nothing secret here") == "nothing secret here"
