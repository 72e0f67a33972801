"""number_multiply: multiply a few signed integers of given digit counts.

Complexity -> knobs: the number of factors grows from 2 to 4 and their digit counts
from (1, 2) to (3, 4, 4, 5); signs are random.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.answers import parse_number
from symbench.core import Sample, Task, origin_of, register, sample_dirs

_DIGITS = {
    1: (1, 2),
    2: (2, 2),
    3: (1, 2, 3),
    4: (2, 3, 3),
    5: (1, 2, 4),
    6: (2, 3, 4),
    7: (1, 3, 4, 4),
    8: (2, 3, 4, 4),
    9: (3, 3, 4, 5),
    10: (3, 4, 4, 5),
}


@register
class NumberMultiply(Task):
    id = "number_multiply"
    split = "unseen"
    family = "computation"
    description = "multiply 2-4 integers of given digit counts exactly"
    answer_format = "Return the product as an integer inside <<< >>>, e.g. <<<-12345>>>."
    original_paths = ("number_multiply",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {"digits": list(_DIGITS[complexity])}

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        factors = []
        for d in knobs["digits"]:
            n = rng.randint(10 ** (d - 1) if d > 1 else 1, 10**d - 1)
            factors.append(-n if rng.random() < 0.3 else n)
        return self._question(factors), {"factors": factors}

    def _question(self, factors: list[int]) -> str:
        expr = "*".join(str(f) for f in factors)
        return f"What is the result of {expr}?\n{self.answer_format}"

    def solve(self, sample: Sample) -> str:
        return f"<<<{math.prod(sample.data['factors'])}>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        want = math.prod(sample.data["factors"])
        got = parse_number(answer)
        return (1.0, "exact") if got == want else (0.0, f"expected {want}, got {got}")

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        value = math.prod(sample.data["factors"])
        return f"<<<{value + rng.choice([-10, -1, 1, 10, 100])}>>>"

    def size(self, sample: Sample) -> float:
        return sum(len(str(abs(f))) for f in sample.data["factors"])

    def import_original(self, root: Path) -> Iterator[Sample]:
        base = root / "number_multiply"
        for group in sorted(p for p in base.iterdir() if p.is_dir()):
            for d in sample_dirs(group):
                factors = eval_list((d / "input_value_list.txt").read_text())
                target = (d / "target_answer.txt").read_text().strip()
                yield Sample(
                    self.id,
                    self._question(factors),
                    {"factors": factors},
                    f"<<<{target}>>>",
                    "test",
                    None,
                    None,
                    origin_of(root, d),
                )


def eval_list(text: str) -> list[int]:
    return [int(x) for x in text.strip().strip("[]").split(",") if x.strip()]
