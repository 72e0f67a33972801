"""string_splitting: machines A, B, C are dismantled into parts X, Y, Z (and parts
assembled) by five methods visited in turn, each run at most once per visit, until no
method can run; report what remains.

The method table is the original benchmark's (fixed, `METHODS`); original questions word
each method in one of several ways, and `parse_methods` reads the quantities back.

Complexity -> knobs: the starting counts of machines A, B, C are drawn from [lo, hi] with
lo = 1..8 and hi = 5..30 growing linearly with complexity.
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

ORDER = ["A", "B", "C", "X", "Y", "Z"]
KIND = {"A": "machine", "B": "machine", "C": "machine", "X": "part", "Y": "part", "Z": "part"}
METHODS = [
    {"in": {"A": 1}, "out": {"X": 2, "Y": 1}},
    {"in": {"B": 2}, "out": {"X": 1}},
    {"in": {"C": 2}, "out": {"Y": 1}},
    {"in": {"B": 1, "C": 1}, "out": {"A": 1}},
    {"in": {"X": 1, "Y": 1}, "out": {"Z": 1}},
]
_WORDS = {"one": 1, "a single": 1, "two": 2, "three": 3}
_ITEM = re.compile(
    r"\b(one|a single|two|three|\d+)\s+(?:units?\s+of\s+)?(?:machines?|parts?)\s+([A-Z])\b",
    re.I,
)
_YIELDS = re.compile(r"\b(?:into|yields|produces|results in|creates|to form)\b", re.I)


def _items(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for word, item in _ITEM.findall(text):
        n = int(word) if word.isdigit() else _WORDS[word.lower()]
        out[item.upper()] = out.get(item.upper(), 0) + n
    return out


def parse_methods(question: str) -> list[dict[str, dict[str, int]]]:
    methods = []
    for body in re.findall(r"^Method \d+:\s*(.+)$", question, re.M):
        parts = _YIELDS.split(body, maxsplit=1)
        if len(parts) != 2:
            raise ValueError(f"cannot read method {body!r}")
        m = {"in": _items(parts[0]), "out": _items(parts[1])}
        if not m["in"] or not m["out"]:
            raise ValueError(f"cannot read method {body!r}")
        methods.append(m)
    if not methods:
        raise ValueError("no methods in the question")
    return methods


def _side(items: dict[str, int]) -> str:
    parts = [f"{n} {KIND[k]}{'s' if n > 1 else ''} {k}" for k, n in items.items()]
    return join_words(parts)


@register
class StringSplitting(Task):
    id = "string_splitting"
    split = "unseen"
    family = "logic_game"
    description = "dismantle/assemble machines and parts by five cycled methods; final counts"
    answer_format = (
        "Give the final numbers in the order machine A, machine B, machine C, part X, "
        "part Y, part Z as a list of six integers inside <<< >>>, e.g. "
        "<<<[1, 0, 1, 1, 1, 1]>>>."
    )
    original_paths = ("string_splitting",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {"lo": ilerp(complexity, 1, 8), "hi": ilerp(complexity, 5, 30)}

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        start = {k: rng.randint(knobs["lo"], knobs["hi"]) for k in "ABC"}
        data = self._data(start, METHODS)
        return self._question(data), data

    @staticmethod
    def _data(start: dict[str, int], methods: list) -> dict[str, Any]:
        initial = {k: start.get(k, 0) for k in ORDER}
        return {"initial": initial, "methods": methods, "schedule": "once", "order": ORDER}

    def _question(self, data: dict[str, Any]) -> str:
        ini = data["initial"]
        lines = [
            f"Method {i}: {_side(m['in'])} -> {_side(m['out'])}"
            for i, m in enumerate(data["methods"], 1)
        ]
        return (
            "A workshop holds old machines of types A, B and C. Using the methods below, "
            "machines can be taken apart into parts X, Y and Z, or combined; each run of a "
            "method uses up the items left of the arrow and produces the items right of it.\n"
            + "\n".join(lines)
            + "\n\n"
            + schedule_text(data["schedule"], len(data["methods"]))
            + f"\n\nAt the start there are {ini['A']} machines A, {ini['B']} machines B and "
            f"{ini['C']} machines C, and no parts. How many machines of each type and parts "
            f"of each type are there when the process stops?\n" + self.answer_format
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
        for d in sample_dirs(root / "string_splitting"):
            question = (d / "question.txt").read_text(encoding="utf-8")
            m = re.search(
                r"there are (\d+) units? of Machine A, (\d+) units? of Machine B,? and "
                r"(\d+) units? of Machine C",
                question,
            )
            if not m:
                raise ValueError(f"{d.name}: no starting counts in the question")
            data = self._data(
                dict(zip("ABC", map(int, m.groups()), strict=True)), parse_methods(question)
            )
            simulate(data["initial"], data["methods"], data["schedule"])
            ref = [int(x) for x in read_json(d / "solution.json")["expected_answer"]]
            yield Sample(
                self.id,
                question,
                data,
                f"<<<{[str(x) for x in ref]}>>>".replace("'", '"'),
                "test",
                None,
                None,
                origin_of(root, d),
            )
