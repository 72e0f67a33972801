"""The response cache in the run store, counted at a real server."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlmodel import select

from codesteer_cli.models import get_model
from codesteer_cli.models.base import make_params
from codesteer_cli.models.cache import CachedModel, cache_key, cache_request
from codesteer_cli.models.registry import clear_models
from codesteer_cli.store.db import Store, open_store
from codesteer_cli.store.models import ResponseCacheRow
from tests.models.conftest import Katan, point_at


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(str(tmp_path / "cache.db"))


def rows(store: Store) -> list[ResponseCacheRow]:
    with store.read() as s:
        return list(s.exec(select(ResponseCacheRow)).all())


QUESTIONS = [[{"role": "user", "content": f"question number {i}"}] for i in range(3)]


def test_a_repeated_run_makes_zero_calls(
    servers: dict[str, Katan], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = servers["plain"]
    point_at(monkeypatch, server)
    before = server.requests()
    model = get_model("gpt-4o", store=store)
    assert isinstance(model, CachedModel)
    first = [model.complete(q, max_tokens=30) for q in QUESTIONS]
    assert all(c.ok and not c.cached for c in first)
    assert server.wait_requests(before + 3) == before + 3
    assert len(rows(store)) == 3

    clear_models()  # a new run in a new process: fresh instances, same store
    again = get_model("openai:gpt-4o", store=store)
    second = [again.complete(q, max_tokens=30) for q in QUESTIONS]
    assert server.requests() == before + 3  # zero calls
    for a, b in zip(first, second, strict=True):
        assert b.cached and b.ok
        assert b.text == a.text
        assert b.usage == a.usage  # the original call's usage, cost and latency
        assert b.model == "openai:gpt-4o"
    assert again.stats.snapshot()["calls"] == 0


def test_repeats_are_not_served_each_others_answer(
    servers: dict[str, Katan], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = servers["plain"]
    point_at(monkeypatch, server)
    before = server.requests()
    model = get_model("openai:gpt-4o", store=store)
    q = [{"role": "user", "content": "sample me"}]
    r0 = model.complete(q, temperature=0.7, repeat=0)
    r1 = model.complete(q, temperature=0.7, repeat=1)
    assert not r0.cached and not r1.cached
    assert server.wait_requests(before + 2) == before + 2  # two real calls
    # ...and each repeat is served its own answer on the next run
    assert model.complete(q, temperature=0.7, repeat=1).cached
    assert model.complete(q, temperature=0.7, repeat=0).cached
    assert model.complete(q, temperature=0.7, repeat=2).cached is False
    assert server.wait_requests(before + 3) == before + 3
    keys = {r.key for r in rows(store)}
    assert len(keys) == 3


def test_parameters_and_seed_are_part_of_the_key() -> None:
    msgs = [{"role": "user", "content": "x"}]

    def key(**kw) -> str:  # type: ignore[no-untyped-def]
        p = {"temperature": 0.0, "max_tokens": 10, "seed": None, "repeat": 0, "stop": None}
        p.update(kw)
        return cache_key(cache_request("openai:gpt-4o", msgs, make_params(**p)))

    base = key()
    variants = [
        key(temperature=0.5),
        key(max_tokens=11),
        key(seed=1),
        key(repeat=1),
        key(stop=["\n"]),
        key(top_p=0.7),
        key(top_k=50),
    ]
    assert len({base, *variants}) == 8
    assert key() == base
    other = cache_key(
        cache_request("openai:gpt-4o-mini", msgs, make_params(0.0, 10, None, 0, None))
    )
    assert other != base
    # calls that set neither top_p nor top_k keep the key they had before those existed
    req = cache_request("openai:gpt-4o", msgs, make_params(0.0, 10, None, 0, None))
    assert set(req["params"]) == {"temperature", "max_tokens", "seed", "repeat", "stop"}


def test_failed_calls_are_not_cached(
    servers: dict[str, Katan], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = servers["strict"]  # rejects our key: 401
    point_at(monkeypatch, server)
    before = server.requests()
    model = get_model("openai:gpt-4o", store=store)
    q = [{"role": "user", "content": "hello"}]
    assert not model.complete(q).ok
    assert not model.complete(q).ok
    assert server.wait_requests(before + 2) == before + 2
    assert rows(store) == []


def test_each_result_is_written_when_its_call_returns(
    servers: dict[str, Katan], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(monkeypatch, servers["plain"])
    model = get_model("openai:gpt-4o", store=store)
    for i, q in enumerate(QUESTIONS, start=1):
        done = model.complete(q)
        saved = rows(store)
        assert len(saved) == i  # on disk before the next call starts
        row = saved[-1]
        assert row.response == done.text and row.model == "openai:gpt-4o"
        assert row.tokens_in == done.usage.tokens_in and row.cost_usd == done.usage.cost_usd
        assert row.request["messages"] == q
        assert "sk-test" not in str(row.request)  # no key in the store


def test_threads_share_one_cache(
    servers: dict[str, Katan], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = servers["plain"]
    point_at(monkeypatch, server)
    model = get_model("openai:gpt-4o", store=store)
    errors: list = []
    same = [{"role": "user", "content": "the same question"}]

    def work(i: int) -> None:
        for q in ([{"role": "user", "content": f"thread {i}"}], same):
            done = model.complete(q)
            if not done.ok:
                errors.append(done.error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(rows(store)) == 9  # 8 distinct + 1 shared, duplicates ignored
    before = server.requests()
    clear_models()
    model = get_model("openai:gpt-4o", store=store)
    assert all(
        model.complete([{"role": "user", "content": f"thread {i}"}]).cached for i in range(8)
    )
    assert server.requests() == before


def test_cache_off_or_no_store_calls_every_time(
    servers: dict[str, Katan], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = servers["plain"]
    point_at(monkeypatch, server)
    q = [{"role": "user", "content": "uncached"}]
    before = server.requests()
    plain = get_model("openai:gpt-4o", store=store, cache=False)
    assert not isinstance(plain, CachedModel)
    assert plain is get_model("openai:gpt-4o")
    plain.complete(q)
    plain.complete(q)
    assert server.wait_requests(before + 2) == before + 2
    assert rows(store) == []
