"""Retries, timeouts and failures against real servers: injected 500s and 429s are
retried (counted at the server), hard failures come back as failed Completions."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from codesteer_cli.errors import UserError
from codesteer_cli.models import RetryPolicy, get_model, registry
from tests.models.conftest import (
    API_SPECS,
    KEYS,
    Katan,
    SilentServer,
    compat_spec,
    free_port,
    point_at,
)

FAST = RetryPolicy(max_retries=10, base_delay_s=0.01, max_delay_s=0.05)
SDKS = ["openai", "anthropic", "mistral"]


@pytest.mark.parametrize("provider", SDKS)
def test_injected_500s_are_retried_and_succeed(
    provider: str, servers: dict[str, Katan], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The flaky server fails 30% of requests with 500. Every call still succeeds, and
    the server saw exactly the attempts the client made (first tries + retries)."""
    server = servers["flaky"]
    point_at(monkeypatch, server)
    spec, _ = API_SPECS[provider]
    model = get_model(spec, retry=FAST, request_timeout=10)
    before = server.requests()
    calls = 0
    while calls < 40:
        calls += 1
        done = model.complete([{"role": "user", "content": f"hello {calls}"}])
        assert done.ok, done.error
        assert f"User: hello {calls}" in done.text
        if model.stats.retries >= 2 and calls >= 3:
            break
    snap = model.stats.snapshot()
    assert snap["retries"] >= 2, "no 500 was injected in 40 calls"
    assert snap["reasons"] == {"server_error": snap["retries"]}
    assert snap["attempts"] == calls + snap["retries"]
    assert snap["failures"] == 0
    assert server.wait_requests(before + snap["attempts"]) - before == snap["attempts"]


def test_429s_are_retried_then_returned_as_a_failed_completion(
    katan_factory, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A rate limit that never lifts: each SDK retries it (counted at the server) and
    then returns Completion(error=...), never raises."""
    server = katan_factory("--rate-limit-after", "1")
    point_at(monkeypatch, server)
    policy = RetryPolicy(max_retries=3, base_delay_s=0.01, max_delay_s=0.02)
    first = get_model("openai:gpt-4o", retry=policy).complete([{"role": "user", "content": "a"}])
    assert first.ok
    for provider in SDKS:
        model = get_model(API_SPECS[provider][0], retry=policy)
        done = model.complete([{"role": "user", "content": "b"}])
        assert not done.ok and done.text == ""
        assert done.error is not None and done.error.startswith("rate_limit after 4 attempts")
        assert "429" in done.error
        assert done.usage.tokens_in is None and done.usage.cost_usd is None
        snap = model.stats.snapshot()
        assert snap["reasons"] == {"rate_limit": 4} and snap["failures"] == 1
    assert server.wait_requests(1 + 3 * 4) == 1 + 3 * 4


def test_a_429_is_retried_until_the_limit_lifts(
    katan_factory, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The server rate-limits the 2nd request; while the client backs off the limit
    lifts (the server restarts on the same port with the same stats file); the call
    then succeeds. Every attempt is accounted for at the server."""
    port = free_port()
    limited = katan_factory("--rate-limit-after", "1", port=port)
    point_at(monkeypatch, limited)
    policy = RetryPolicy(max_retries=12, base_delay_s=0.4, max_delay_s=1.0)
    model = get_model("openai:gpt-4o", retry=policy)
    assert model.complete([{"role": "user", "content": "one"}]).ok
    result: list = []
    worker = threading.Thread(
        target=lambda: result.append(model.complete([{"role": "user", "content": "two"}]))
    )
    worker.start()
    assert limited.wait_requests(2) >= 2  # the 429 has been served
    limited.stop()
    katan_factory(port=port, stats=limited.stats_file)  # the limit lifts
    worker.join(timeout=60)
    (done,) = result
    assert done.ok, done.error
    assert "User: two" in done.text
    snap = model.stats.snapshot()
    served_429 = limited.requests() - 2  # all but the two successes
    assert served_429 >= 1
    assert snap["reasons"].get("rate_limit") == served_429
    assert snap["attempts"] == 1 + served_429 + snap["reasons"].get("connection", 0) + 1


@pytest.mark.parametrize("provider", SDKS)
def test_a_server_that_does_not_answer_in_time_is_a_failed_completion(
    provider: str, silent_server: SilentServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each SDK's own timeout exception is recognised, retried, then returned."""
    point_at(monkeypatch, silent_server)
    policy = RetryPolicy(max_retries=5, max_timeout_retries=1, base_delay_s=0.01)
    model = get_model(API_SPECS[provider][0], request_timeout=0.5, retry=policy)
    start = time.monotonic()
    done = model.complete([{"role": "user", "content": "hello"}])
    elapsed = time.monotonic() - start
    assert not done.ok
    assert done.error is not None and done.error.startswith("timeout after 2 attempts"), done.error
    assert 1.0 <= elapsed < 5
    assert model.stats.snapshot()["reasons"] == {"timeout": 2}
    assert len(silent_server.conns) == 2  # both attempts reached the server


def test_a_slow_answer_past_the_timeout(
    servers: dict[str, Katan], monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(monkeypatch, servers["paced"])  # answers after 0.4 s
    model = get_model(
        "openai:gpt-4o", request_timeout=0.1, retry=RetryPolicy(max_timeout_retries=0)
    )
    done = model.complete([{"role": "user", "content": "hello"}])
    assert not done.ok and done.error is not None and done.error.startswith("timeout: ")


def test_a_socket_that_never_replies_times_out(
    silent_server: SilentServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = RetryPolicy(max_retries=3, max_timeout_retries=0)
    model = get_model(f"openai-compat:{silent_server.url}/v1#m", request_timeout=0.3, retry=policy)
    start = time.monotonic()
    done = model.complete([{"role": "user", "content": "hello"}])
    assert not done.ok and done.error is not None and done.error.startswith("timeout: ")
    assert time.monotonic() - start < 3
    # one request, not retried after its timeout (the other connection is the probe
    # of a local server's slots, /props, which got no answer either)
    assert len(silent_server.conns) == 2


def test_nothing_listening_is_a_connection_failure() -> None:
    policy = RetryPolicy(max_retries=2, base_delay_s=0.01)
    model = get_model(f"openai-compat:http://127.0.0.1:{free_port()}/v1#m", retry=policy)
    done = model.complete([{"role": "user", "content": "hello"}])
    assert not done.ok
    assert done.error is not None and done.error.startswith("connection after 3 attempts")


def test_the_retries_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CODESTEER_<PROVIDER>_RETRIES sets how often a failed attempt is retried (here from
    ./.env, 0: one attempt); a given policy wins; a bad value is one clear error."""
    spec = f"openai-compat:http://127.0.0.1:{free_port()}/v1#m"
    (tmp_path / ".env").write_text("CODESTEER_OPENAI_COMPAT_RETRIES=0\n")
    model = get_model(spec)
    assert model.retry.max_retries == 0
    start = time.monotonic()
    done = model.complete([{"role": "user", "content": "hello"}])
    assert done.error is not None and done.error.startswith("connection:"), done.error
    assert model.stats.snapshot()["attempts"] == 1 and time.monotonic() - start < 5
    assert get_model(spec, retry=RetryPolicy(max_retries=2)).retry.max_retries == 2
    monkeypatch.setenv("CODESTEER_OPENAI_COMPAT_RETRIES", "3")
    registry.clear_models()
    assert get_model(spec).retry.max_retries == 3  # the environment before ./.env
    for bad in ("-1", "many"):
        monkeypatch.setenv("CODESTEER_OPENAI_COMPAT_RETRIES", bad)
        registry.clear_models()
        with pytest.raises(UserError, match="CODESTEER_OPENAI_COMPAT_RETRIES must be a whole"):
            get_model(spec)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_rejected_key_is_not_retried_and_never_shown(
    provider: str, servers: dict[str, Katan], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The strict server's 401 body quotes the key it got; the error must not."""
    server = servers["strict"]
    point_at(monkeypatch, server)
    before = server.requests()
    model = get_model(API_SPECS[provider][0], retry=FAST)
    done = model.complete([{"role": "user", "content": "hello"}])
    assert not done.ok and done.error is not None
    assert done.error.startswith("client_error: ")
    assert "401" in done.error
    key = KEYS["OPENAI_API_KEY" if provider == "openai" else "ANTHROPIC_API_KEY"]
    assert key not in done.error
    assert key[8:20] not in done.error
    assert model.stats.snapshot()["attempts"] == 1
    assert server.wait_requests(before + 1) == before + 1


def test_compat_server_with_optional_key(
    servers: dict[str, Katan], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = servers["plain"]
    done = get_model(compat_spec(server)).complete([{"role": "user", "content": "hi"}])
    assert done.ok, done.error  # no OPENAI_COMPAT_API_KEY needed
    monkeypatch.setenv("OPENAI_COMPAT_API_KEY", "compat-secret-123456")
    from codesteer_cli.models.registry import clear_models

    clear_models()
    done = get_model(compat_spec(server)).complete([{"role": "user", "content": "hi"}])
    assert done.ok, done.error
