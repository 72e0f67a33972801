"""The shared call loop's pieces: results, backoff, Retry-After, classification."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from codesteer_cli.models.base import (
    Completion,
    GenParams,
    RetryPolicy,
    Usage,
    classify_exception,
    cut_at_stop,
    make_params,
    normalize_messages,
    parse_retry_after,
)


def test_completion_ok_and_usage_defaults() -> None:
    u = Usage(tokens_in=3, tokens_out=4, latency_s=0.1, cost_usd=None)
    assert u.tokens_estimated is False
    assert Completion(text="x", usage=u, model="openai:gpt-4o").ok
    failed = Completion(text="", usage=u, model="openai:gpt-4o", error="timeout: ...")
    assert not failed.ok and not failed.cached


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    p = RetryPolicy(base_delay_s=1.0, max_delay_s=8.0)
    for i, ceiling in enumerate([1, 2, 4, 8, 8, 8]):
        delays = [p.delay(i) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jitter


def test_retry_after_is_honoured_and_capped() -> None:
    p = RetryPolicy(base_delay_s=0.01, max_retry_after_s=30)
    assert 5.0 <= p.delay(0, retry_after=5.0) <= 5.1
    assert p.delay(3, retry_after=3600) <= 30.1


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "7"}) == 7.0
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    when = formatdate(time.time() + 20, usegmt=True)
    assert 15 <= (parse_retry_after({"retry-after": when}) or 0) <= 21
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None
    assert parse_retry_after(None) is None


def test_classification_of_plain_exceptions() -> None:
    assert classify_exception(TimeoutError("slow")).reason == "timeout"
    assert classify_exception(ConnectionRefusedError()).reason == "connection"
    other = classify_exception(ValueError("bad"))
    assert other.reason == "other" and not other.retryable

    class StatusError(Exception):
        def __init__(self, status: int, headers: dict | None = None) -> None:
            self.status_code = status
            self.headers = headers

    assert classify_exception(StatusError(429, {"retry-after": "3"})).retry_after == 3.0
    assert classify_exception(StatusError(503)).retryable
    assert classify_exception(StatusError(529)).reason == "server_error"
    assert not classify_exception(StatusError(400)).retryable
    assert not classify_exception(StatusError(401)).retryable


def test_stop_sequences_cut_at_the_earliest() -> None:
    assert cut_at_stop("abc<<<x>>>def", ("def", "<<<")) == "abc"
    assert cut_at_stop("abc", ("z",)) == "abc"
    assert cut_at_stop("abc", ()) == "abc"


def test_repeats_get_their_own_seed() -> None:
    def seed(s: int | None, r: int) -> int | None:
        return GenParams(0.7, 10, s, r, ()).effective_seed

    assert seed(42, 0) == 42
    assert seed(42, 1) != 42 and seed(42, 1) == seed(42, 1)
    assert len({seed(42, r) for r in range(10)}) == 10
    assert seed(None, 3) is None


def test_messages_and_params_are_validated() -> None:
    assert normalize_messages([{"role": "user", "content": "hi", "name": "x"}]) == [
        {"role": "user", "content": "hi"}
    ]
    for bad in ([], [{"role": "tool", "content": "x"}], [{"role": "user"}], "hi"):
        with pytest.raises(ValueError):
            normalize_messages(bad)
    with pytest.raises(ValueError):
        make_params(-1, 10, None, 0, None)
    with pytest.raises(ValueError):
        make_params(0, 0, None, 0, None)
    assert make_params(0, 5, None, 0, ["", "x"]).stop == ("x",)
    for bad in ({"top_p": 0.0}, {"top_p": 1.5}, {"top_k": 0}):
        with pytest.raises(ValueError):
            make_params(1.0, 5, None, 0, None, **bad)


def test_top_p_and_top_k_are_sent_only_when_sampling() -> None:
    from codesteer_cli.models.base import sampling_args

    hot = make_params(0.95, 5, None, 0, None, top_p=0.7, top_k=50)
    assert sampling_args(hot) == {"top_p": 0.7}
    assert sampling_args(hot, top_k=True) == {"top_p": 0.7, "top_k": 50}
    assert sampling_args(make_params(0.0, 5, None, 0, None, top_p=0.7, top_k=50), True) == {}
    assert sampling_args(make_params(1.0, 5, None, 0, None), top_k=True) == {}


def test_usage_is_estimated_when_the_server_reports_none() -> None:
    from codesteer_cli.models.base import ChatModel, RawReply
    from codesteer_cli.models.providers.openai import PROVIDER

    class NoUsage(ChatModel):
        facts = PROVIDER  # prices come from the provider's declaration

        def _request(self, messages, params):  # type: ignore[no-untyped-def]
            return RawReply("hello world", None, None)

    done = NoUsage("openai:gpt-4o").complete([{"role": "user", "content": "hi"}])
    assert done.ok and done.usage.tokens_estimated
    assert done.usage.tokens_out == 2 and done.usage.tokens_in is not None
    assert done.usage.cost_usd is not None and done.usage.cost_usd > 0
