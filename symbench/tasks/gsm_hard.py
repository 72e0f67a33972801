"""gsm_hard: multi-step grade-school word problems with large numbers.

Generated problems come from templates (shopping, factory output, compound interest,
sharing out a sum, a journey, warehouse stock); each records its arithmetic as a small
program of + - * / steps that the solver evaluates exactly with Fractions.

Complexity -> knobs: `digits` (size of the main quantities) grows from 2 to 7, `small`
(size of the secondary quantities) from 1 to 3, and `stages` (items bought, production
lines, years, people taking a share, journey legs, days of stock changes) from 1 to 6;
each stage adds one to three arithmetic steps.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

from symbench.answers import clean, parse_number
from symbench.core import Sample, SymbenchError, Task, ilerp, register
from symbench.tasks._gsm_templates import TEMPLATES

REL_TOL = Fraction(1, 1000)
_SCALE = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_MIXED = re.compile(r"^([-+]?\d+)\s+(\d+)/(\d+)$")
_FRAC = re.compile(r"\\d?frac\{([-+]?[\d.]+)\}\{([\d.]+)\}")
_POW10 = re.compile(r"([-+]?\d[\d.,]*)\s*(?:x|×|\*|\\times|\\cdot)\s*10\s*\^\s*\{?([-+]?\d+)\}?")


def evaluate(program: list[list[str]]) -> Fraction:
    """Run the steps exactly; an operand is a number or `#i`, the result of step i."""
    vals: list[Fraction] = []
    for op, a, b in program:
        x, y = (vals[int(v[1:])] if v.startswith("#") else Fraction(v) for v in (a, b))
        if op == "/" and y == 0:
            raise SymbenchError("division by zero in the problem")
        vals.append({"+": x + y, "-": x - y, "*": x * y, "/": x / y if y else x}[op])
    return vals[-1]


def parse_amount(text: str) -> Fraction:
    """A number from answer text, tolerant of `$`, commas, units, `1.2 million`,
    `2 1/2`, `\\frac{3}{4}` and `3 × 10^6`."""
    v = clean(text).replace("\\$", "$").replace("\\,", "").replace("\\!", "")
    v = re.sub(r"(?<=\d),(?=\d{3}\b)", "", v).replace("\u2212", "-")
    v = re.sub(r"^[^\d+\-.\\]*(?=[-+]?[\d.\\])", "", v.replace("$", ""))  # words before it
    if m := _MIXED.match(v):
        whole, num, den = int(m.group(1)), int(m.group(2)), int(m.group(3))
        return whole + (Fraction(num, den) if whole >= 0 else -Fraction(num, den))
    if m := _FRAC.search(v):
        sign = -1 if v.lstrip().startswith("-") else 1
        return sign * Fraction(m.group(1)) / Fraction(m.group(2))
    if m := _POW10.search(v):
        return Fraction(m.group(1).replace(",", "")) * Fraction(10) ** int(m.group(2))
    value = parse_number(v)
    scale = re.search(r"\d\s*(thousand|million|billion|trillion)\b", v, re.IGNORECASE)
    return value * _SCALE[scale.group(1).lower()] if scale else value


def render(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.12g}"


def close(got: Fraction, want: Fraction) -> bool:
    if want == 0:
        return abs(got) <= Fraction(1, 10**6)
    return abs(got - want) <= REL_TOL * abs(want)


@register
class GsmHard(Task):
    id = "gsm_hard"
    split = "seen"
    family = "math"
    description = "multi-step grade-school word problems with large numbers"
    answer_format = (
        "Give the final numeric answer only (no units) inside <<< >>>, e.g. <<<1234.5>>>."
    )
    original_paths = ("gsmhardv2.jsonl",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {
            "digits": ilerp(complexity, 2, 7),
            "small": ilerp(complexity, 1, 3),
            "stages": ilerp(complexity, 1, 6),
        }

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        name = rng.choice(sorted(TEMPLATES))
        text, prog = TEMPLATES[name](rng, knobs["stages"], knobs["digits"], knobs["small"])
        data = {"template": name, "program": prog.steps}
        return f"{text}\n{self.answer_format}", data

    def _want(self, data: dict[str, Any]) -> Fraction:
        if "program" in data:
            return evaluate(data["program"])
        return Fraction(data["target"])  # an imported GSM-Hard problem: its stored target

    def solve(self, sample: Sample) -> str:
        if "program" not in sample.data:
            raise SymbenchError("an imported GSM-Hard problem has no program to solve")
        return f"<<<{render(evaluate(sample.data['program']))}>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        want, got = self._want(sample.data), parse_amount(answer)
        if close(got, want):
            return 1.0, "correct"
        return 0.0, f"expected {render(want)}, got {render(got)}"

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        want = self._want(sample.data)
        delta = max(Fraction(1), abs(want) / rng.choice([10, 20, 50]))
        return f"<<<{render(want + rng.choice([-1, 1]) * delta)}>>>"

    def size(self, sample: Sample) -> float:
        program = sample.data.get("program") or []
        numbers = [v for step in program for v in step[1:] if v[0] != "#"]
        numbers = numbers or re.findall(r"\d+", sample.question)
        return len(program) + max((len(n.split(".")[0]) for n in numbers), default=0)

    def import_original(self, root: Path) -> Iterator[Sample]:
        path = Path(root) / "gsmhardv2.jsonl"
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f):
                if not line.strip():
                    continue
                row = json.loads(line)
                target = row["target"]
                if not isinstance(target, int | float) or not math.isfinite(target):
                    raise ValueError(f"line {i + 1}: target {target!r} is not a number")
                value = Fraction(repr(float(target)))
                question = f"{row['input'].strip()}\n{self.answer_format}"
                data, origin = {"target": repr(float(target))}, f"gsmhardv2.jsonl/{i}"
                yield Sample(
                    self.id, question, data, f"<<<{render(value)}>>>", "test", None, None, origin
                )
