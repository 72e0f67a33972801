"""string_insertion: one pass of pattern-triggered insertions into a string.

Every rule is "pattern -> letter". All occurrences of every pattern in the *original*
string are found (occurrences may overlap), then each rule's letter is inserted right
after its occurrence. All patterns of a problem have the same length and differ, so at
most one occurrence ends at any position and the result is well defined.

Complexity -> knobs: the string grows from 8 letters (c=1) to 50 (c=10), the number of
planted trigger occurrences from 1 to 8, the rule count from 3 to 8, the alphabet from
4 to 6 letters (A, B, C, ...), and the pattern length from 3 to 5. The original release
(5 fixed rules over A-E, patterns of length 4) is the c=5 setting.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.core import Sample, Task, ilerp, origin_of, read_json, register, sample_dirs

_RULE = re.compile(
    r"If there is a substring ([A-Z]+) in the string, insert the character ([A-Z]) after "
    r"that substring"
)
_ALPHABET = re.compile(r"consisting of characters ((?:[A-Z], )+and [A-Z])")
_STRING = re.compile(r"Given the string ([A-Z]+), what will the string be")


def insertions(text: str, rules: list[list[str]]) -> list[tuple[int, str]]:
    """(position in the original string, letter) for every occurrence, left to right."""
    out = []
    for i in range(len(text)):
        for pattern, letter in rules:
            if text.startswith(pattern, i):
                out.append((i + len(pattern), letter))
    return sorted(out)


def insert_at(text: str, spots: list[tuple[int, str]]) -> str:
    """`text` with each letter inserted at its position (positions in `text`)."""
    pieces, prev = [], 0
    for pos, letter in sorted(spots, key=lambda s: s[0]):
        pieces.append(text[prev:pos] + letter)
        prev = pos
    return "".join(pieces) + text[prev:]


def apply_rules(text: str, rules: list[list[str]]) -> str:
    return insert_at(text, insertions(text, rules))


@register
class StringInsertion(Task):
    id = "string_insertion"
    split = "seen"
    family = "logic_game"
    description = "insert a letter after every occurrence of trigger patterns, one pass"
    answer_format = "Return the resulting string inside <<< >>>, e.g. <<<ABCDAE>>>."
    original_paths = ("string_insertion",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {
            "length": ilerp(complexity, 8, 50),
            "triggers": ilerp(complexity, 1, 8),
            "rules": ilerp(complexity, 3, 8),
            "alphabet": "ABCDEF"[: ilerp(complexity, 4, 6)],
            "pattern_length": ilerp(complexity, 3, 5),
        }

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        alphabet, plen = knobs["alphabet"], knobs["pattern_length"]
        patterns: list[str] = []
        while len(patterns) < knobs["rules"]:
            p = "".join(rng.choice(alphabet) for _ in range(plen))
            if p not in patterns and len(set(p)) > 1:
                patterns.append(p)
        rules = [[p, rng.choice(alphabet)] for p in patterns]
        while True:
            parts = [rng.choice(patterns) for _ in range(knobs["triggers"])]
            filler = knobs["length"] - sum(len(p) for p in parts)
            # random letters between the planted patterns, at least 0 each
            cuts = sorted(rng.randint(0, max(filler, 0)) for _ in range(len(parts)))
            gaps = [b - a for a, b in zip([0, *cuts], [*cuts, max(filler, 0)], strict=True)]
            text = ""
            for gap, part in zip(gaps, [*parts, ""], strict=True):
                text += "".join(rng.choice(alphabet) for _ in range(gap)) + part
            if insertions(text, rules):
                break
        data = {"alphabet": alphabet, "rules": rules, "string": text}
        return self._question(data), data

    def _question(self, data: dict[str, Any]) -> str:
        letters = ", ".join(data["alphabet"])
        lines = "\n".join(
            f"{i}. After each occurrence of {p}, insert {c}."
            for i, (p, c) in enumerate(data["rules"], 1)
        )
        return (
            f"Strings here are made of the letters {letters}. An insertion pass T works "
            "as follows. First find every occurrence of every pattern below in the "
            "original string; occurrences may overlap one another. Then, for each "
            "occurrence, insert the rule's letter immediately after the last character of "
            "that occurrence. All occurrences are looked up in the original string only: "
            "inserted letters never create or destroy occurrences, and the insertions are "
            "done together in one pass from left to right.\n\n"
            f"Rules:\n{lines}\n\n"
            f"Apply T once to the string {data['string']}. What is the result?\n"
            f"{self.answer_format}"
        )

    def solve(self, sample: Sample) -> str:
        return f"<<<{apply_rules(sample.data['string'], sample.data['rules'])}>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        want = apply_rules(sample.data["string"], sample.data["rules"])
        got = re.sub(r"[\s,'\"]", "", answer).upper()
        if got == want:
            return 1.0, "exact"
        if got == sample.data["string"]:
            return 0.0, "nothing was inserted"
        i = next((k for k, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), None)
        if i is None:
            return 0.0, f"expected {len(want)} letters, got {len(got)}"
        return 0.0, f"first difference at index {i}: expected {want[i]!r}, got {got[i]!r}"

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        text, rules = sample.data["string"], sample.data["rules"]
        want = apply_rules(text, rules)
        spots = insertions(text, rules)
        k = rng.randrange(len(spots))
        pos, letter = spots[k]
        kind = rng.randrange(4)
        if kind == 0:  # forget one insertion
            spots = spots[:k] + spots[k + 1 :]
        elif kind == 1:  # insert before the occurrence instead of after it
            spots[k] = (pos - len(rules[0][0]), letter)
        elif kind == 2:  # insert a different letter
            spots[k] = (pos, rng.choice([c for c in sample.data["alphabet"] if c != letter]))
        else:  # nothing inserted at all
            spots = []
        wrong = insert_at(text, spots)
        return f"<<<{wrong if wrong != want else want + letter}>>>"

    def size(self, sample: Sample) -> float:
        return len(sample.data["string"])

    def import_original(self, root: Path) -> Iterator[Sample]:
        base = root / "string_insertion"
        for d in sample_dirs(base):
            question = (d / "question.txt").read_text(encoding="utf-8")
            rules = [list(r) for r in _RULE.findall(question)]
            alpha = _ALPHABET.search(question)
            text = _STRING.search(question)
            if not rules or not alpha or not text:
                raise ValueError(f"{d.name}: cannot read the rules or the string")
            if len({len(p) for p, _ in rules}) != 1:
                raise ValueError(f"{d.name}: patterns of different lengths")
            alphabet = "".join(re.findall(r"[A-Z]", alpha.group(1)))
            stored = read_json(d / "solution.json")
            if stored["original_string"] != text.group(1):
                raise ValueError(f"{d.name}: string differs from solution.json")
            yield Sample(
                self.id,
                question,
                {"alphabet": alphabet, "rules": rules, "string": text.group(1)},
                f"<<<{stored['modified_string']}>>>",
                "test",
                None,
                None,
                origin_of(root, d),
            )
