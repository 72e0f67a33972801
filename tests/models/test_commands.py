"""`codesteer models` as a user runs it, and the CLI staying light to import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):  # type: ignore[no-untyped-def]
    return subprocess.run(
        [sys.executable, "-m", "codesteer_cli.app", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=60,
    )


def test_models_json_lists_providers_aliases_and_readiness(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ANTHROPIC_API_KEY=sk-ant-dotenv-secret-99\n")
    proc = run(
        "models",
        "--json",
        env={"OPENAI_API_KEY": "sk-env-secret-12345", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"},
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "secret" not in proc.stdout  # key values are never shown
    info = json.loads(proc.stdout)
    providers = {p["name"]: p for p in info["providers"]}
    assert set(providers) == {
        "openai",
        "anthropic",
        "mistral",
        "deepseek",
        "openai-compat",
        "hf",
        "gguf",
        "local",
    }
    assert providers["openai"]["usable"] and providers["openai"]["key"] == "env"
    assert providers["openai"]["base_url"] == "http://127.0.0.1:9/v1"
    assert providers["anthropic"]["usable"] and providers["anthropic"]["key"] == ".env"
    assert (
        not providers["mistral"]["usable"] and "MISTRAL_API_KEY" in providers["mistral"]["status"]
    )
    assert providers["openai-compat"]["usable"]
    assert "cache_ready" in providers["local"] and info["embedded"]["package"]
    models = {m["spec"]: m for m in providers["local"]["models"]}
    assert set(models) == {"local:smollm2", "local:qwen-coder"}
    assert all(
        m["packages"] and m["engine"] in ("llama.cpp", "transformers") for m in models.values()
    )
    assert models["local:qwen-coder"]["defaults"]["prompts"] in ("tiny", "default")
    aliases = {a["alias"]: a for a in info["aliases"]}
    assert aliases["gpt-4o"]["spec"] == "openai:gpt-4o" and aliases["gpt-4o"]["usable"]
    assert aliases["smollm2"]["price_in_per_m"] == 0.0
    assert info["price_table_date"]


def test_models_table_renders(tmp_path: Path) -> None:
    proc = run("models", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for word in ("openai-compat", "smollm2", "qwen-coder", "deepseek-r1", "llama.cpp"):
        assert word in proc.stdout


def test_cli_imports_no_heavy_library() -> None:
    code = (
        "import sys, codesteer_cli.app, codesteer_cli.models;"
        "heavy = ['torch', 'transformers', 'openai', 'anthropic', 'mistralai', 'tiktoken', 'peft'];"
        "print([m for m in heavy if m in sys.modules])"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
