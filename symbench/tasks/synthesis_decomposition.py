"""synthesis_decomposition: crops are exchanged for products by methods visited in turn,
each run at most once per visit, until no method can run; report the final amounts.

Generated method tables are random but always terminate: every method's outputs come
strictly later in the item order (A, B, C, X, Y) than all of its inputs, so the stock
vector falls lexicographically with every run. The original release uses three fixed
tables; `parse_methods` reads any table of the original wording back into data.

Complexity -> knobs: crops 2 -> 3, products 1 -> 2 and methods 2 -> 5 (c1-2: 2 crops,
1 product, 2 methods; c3-4: 3/1/3; c5-7: 3/2/4; c8-10: 3/2/5); starting crop amounts
drawn from [lo, hi] with lo = 2..8 and hi = 6..30 growing linearly.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.core import Sample, Task, ilerp, origin_of, read_json, register, sample_dirs
from symbench.tasks._exchange import (
    check_counts,
    final_vector,
    join_words,
    perturb_counts,
    schedule_text,
    simulate,
)

ALL_ITEMS = "ABCXY"
_TIERS = {1: (2, 1, 2), 3: (3, 1, 3), 5: (3, 2, 4), 8: (3, 2, 5)}
_ITEM = re.compile(r"(\d+) units? of (?:crop|product) ([A-Z])\b")


def _tier(c: int) -> tuple[int, int, int]:
    return _TIERS[max(k for k in _TIERS if k <= c)]


def parse_methods(question: str) -> list[dict[str, dict[str, int]]]:
    methods = []
    for left, right in re.findall(
        r"^Method \d+: (.+?) can be exchanged for (.+?),", question, re.M
    ):
        m = {
            "in": {k: int(n) for n, k in _ITEM.findall(left)},
            "out": {k: int(n) for n, k in _ITEM.findall(right)},
        }
        if not m["in"] or not m["out"]:
            raise ValueError(f"cannot read method {left!r} -> {right!r}")
        methods.append(m)
    if not methods:
        raise ValueError("no methods in the question")
    return methods


def _side(items: dict[str, int]) -> str:
    return join_words([f"{n} {k}" for k, n in items.items()])


def random_method(items: str, rng: random.Random) -> dict[str, dict[str, int]]:
    """Inputs drawn from all but the last item; outputs strictly later than every input."""
    while True:
        k = rng.choice((1, 2, 2, 3))
        ins = sorted(rng.sample(range(len(items) - 1), min(k, len(items) - 1)))
        later = list(range(ins[-1] + 1, len(items)))
        outs = sorted(rng.sample(later, 1 if len(later) == 1 or rng.random() < 0.8 else 2))
        m = {
            "in": {items[i]: rng.randint(1, 3) for i in ins},
            "out": {items[i]: rng.randint(1, 3) for i in outs},
        }
        if sum(m["in"].values()) > 1:
            return m


@register
class SynthesisDecomposition(Task):
    id = "synthesis_decomposition"
    split = "unseen"
    family = "logic_game"
    description = "exchange crops for products by methods run once per visit in a cycle"
    answer_format = (
        "Give the final amounts of the items in the order listed in the question as a list "
        "of integers inside <<< >>>, e.g. <<<[1, 0, 2, 3]>>>."
    )
    original_paths = ("synthesis_decomposition_dataset",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        crops, products, methods = _tier(complexity)
        return {
            "crops": crops,
            "products": products,
            "methods": methods,
            "lo": ilerp(complexity, 2, 8),
            "hi": ilerp(complexity, 6, 30),
        }

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        crops = ALL_ITEMS[: knobs["crops"]]
        items = crops + ALL_ITEMS[3 : 3 + knobs["products"]]
        while True:
            methods = [random_method(items, rng) for _ in range(knobs["methods"])]
            made = {k for m in methods for k in m["out"]}
            if not set(items[len(crops) :]) <= made:
                continue
            initial = {k: rng.randint(knobs["lo"], knobs["hi"]) if k in crops else 0 for k in items}
            data = {
                "initial": initial,
                "methods": methods,
                "schedule": "once",
                "order": list(items),
            }
            _, runs = simulate(initial, methods, "once")
            if runs >= knobs["methods"]:
                return self._question(data, crops), data

    def _question(self, data: dict[str, Any], crops: str) -> str:
        order = data["order"]
        products = [k for k in order if k not in crops]
        lines = [
            f"Method {i}: hand in {_side(m['in'])}; receive {_side(m['out'])}."
            for i, m in enumerate(data["methods"], 1)
        ]
        start = join_words([f"{data['initial'][k]} {k}" for k in crops])
        plural = "s" if len(products) > 1 else ""
        return (
            f"A farmer grows the crops {join_words(list(crops))} and can trade them for "
            f"the product{plural} {join_words(products)} using the methods below. A run of "
            f"a method takes away the listed amounts (all of them must be available) and adds the "
            f"received amounts.\n"
            + "\n".join(lines)
            + "\n\n"
            + schedule_text(data["schedule"], len(data["methods"]))
            + f"\n\nAt the start the farmer has {start}, and nothing else. What amounts of "
            f"{', '.join(order)} (in this order) are there when the process stops?\n"
            + self.answer_format
        )

    def solve(self, sample: Sample) -> str:
        return f"<<<{final_vector(sample.data)}>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        return check_counts(sample.data, answer)

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        return f"<<<{perturb_counts(sample.data, rng)}>>>"

    def size(self, sample: Sample) -> float:
        return sum(sample.data["initial"].values())

    def import_original(self, root: Path) -> Iterator[Sample]:
        for d in sample_dirs(root / "synthesis_decomposition_dataset"):
            question = (d / "question.txt").read_text(encoding="utf-8")
            start = re.search(r"Initially there are (.+?)\.\s*$", question, re.M)
            order = re.findall(r"(?:remaining|obtained)_([A-Z])\b", question)
            if not start or not order:
                raise ValueError(f"{d.name}: no starting amounts or answer order")
            initial = {k: 0 for k in order}
            initial.update({k: int(n) for n, k in _ITEM.findall(start.group(1))})
            methods = parse_methods(question)
            data = {"initial": initial, "methods": methods, "schedule": "once", "order": order}
            simulate(initial, methods, "once")
            ref = read_json(d / "solution.json")["solution"]["answer"]
            vec = [int(ref[ALL_ITEMS.index(k)]) for k in order]
            yield Sample(
                self.id,
                question,
                data,
                f"<<<{vec}>>>",
                "test",
                None,
                None,
                origin_of(root, d),
            )
