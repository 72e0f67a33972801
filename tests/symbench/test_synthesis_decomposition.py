"""synthesis_decomposition: hand case, parsing, termination of random method tables."""

from __future__ import annotations

import random

from symbench.core import Sample, get_task
from symbench.tasks._exchange import final_vector, simulate
from symbench.tasks.synthesis_decomposition import ALL_ITEMS, parse_methods, random_method

TASK = get_task("synthesis_decomposition")

ORIGINAL_LIKE = """Method 1: 1 unit of crop A and 1 unit of crop B can be exchanged for 1 unit of \
product X, and this can be done only once per cycle.

Method 2: 3 units of crop A can be exchanged for 2 units of product X, and this can be done \
only once per cycle.
"""


def _sample(initial: dict, methods: list, order: list) -> Sample:
    data = {"initial": initial, "methods": methods, "schedule": "once", "order": order}
    return Sample(TASK.id, "q", data, "")


def test_parse_and_hand_case() -> None:
    methods = parse_methods(ORIGINAL_LIKE)
    assert methods == [{"in": {"A": 1, "B": 1}, "out": {"X": 1}}, {"in": {"A": 3}, "out": {"X": 2}}]
    # A3 B2: m1 -> A2 B1 X1; m2 needs 3 A; m1 -> A1 B0 X2; nothing more.
    s = _sample({"A": 3, "B": 2, "X": 0}, methods, ["A", "B", "X"])
    assert final_vector(s.data) == [1, 0, 2]
    assert TASK.verify(s, "<<<[1, 0, 2]>>>").correct
    assert TASK.verify(s, "<<<1, 0, 2>>>").correct
    v = TASK.verify(s, "<<<[1, 0, 3]>>>")
    assert not v.correct and "X: expected 2, got 3" in v.detail


def test_random_methods_flow_forward_and_terminate() -> None:
    rng = random.Random(5)
    for _ in range(300):
        m = random_method(ALL_ITEMS, rng)
        last_in = max(ALL_ITEMS.index(k) for k in m["in"])
        assert all(ALL_ITEMS.index(k) > last_in for k in m["out"])
    for seed in range(20):
        s = TASK.generate(10, seed)
        stock, runs = simulate(s.data["initial"], s.data["methods"], "once")
        assert runs > 0 and min(stock.values()) >= 0
