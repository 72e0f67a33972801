"""statistical_counting: score a letter string by rules on runs of equal letters.

Rules (one set for question, solver and verifier): the string splits into maximal runs of
one repeated letter; every run scores once, by its letter's rule, when it is at least the
rule's minimum length.

Complexity -> knobs: the alphabet grows from 2 letters (c=1) to 7 (c=10) and the string
from 5 to 80 characters; minimum run lengths are 2 up to c=5, then 2-3, and 2-4 from c=8;
scores are 1..9 (the original release used 1, 2, 3, ... by letter and minimum 2).
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.core import Sample, Task, ilerp, origin_of, read_json, register, sample_dirs
from symbench.tasks._numbers import exact, integer

WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
_RULE = re.compile(
    r"If there are (\w+) or more consecutive ([A-Z])'s, add (\d+) to the total score",
)
_SEQ = re.compile(r"total score of the string ([A-Z]+)\?")


def score(data: dict[str, Any]) -> int:
    rules = {letter: (least, points) for letter, least, points in data["rules"]}
    total = 0
    for letter, run in itertools.groupby(data["sequence"]):
        if letter in rules and len(list(run)) >= rules[letter][0]:
            total += rules[letter][1]
    return total


@register
class StatisticalCounting(Task):
    id = "statistical_counting"
    split = "seen"
    family = "logic_game"
    description = "score a letter sequence by rules on runs of equal letters"
    answer_format = "Return the total score as an integer inside <<< >>>, e.g. <<<5>>>."
    original_paths = ("statistical_counting_dataset",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {
            "letters": ilerp(complexity, 2, 7),
            "length": ilerp(complexity, 5, 80),
            "max_min_run": 2 if complexity <= 5 else 3 if complexity <= 7 else 4,
        }

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        letters = [chr(65 + i) for i in range(knobs["letters"])]
        rules = [[x, rng.randint(2, knobs["max_min_run"]), rng.randint(1, 9)] for x in letters]
        seq = [rng.choice(letters)]
        while len(seq) < knobs["length"]:
            seq.append(seq[-1] if rng.random() < 0.4 else rng.choice(letters))
        data = {"sequence": "".join(seq), "rules": rules}
        return self._question(data), data

    def _question(self, data: dict[str, Any]) -> str:
        letters = [r[0] for r in data["rules"]]
        rules = "\n".join(
            f"- a run of at least {least} {letter}'s adds {points}"
            for letter, least, points in data["rules"]
        )
        return (
            f"A string is made of the letters {', '.join(letters)}. Its score starts at 0. "
            "Read the string from left to right as runs, where a run is a maximal block of "
            "equal letters next to each other (AABBBA has the runs AA, BBB and A). Every run "
            "is scored exactly once by the rule for its letter, and a run shorter than the "
            f"rule's minimum adds nothing:\n{rules}\n"
            f"What is the total score of the string {data['sequence']}?\n{self.answer_format}"
        )

    def solve(self, sample: Sample) -> str:
        return f"<<<{score(sample.data)}>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        found = re.findall(r"[-+]?\d+(?:\.\d+)?", answer)
        if len(found) != 1:
            raise ValueError(f"expected one number, found {len(found)}")
        got = integer(exact(found[0]), "the score")
        want = score(sample.data)
        return (1.0, "score matches") if got == want else (0.0, f"expected {want}, got {got}")

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        return f"<<<{score(sample.data) + rng.choice([-3, -1, 1, 2])}>>>"

    def size(self, sample: Sample) -> float:
        return len(sample.data["sequence"])

    def import_original(self, root: Path) -> Iterator[Sample]:
        for d in sample_dirs(root / "statistical_counting_dataset"):
            question = (d / "question.txt").read_text(encoding="utf-8")
            seq = _SEQ.search(question)
            rules = [[x, WORDS[w.lower()], int(p)] for w, x, p in _RULE.findall(question)]
            if not seq or not rules:
                raise ValueError(f"{d.name}: cannot read the rules or the string")
            data = {"sequence": seq.group(1), "rules": rules}
            ref = read_json(d / "solution.json")["solution"]
            yield Sample(
                self.id,
                question,
                data,
                f"<<<{ref}>>>",
                "test",
                None,
                None,
                origin_of(root, d),
            )
