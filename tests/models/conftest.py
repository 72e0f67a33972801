"""Real servers for the model layer: llm-katan (OpenAI + Anthropic APIs) on 127.0.0.1.

Servers are started and stopped here; anything missing fails the test, never skips it.
The echo backend answers instantly and reports what it received
("... max_tokens=20 temperature=0.0 / User: ..."), and counts every request in its
stats file, which is how the tests count calls at the server.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing in these tests may touch the hub

from tests.fixtures.katan import (  # noqa: F401  (re-exported for these tests)
    ENV_VARS,
    KEYS,
    Katan,
    free_port,
    katan_executable,
    start_all,
    stop_all,
)


@pytest.fixture(scope="session")
def katan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("katan")


@pytest.fixture(scope="session")
def servers(katan_dir: Path) -> Iterator[dict[str, Katan]]:
    """The long-lived servers, started together: plain, flaky (30% 500s), paced (0.4 s
    latency, at most 4 in flight), strict (validates keys)."""
    made = {
        "plain": Katan(katan_dir),
        "flaky": Katan(katan_dir, "--error-rate", "0.3"),
        "paced": Katan(katan_dir, "--latency-ms", "400", "--max-inflight", "4"),
        "strict": Katan(
            katan_dir, "--validate-keys", "--api-keys", "openai=right-key,anthropic=right-key"
        ),
    }
    try:
        start_all(*made.values())
        yield made
    finally:
        stop_all(*made.values())


@pytest.fixture
def katan_factory(katan_dir: Path) -> Iterator[Any]:
    """Start a dedicated server for one test (for flags with state, like rate limits)."""
    started: list[Katan] = []

    def make(*flags: str, port: int | None = None, stats: Path | None = None) -> Katan:
        k = Katan(katan_dir, *flags, port=port, stats=stats)
        started.append(k)
        return k.start().wait_ready()

    yield make
    stop_all(*started)


@pytest.fixture(autouse=True)
def clean_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test: no keys or base URLs from outside, a cwd with no .env, fresh instances."""
    from codesteer_cli.models.registry import clear_models

    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    own = ("_TIMEOUT", "_CONCURRENCY", "_RETRIES", "_ENGINE")
    for var in list(os.environ):  # codesteer's own settings from outside (limits.py)
        if var.startswith("CODESTEER_") and var.endswith(own):
            monkeypatch.delenv(var)
    monkeypatch.chdir(tmp_path)
    clear_models()
    yield
    clear_models()


def point_at(monkeypatch: pytest.MonkeyPatch, server: Katan | SilentServer) -> None:
    """Keys and base URLs of every API provider aimed at `server`."""
    for var, value in KEYS.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    monkeypatch.setenv("MISTRAL_BASE_URL", server.url)
    monkeypatch.setenv("DEEPSEEK_BASE_URL", f"{server.url}/v1")
    from codesteer_cli.models.registry import clear_models

    clear_models()


# Specs served by llm-katan, and the stats bucket each one's requests land in.
API_SPECS = {
    "openai": ("openai:gpt-4o", "openai"),
    "anthropic": ("anthropic:claude-3-5-sonnet-20241022", "anthropic"),
    "mistral": ("mistral:mistral-large-latest", "openai"),
    "deepseek": ("deepseek:deepseek-chat", "openai"),
}


def compat_spec(server: Katan, model: str = "echo-model") -> str:
    return f"openai-compat:{server.url}/v1#{model}"


class SilentServer:
    """A TCP server that accepts connections and never answers (for timeouts)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.conns: list[socket.socket] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
                self.conns.append(conn)
            except OSError:
                continue

    def close(self) -> None:
        self._stop.set()
        self.thread.join(timeout=2)
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    s = SilentServer()
    yield s
    s.close()


# --- the embedded model ------------------------------------------------------------------
@pytest.fixture(scope="session")
def smollm2() -> Any:
    """`local:smollm2` on transformers, prepared once per session (first time: ~20-30 s)."""
    from codesteer_cli.models.providers.embedded import make_model

    return make_model("local:smollm2@transformers")
