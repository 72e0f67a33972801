"""Real servers for the model layer: llm-katan (OpenAI + Anthropic APIs) on 127.0.0.1.

Servers are started and stopped here; anything missing fails the test, never skips it.
The echo backend answers instantly and reports what it received
("... max_tokens=20 temperature=0.0 / User: ..."), and counts every request in its
stats file, which is how the tests count calls at the server.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing in these tests may touch the hub

KEYS = {
    "OPENAI_API_KEY": "sk-test-openai-0123456789abcdef",
    "ANTHROPIC_API_KEY": "sk-ant-test-0123456789abcdef",
    "MISTRAL_API_KEY": "mistral-test-0123456789abcdef",
    "DEEPSEEK_API_KEY": "sk-test-deepseek-0123456789abcdef",
}
ENV_VARS = (
    *KEYS,
    "OPENAI_COMPAT_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL",
    "MISTRAL_BASE_URL",
    "DEEPSEEK_BASE_URL",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def katan_executable() -> str:
    exe = shutil.which("llm-katan") or str(Path(sys.executable).with_name("llm-katan"))
    if not Path(exe).exists():
        pytest.fail(
            "llm-katan is not installed: pip install 'llm-katan>=0.22' (the test extra)",
            pytrace=False,
        )
    return exe


class Katan:
    """One llm-katan echo server (OpenAI and Anthropic APIs) with its stats file."""

    def __init__(
        self, workdir: Path, *flags: str, port: int | None = None, stats: Path | None = None
    ) -> None:
        self.flags = flags
        self.port = port or free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        self.stats_file = stats or workdir / f"stats-{self.port}.json"
        self.log_file = workdir / f"katan-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Katan:
        cmd = [
            katan_executable(),
            "--model",
            "echo",
            "--backend",
            "echo",
            "--served-model-name",
            "echo-model",
            "--providers",
            "openai,anthropic",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--stats-file",
            str(self.stats_file),
            "--max-concurrent",
            "64",
            "--log-level",
            "warning",
            *self.flags,
        ]
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        with open(self.log_file, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        return self

    def wait_ready(self, timeout: float = 60) -> Katan:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                pytest.fail(f"llm-katan exited at start:\n{self._log_tail()}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"llm-katan did not start in {timeout}s:\n{self._log_tail()}", pytrace=False)

    def stop(self, grace_s: float = 3) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:  # requests still sleeping in the server
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def stats(self) -> dict[str, Any]:
        for _ in range(50):
            try:
                return json.loads(self.stats_file.read_text())
            except FileNotFoundError:
                return {"total": 0, "providers": {}}
            except ValueError:  # caught mid-write
                time.sleep(0.02)
        raise AssertionError(f"unreadable stats file {self.stats_file}")

    def requests(self, provider: str | None = None) -> int:
        data = self.stats()
        if provider is None:
            return int(data.get("total", 0))
        return int(data.get("providers", {}).get(provider, 0))

    def wait_requests(self, n: int, timeout: float = 10) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.requests()
            if got >= n:
                return got
            time.sleep(0.02)
        return self.requests()

    def _log_tail(self) -> str:
        try:
            return self.log_file.read_text()[-3000:]
        except OSError:
            return "(no log)"


def start_all(*servers: Katan) -> None:
    """Start servers at once (each takes a few seconds to import)."""
    for s in servers:
        s.start()
    for s in servers:
        s.wait_ready()


def stop_all(*servers: Katan) -> None:
    for s in servers:
        if s.proc is not None and s.proc.poll() is None:
            s.proc.terminate()
    for s in servers:
        s.stop(grace_s=1)


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
    """`local:smollm2`, prepared once per test session (first time ever: ~20-30 s)."""
    from codesteer_cli.models.providers.embedded import EmbeddedModel

    return EmbeddedModel("local:smollm2")
