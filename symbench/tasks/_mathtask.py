"""Shared machinery of the two MATH tasks (math_geometry, math_counting_probability).

A task is a list of problem *families*. A family builds a problem from the complexity
knobs (question text + JSON parameters) and computes its exact answer with sympy from
the parameters alone. Imported MATH problems carry only the reference answer (the last
`\\boxed{}` of the stored solution). Both are checked by mathematical equivalence
(`_mathequiv.equivalent`).
"""

from __future__ import annotations

import importlib
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from symbench.answers import last_boxed
from symbench.core import Sample, Task, ilerp

ANSWER_FORMAT = (
    "Give only the final answer, exact and simplified, inside <<< >>>: an integer, a "
    "fraction, a radical or a multiple of pi, an ordered pair, or an angle in degrees "
    "(LaTeX or plain text both work), e.g. <<<\\frac{5\\sqrt{2}}{3}>>> or <<<(2, -7)>>>."
)


@dataclass(frozen=True)
class Family:
    """One kind of generated problem: `build(knobs, rng) -> (text, params)` and an exact
    `solve(params) -> value` (sympy number, or a tuple of them for points)."""

    name: str
    build: Callable[[dict[str, Any], random.Random], tuple[str, dict[str, Any]]]
    solve: Callable[[dict[str, Any]], Any]


def pick_kind(rng: random.Random, options: list[str], steps: int) -> str:
    """A question kind; harder kinds (later in `options`) take over as steps grows:
    steps s allows options[s-2 .. s]."""
    return rng.choice(options[max(0, steps - 2) : steps + 1])


def math_knobs(complexity: int) -> dict[str, Any]:
    """Common knobs: `steps` (conditions / reasoning steps, 1-4), `count` (objects:
    dice, vertices, people; 2-7) and `scale` (largest length or number, 6-60)."""
    return {
        "steps": ilerp(complexity, 1, 4),
        "count": ilerp(complexity, 2, 7),
        "scale": ilerp(complexity, 6, 60),
    }


class MathTask(Task):
    """Base of the MATH tasks; subclasses name the module of their `FAMILIES` and their
    `subject` (MATH folder). Those modules and the checker need sympy, imported only when
    a sample is built, solved or checked: listing the tasks does not pay for it."""

    family = "math"
    answer_format = ANSWER_FORMAT
    families_module: ClassVar[str] = ""
    subject = ""

    @property
    def families(self) -> tuple[Family, ...]:
        return importlib.import_module(self.families_module).FAMILIES  # type: ignore[no-any-return]

    def knobs(self, complexity: int) -> dict[str, Any]:
        return math_knobs(complexity)

    def _family(self, name: str) -> Family:
        for fam in self.families:
            if fam.name == name:
                return fam
        raise ValueError(f"{self.id}: unknown problem family {name!r}")

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        from symbench.tasks._mathequiv import render

        for _ in range(200):
            fam = rng.choice(self.families)
            body, params = fam.build(knobs, rng)
            value = fam.solve(params)
            if value is not None:
                question = f"{body}\n{self.answer_format}"
                return question, {"family": fam.name, "params": params, "answer": render(value)}
        raise ValueError(f"{self.id}: no solvable problem drawn")

    def solve(self, sample: Sample) -> str:
        if "family" not in sample.data:
            raise ValueError(f"{self.id}: no symbolic solver for imported MATH problems")
        from symbench.tasks._mathequiv import render

        fam = self._family(sample.data["family"])
        return f"<<<{render(fam.solve(sample.data['params']))}>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        from symbench.tasks._mathequiv import equivalent

        ok, detail = equivalent(sample.data["answer"], answer)
        return (1.0 if ok else 0.0), detail

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        from symbench.tasks._mathequiv import normalize, render, wrong_variants

        if "family" in sample.data:  # generated: shift the exact value, surely different
            value = self._family(sample.data["family"]).solve(sample.data["params"])
            if isinstance(value, tuple):
                return f"<<<{render((value[0] + 1, *value[1:]))}>>>"
            return f"<<<{render(value + rng.choice([1, -1]))}>>>"
        gold = sample.data["answer"]
        return f"<<<{next(wrong_variants(gold), normalize(gold) + '+1')}>>>"

    def size(self, sample: Sample) -> float:
        """Total digits of the numbers in the problem statement (more and bigger numbers)."""
        text = sample.question.replace(self.answer_format, "")
        return float(sum(len(n) for n in re.findall(r"\d+", text)))

    def import_original(self, root: Path) -> Iterator[Sample]:
        base = root / "MATH"
        for split_dir in sorted(p for p in base.iterdir() if p.is_dir()):
            folder = split_dir / self.subject
            if not folder.is_dir():
                continue
            files = sorted(folder.glob("*.json"), key=lambda p: (len(p.stem), p.stem))
            for path in files:
                item = json.loads(path.read_text(encoding="utf-8"))
                gold = last_boxed(item["solution"])
                if gold is None:
                    raise ValueError(f"{path}: no \\boxed{{}} answer in the solution")
                gold = gold.strip()
                # `clean` strips a leading "." (it reads as punctuation): write ".6" as "0.6"
                shown = re.sub(r"^([-+]?)\.(?=\d)", r"\g<1>0.", gold)
                yield Sample(
                    self.id,
                    f"{item['problem'].strip()}\n{self.answer_format}",
                    {"answer": gold, "level": item.get("level", ""), "type": item.get("type", "")},
                    f"<<<{shown}>>>",
                    "test",
                    None,
                    None,
                    f"MATH/{split_dir.name}/{self.subject}/{path.name}",
                )
