"""Every API provider through its official SDK against a real server on 127.0.0.1."""

from __future__ import annotations

import threading
import time

import pytest

from codesteer_cli.models import get_model
from codesteer_cli.models.registry import cost_usd
from tests.models.conftest import API_SPECS, Katan, compat_spec, point_at

MESSAGES = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "say three words please"},
]


@pytest.mark.parametrize("provider", [*API_SPECS, "openai-compat"])
def test_text_and_usage_come_back(
    provider: str, servers: dict[str, Katan], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = servers["plain"]
    point_at(monkeypatch, server)
    spec, bucket = API_SPECS.get(provider, (compat_spec(server), "openai"))
    before = server.requests(bucket)
    model = get_model(spec, request_timeout=10)
    done = model.complete(MESSAGES, temperature=0.0, max_tokens=20)
    assert done.ok, done.error
    assert done.model == spec
    assert "User: say three words please" in done.text
    assert "max_tokens=20 temperature=0.0" in done.text  # what the server received
    u = done.usage
    assert u.tokens_in is not None and u.tokens_in > 0
    assert u.tokens_out is not None and u.tokens_out > 0
    assert not u.tokens_estimated
    assert u.latency_s > 0
    if provider == "openai-compat":
        assert u.cost_usd is None  # unknown price, never silently 0
    else:
        assert u.cost_usd == pytest.approx(cost_usd(spec, u.tokens_in, u.tokens_out))
        assert u.cost_usd > 0
    assert server.wait_requests(0) >= 1
    assert server.requests(bucket) == before + 1
    assert model.stats.snapshot()["attempts"] == 1


def test_alias_resolves_and_reasoning_model_gets_no_temperature(
    servers: dict[str, Katan], monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(monkeypatch, servers["plain"])
    model = get_model("o3-mini")
    assert model.spec == "openai:o3-mini"
    done = model.complete(MESSAGES, temperature=0.0, max_tokens=20)
    assert done.ok, done.error
    # No temperature was sent (the server used its default); max_completion_tokens was
    # sent instead of max_tokens (the echo server reads only max_tokens: its default).
    assert "temperature=0.7" in done.text
    assert "max_tokens=20 " not in done.text
    assert done.usage.cost_usd is not None


def test_stop_sequences_cut_the_text(
    servers: dict[str, Katan], monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(monkeypatch, servers["plain"])
    for spec, _ in API_SPECS.values():
        done = get_model(spec).complete(MESSAGES, stop=["User:"])
        assert done.ok, done.error
        assert "User:" not in done.text  # the echo server ignores stop: cut client-side
        assert done.text.startswith("[echo]")


def test_concurrent_calls_overlap_within_the_limit(
    servers: dict[str, Katan], monkeypatch: pytest.MonkeyPatch
) -> None:
    """8 threads, 0.4 s per answer, a shared slot of 4: two waves, never over 4 in
    flight (the server answers 503 above 4, which would show up as extra requests)."""
    server = servers["paced"]
    point_at(monkeypatch, server)
    model = get_model("openai:gpt-4o", concurrency=4)
    before = server.requests()
    results: list = [None] * 8

    def call(i: int) -> None:
        results[i] = model.complete([{"role": "user", "content": f"question {i}"}])

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    assert all(r.ok for r in results), [r.error for r in results]
    assert [f"User: question {i}" in r.text for i, r in enumerate(results)] == [True] * 8
    snap = model.stats.snapshot()
    assert snap["peak_in_flight"] == 4
    assert snap["attempts"] == 8 and snap["retries"] == 0
    assert server.requests() - before == 8
    assert 0.8 <= wall < 8 * 0.4  # overlapped: about two waves of 0.4 s, not eight


def test_the_slot_is_shared_by_models_of_one_provider(
    servers: dict[str, Katan], monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(monkeypatch, servers["paced"])
    a = get_model("openai:gpt-4o", concurrency=2)
    b = get_model("openai:gpt-4o-mini", concurrency=2)
    assert a is not b
    from codesteer_cli.models.base import provider_semaphore

    assert provider_semaphore(a.endpoint, 2) is provider_semaphore(b.endpoint, 2)
    results: list = []
    lock = threading.Lock()

    def call(m, i: int) -> None:  # type: ignore[no-untyped-def]
        r = m.complete([{"role": "user", "content": f"q{i}"}])
        with lock:
            results.append(r)

    threads = [threading.Thread(target=call, args=(a if i % 2 else b, i)) for i in range(6)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.ok for r in results)
    assert time.monotonic() - start >= 3 * 0.4  # 6 calls through 2 shared slots
