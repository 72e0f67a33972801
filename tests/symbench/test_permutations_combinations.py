"""permutations_combinations: constraints parsed from the original sentences, any valid
order accepted, every kind of violation reported, solver agrees with brute force."""

from __future__ import annotations

import itertools
import random

from symbench.core import Sample, get_task
from symbench.tasks.permutations_combinations import holds, search
from tests.conftest import reference_root

TASK = get_task("permutations_combinations")


def test_original_constraints_parsed() -> None:
    samples = list(TASK.import_original(reference_root()))
    assert len(samples) == 200
    s0 = samples[0]  # sample_0: "Book C must be adjacent to book A." ... position 4 ...
    assert s0.data["constraints"][0] == ["adjacent", "C", "A"]
    assert ["not_position", "A", 4] in s0.data["constraints"]
    assert ["position", "F", 4] in s0.data["constraints"]
    kinds = {c[0] for s in samples for c in s.data["constraints"]}
    assert kinds == {"left", "right", "adjacent", "position", "not_position"}


def test_any_valid_order_accepted_and_violations_named() -> None:
    cs = [["left", "A", "C"], ["adjacent", "B", "C"], ["not_position", "A", 2], ["right", "D", "A"]]
    s = Sample(TASK.id, "q", {"items": list("ABCD"), "constraints": cs}, "")
    valid = [
        "".join(p)
        for p in itertools.permutations("ABCD")
        if all(holds(c, {x: i + 1 for i, x in enumerate(p)}) for c in cs)
    ]
    assert len(valid) > 1
    for order in valid:
        assert TASK.verify(s, "<<<" + str(list(order)) + ">>>").correct
    assert TASK.verify(s, "<<<[a, b, c, d]>>>").correct  # ABCD: valid, lower case, unquoted
    for order, why in (
        ("BCAD", "constraint 1"),
        ("ABDC", "constraint 2"),
        ("CBAD", "constraint 1"),
        ("ABC", "exactly once"),
        ("ABCC", "exactly once"),
        ("ABCDE", "exactly once"),
    ):
        verdict = TASK.verify(s, "<<<" + str(list(order)) + ">>>")
        assert not verdict.correct and why in verdict.detail, (order, verdict.detail)
    s2 = Sample(
        TASK.id,
        "q",
        {"items": list("ABC"), "constraints": [["position", "B", 1], ["right", "C", "A"]]},
        "",
    )
    assert TASK.verify(s2, '<<<["B", "A", "C"]>>>').correct
    assert "constraint 1" in TASK.verify(s2, '<<<["A", "B", "C"]>>>').detail


def test_search_matches_brute_force() -> None:
    rng = random.Random(2)
    kinds = ["left", "right", "adjacent", "position", "not_position"]
    for _ in range(60):
        items = list("ABCDEF")
        cs = []
        for _ in range(rng.randint(1, 6)):
            kind = rng.choice(kinds)
            a, b = rng.sample(items, 2)
            cs.append([kind, a, rng.randint(1, 6) if "position" in kind else b])
        brute = [
            list(p)
            for p in itertools.permutations(items)
            if all(holds(c, {x: i + 1 for i, x in enumerate(p)}) for c in cs)
        ]
        assert sorted(search(items, cs, 10_000)) == sorted(brute), cs
