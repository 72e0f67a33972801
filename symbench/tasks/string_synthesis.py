"""string_synthesis: nine kinds of blocks combine by six fixed methods, each method run as
often as possible in turn, cycling until nothing changes; report the final counts.

The method table is the original benchmark's (fixed); it lives in `METHODS` and is both
rendered into our question text and parsed back from the original question text.

Complexity -> knobs: the starting counts of [A], [B], [C] are drawn from
[lo, hi] with lo = 1..10 and hi = 6..40 growing linearly with complexity.
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

BLOCKS = ["[A]", "[B]", "[C]", "{A}", "{B}", "{C}", "(A)", "(B)", "(C)"]
METHODS = [
    {"in": {"[A]": 1, "[B]": 1, "[C]": 1}, "out": {"{A}": 1}},
    {"in": {"[A]": 1, "[B]": 1}, "out": {"{C}": 1}},
    {"in": {"[B]": 1, "[C]": 1}, "out": {"{B}": 1}},
    {"in": {"[C]": 2}, "out": {"{C}": 1}},
    {"in": {"{A}": 1, "{C}": 1}, "out": {"(A)": 1, "(B)": 1}},
    {"in": {"{B}": 2}, "out": {"(C)": 1}},
]
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4}
_NUMBER = {v: k for k, v in _WORDS.items()}
_BLOCK = r"(\[[A-C]\]|\{[A-C]\}|\([A-C]\))"


def _items(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for word, block in re.findall(r"\b(one|two|three|four|\d+)\s+" + _BLOCK, text, re.I):
        n = int(word) if word.isdigit() else _WORDS[word.lower()]
        out[block] = out.get(block, 0) + n
    return out


def parse_methods(question: str) -> list[dict[str, dict[str, int]]]:
    """The numbered methods `N. ... can be combined to form ...` of an original question."""
    methods = []
    for line in re.findall(r"^\s*\d+\.\s*(.+?combined to form.+)$", question, re.M):
        left, right = line.split("combined to form", 1)
        methods.append({"in": _items(left), "out": _items(right)})
    if not methods or any(not m["in"] or not m["out"] for m in methods):
        raise ValueError("could not read the combination methods")
    return methods


def _side(items: dict[str, int]) -> str:
    return join_words([f"{_NUMBER[n]} {b}" for b, n in items.items()])


@register
class StringSynthesis(Task):
    id = "string_synthesis"
    split = "seen"
    family = "logic_game"
    description = "combine blocks by six cycled methods until none applies; final counts"
    answer_format = (
        "Give the final number of blocks of each kind in the order [A], [B], [C], {A}, "
        "{B}, {C}, (A), (B), (C), as nine integers separated by spaces inside <<< >>>, "
        "e.g. <<<1 0 3 0 0 0 0 0 0>>>."
    )
    original_paths = ("string_synthesis",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {"lo": ilerp(complexity, 1, 10), "hi": ilerp(complexity, 6, 40)}

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        start = {b: rng.randint(knobs["lo"], knobs["hi"]) for b in BLOCKS[:3]}
        data = self._data(start, METHODS)
        return self._question(data), data

    def _data(self, start: dict[str, int], methods: list) -> dict[str, Any]:
        initial = {b: start.get(b, 0) for b in BLOCKS}
        return {"initial": initial, "methods": methods, "schedule": "exhaust", "order": BLOCKS}

    def _question(self, data: dict[str, Any]) -> str:
        ini = data["initial"]
        lines = [
            f"Method {i}: {_side(m['in'])} can be combined into {_side(m['out'])}."
            for i, m in enumerate(data["methods"], 1)
        ]
        return (
            "There are nine kinds of blocks: " + ", ".join(BLOCKS) + ". Blocks are turned "
            "into other blocks by these methods (each run uses up the blocks on its left "
            "and yields the blocks on its right):\n"
            + "\n".join(lines)
            + "\n\n"
            + schedule_text(data["schedule"], len(data["methods"]))
            + f"\n\nAt the start there are {ini['[A]']} [A], {ini['[B]']} [B] and "
            f"{ini['[C]']} [C], and no blocks of the other kinds. How many blocks of each "
            f"kind are there when the process stops?\n" + self.answer_format
        )

    def solve(self, sample: Sample) -> str:
        return "<<<" + " ".join(map(str, final_vector(sample.data))) + ">>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        return check_counts(sample.data, answer)

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        return "<<<" + " ".join(map(str, perturb_counts(sample.data, rng))) + ">>>"

    def size(self, sample: Sample) -> float:
        return sum(sample.data["initial"].values())

    def import_original(self, root: Path) -> Iterator[Sample]:
        for d in sample_dirs(root / "string_synthesis"):
            question = (d / "question.txt").read_text(encoding="utf-8")
            m = re.search(r"have (\d+) \[A\], (\d+) \[B\],? and (\d+) \[C\]", question)
            if not m:
                raise ValueError(f"{d.name}: no starting counts in the question")
            start = dict(zip(BLOCKS[:3], map(int, m.groups()), strict=True))
            data = self._data(start, parse_methods(question))
            simulate(data["initial"], data["methods"], data["schedule"])
            ref = [str(int(x)) for x in read_json(d / "solution.json")["final_counts"]]
            yield Sample(
                self.id,
                question,
                data,
                "<<<" + " ".join(ref) + ">>>",
                "test",
                None,
                None,
                origin_of(root, d),
            )
