"""The micro-batcher on its own: batches form from concurrent submissions."""

from __future__ import annotations

import threading
import time

import pytest

from codesteer_cli.models.batching import Batcher


def test_concurrent_submissions_form_one_batch_and_results_go_back() -> None:
    seen: list[list[int]] = []

    def run(items: list[int]) -> list[int]:
        seen.append(list(items))
        return [x * 10 for x in items]

    b: Batcher[int, int] = Batcher(run, max_batch=16, window_s=0.2)
    futures = [b.submit(i) for i in range(5)]
    assert [f.result(timeout=5) for f in futures] == [0, 10, 20, 30, 40]
    assert seen == [[0, 1, 2, 3, 4]] and b.batches == 1


def test_max_batch_and_queueing_while_busy() -> None:
    sizes: list[int] = []
    gate = threading.Event()

    def run(items: list[int]) -> list[int]:
        sizes.append(len(items))
        gate.wait(5)
        return items

    b: Batcher[int, int] = Batcher(run, max_batch=4, window_s=0.05)
    first = b.submit(0)
    time.sleep(0.2)  # the first batch is running alone
    rest = [b.submit(i) for i in range(1, 10)]
    gate.set()
    assert first.result(timeout=5) == 0
    assert [f.result(timeout=5) for f in rest] == list(range(1, 10))
    assert sizes[0] == 1 and max(sizes) == 4 and sum(sizes) == 10


def test_a_failing_batch_fails_its_callers_only() -> None:
    def run(items: list[int]) -> list[int]:
        if 13 in items:
            raise RuntimeError("out of memory")
        return items

    b: Batcher[int, int] = Batcher(run, window_s=0.01)
    with pytest.raises(RuntimeError, match="out of memory"):
        b.submit(13).result(timeout=5)
    assert b.submit(1).result(timeout=5) == 1  # the worker lives on


def test_buckets_keep_short_and_long_requests_apart() -> None:
    seen: list[list[int]] = []

    def run(items: list[int]) -> list[int]:
        seen.append(sorted(items))
        return [x + 1 for x in items]

    b: Batcher[int, int] = Batcher(run, max_batch=16, window_s=0.2, bucket=lambda x: x < 100)
    futures = [b.submit(x) for x in (1, 200, 2, 300, 3)]
    assert [f.result(timeout=5) for f in futures] == [2, 201, 3, 301, 4]
    assert seen == [[1, 2, 3], [200, 300]] and b.batches == 2
