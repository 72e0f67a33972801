"""Requests wait in our queue, not on the wire: against deliberately slow real servers
(llm-katan with latency and an in-flight cap; llama.cpp serving over HTTP with two
slots), 16 concurrent calls all succeed with a timeout that only the time on the wire
counts against."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from codesteer_cli.models import RetryPolicy, get_model
from codesteer_cli.models.base import ChatModel
from codesteer_cli.training.launch import free_port
from tests.models.conftest import compat_spec

NO_TIMEOUT_RETRIES = RetryPolicy(max_retries=0, max_timeout_retries=0)


def ask(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def burst(model: ChatModel, n: int, **kw: Any) -> tuple[list[Any], float]:
    """n calls at the same moment: (completions, wall seconds)."""
    results: list[Any] = [None] * n
    barrier = threading.Barrier(n + 1)

    def call(i: int) -> None:
        barrier.wait()
        results[i] = model.complete(ask(f"request {i}"), temperature=0.0, **kw)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.monotonic()
    for t in threads:
        t.join()
    return results, time.monotonic() - start


def test_sixteen_calls_to_a_slow_server_never_time_out_while_queued(katan_factory: Any) -> None:
    """1.5 s per request, at most 4 in flight at the server (a 5th would get 503): with
    4 slots and a 2.5 s timeout, 16 calls take ~6 s and none times out, because the
    12 that wait do so in our queue."""
    server = katan_factory("--latency-ms", "1500", "--max-inflight", "4")
    model = get_model(
        compat_spec(server), concurrency=4, request_timeout=2.5, retry=NO_TIMEOUT_RETRIES
    )
    results, wall = burst(model, 16, max_tokens=8)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert wall >= 5.5, f"16 calls of 1.5 s on 4 slots took only {wall:.1f}s"
    assert wall > model.request_timeout  # most calls waited longer than the timeout
    stats = model.stats.snapshot()
    assert stats["peak_in_flight"] <= 4 and stats["retries"] == 0 and stats["failures"] == 0
    assert server.wait_requests(16) == 16  # nothing was refused and sent again


def test_the_timeout_is_real_once_a_request_is_sent(katan_factory: Any) -> None:
    server = katan_factory("--latency-ms", "1500")
    model = get_model(
        compat_spec(server), concurrency=4, request_timeout=0.5, retry=NO_TIMEOUT_RETRIES
    )
    results, wall = burst(model, 4, max_tokens=8)
    assert all(not r.ok and r.error.startswith("timeout") for r in results)
    assert wall < 1.4  # each gave up after 0.5 s on the wire


@pytest.fixture(scope="module")
def llama_http() -> Iterator[str]:
    """SmolLM2 served over HTTP by llama.cpp (xllamacpp) with 2 slots and 1 thread."""
    import xllamacpp

    from codesteer_cli.models.providers.embedded import gguf_path

    p = xllamacpp.CommonParams()
    p.model.path = str(gguf_path("smollm2"))
    p.n_parallel = 2
    p.n_ctx = 2 * 2048
    p.cpuparams.n_threads = 1
    p.cpuparams_batch.n_threads = 1
    p.verbosity = -1
    p.port = free_port()
    server = xllamacpp.Server(p)
    try:
        yield f"http://127.0.0.1:{p.port}/v1"
    finally:
        del server


def test_a_llama_cpp_server_takes_only_what_it_has_slots_for(llama_http: str) -> None:
    """steer asks for 16 at once; the server says it runs 2 (/props), so 2 are sent at a
    time and the rest wait here. The timeout is longer than one call but much shorter
    than the burst: no call times out."""
    spec = f"openai-compat:{llama_http}#smollm2"
    probe = get_model(spec, concurrency=16)
    assert probe.concurrency == 2 and probe.server_slots == 2
    start = time.monotonic()
    assert probe.complete(ask("request 0"), max_tokens=32).ok
    one = time.monotonic() - start
    timeout = max(6 * one, 3.0)
    model = get_model(spec, concurrency=16, request_timeout=timeout, retry=NO_TIMEOUT_RETRIES)
    results, wall = burst(model, 16, max_tokens=32)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert model.stats.snapshot()["peak_in_flight"] == 2
    assert wall > timeout, (
        f"inconclusive: the burst ({wall:.1f}s) fit in the timeout ({timeout:.1f}s)"
    )


def test_transformers_requests_are_timed_from_their_batch(smollm2: Any) -> None:
    """The batched transformers engine queues requests behind the running batch; a
    request's timeout starts when its own batch starts, so with batches of one, the
    fourth of four concurrent calls waits ~3 calls' time and still succeeds."""
    lm = smollm2.lm
    before = lm.batcher.max_batch
    try:
        start = time.monotonic()
        assert smollm2.complete(ask("request 0"), max_tokens=16).ok
        one = time.monotonic() - start
        timeout = max(2.0 * one, 1.0)
        model = get_model("local:smollm2@transformers", concurrency=1, request_timeout=timeout)
        assert model.lm is lm and lm.batcher.max_batch == 1
        results, wall = burst(model, 4, max_tokens=16)
        assert all(r.ok for r in results), [r.error for r in results if not r.ok]
        assert wall > timeout, f"inconclusive: {wall:.1f}s fit in the {timeout:.1f}s timeout"
    finally:
        lm.batcher.max_batch = before
