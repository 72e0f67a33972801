"""pooling: max or average pooling of a square matrix with a k*k window and stride 1.

Complexity -> knobs: the matrix side grows from 3 (c=1) to 10 (c=10), the window from 2
to 4 (always smaller than the matrix) and the entry range from [-10, 20] to [-30, 60];
max or average is drawn at random. Averages are exact fractions; a decimal answer passes
within 1e-4 (relative for values above 1).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

from symbench.core import Sample, Task, ilerp, origin_of, read_json, register, sample_dirs
from symbench.tasks._numbers import close, exact, is_decimal, render, tokens

REL = 1e-4
_WINDOW = re.compile(r"using an? (\d+)\*(\d+) sliding window")
_KIND = re.compile(r"perform (max|average) pooling")
_ROW = re.compile(r"^\s*-?\d+(?:\s*,\s*-?\d+)*\s*$")


def pool(matrix: list[list[int]], k: int, kind: str) -> list[list[Fraction]]:
    """The pooled matrix: one value per window position, stride 1."""
    n = len(matrix)
    out = []
    for i in range(n - k + 1):
        row = []
        for j in range(n - k + 1):
            cells = [matrix[i + a][j + b] for a in range(k) for b in range(k)]
            row.append(Fraction(max(cells)) if kind == "max" else Fraction(sum(cells), k * k))
        out.append(row)
    return out


@register
class Pooling(Task):
    id = "pooling"
    split = "seen"
    family = "logic_game"
    description = "max or average pooling of a square matrix with a sliding window"
    answer_format = (
        "Return the result matrix row by row as one comma-separated list inside <<< >>>, "
        "e.g. <<<1, 2, 3, 4>>> for the 2*2 result [[1, 2], [3, 4]]; write an average "
        "exactly (a fraction such as 37/9) or as a decimal with at least 4 decimal places."
    )
    original_paths = ("pooling_dataset",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {
            "side": ilerp(complexity, 3, 10),
            "window": ilerp(complexity, 2, 4),
            "low": -ilerp(complexity, 10, 30),
            "high": ilerp(complexity, 20, 60),
        }

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        n = knobs["side"]
        matrix = [[rng.randint(knobs["low"], knobs["high"]) for _ in range(n)] for _ in range(n)]
        data = {"matrix": matrix, "window": knobs["window"], "kind": rng.choice(["max", "average"])}
        return self._question(data), data

    def _question(self, data: dict[str, Any]) -> str:
        n, k, kind = len(data["matrix"]), data["window"], data["kind"]
        what = "largest number" if kind == "max" else "average (arithmetic mean)"
        rows = "\n".join(", ".join(map(str, r)) for r in data["matrix"])
        return (
            f"Apply {kind} pooling with a {k}*{k} window and stride 1 to the {n}*{n} matrix "
            "below (one row per line, entries separated by commas). The window is placed at "
            f"every position where it fits inside the matrix, its top-left corner at row i "
            f"and column j for i, j = 1..{n - k + 1}, moving one cell at a time; each "
            f"placement gives the {what} of the {k * k} numbers it covers. These values, "
            f"kept in the order of their window positions, form a {n - k + 1}*{n - k + 1} "
            f"result matrix.\n{rows}\n{self.answer_format}"
        )

    def _want(self, sample: Sample) -> list[Fraction]:
        d = sample.data
        return [v for row in pool(d["matrix"], d["window"], d["kind"]) for v in row]

    def solve(self, sample: Sample) -> str:
        return "<<<" + ", ".join(render(v) for v in self._want(sample)) + ">>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        want = self._want(sample)
        items = tokens(answer)
        if len(items) != len(want):
            return 0.0, f"expected {len(want)} values, got {len(items)}"
        side = round(len(want) ** 0.5)
        for idx, (t, w) in enumerate(zip(items, want, strict=True)):
            if not close(exact(t), w, is_decimal(t), REL):
                r, c = divmod(idx, side)
                return 0.0, f"row {r + 1}, column {c + 1}: expected {render(w)}, got {t}"
        return 1.0, "all values match"

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        want = self._want(sample)
        i = rng.randrange(len(want))
        want[i] += rng.choice([-1, 1])
        return "<<<" + ", ".join(render(v) for v in want) + ">>>"

    def size(self, sample: Sample) -> float:
        return len(sample.data["matrix"]) ** 2

    def import_original(self, root: Path) -> Iterator[Sample]:
        for d in sample_dirs(root / "pooling_dataset"):
            question = (d / "question.txt").read_text(encoding="utf-8")
            win, kind = _WINDOW.search(question), _KIND.search(question)
            rows = [
                [int(x) for x in line.split(",")]
                for line in question.splitlines()
                if _ROW.match(line)
            ]
            if not win or not kind or win.group(1) != win.group(2) or not rows:
                raise ValueError(f"{d.name}: cannot read the window, kind or matrix")
            if any(len(r) != len(rows) for r in rows):
                raise ValueError(f"{d.name}: the matrix is not square")
            data = {"matrix": rows, "window": int(win.group(1)), "kind": kind.group(1)}
            ref = read_json(d / "solution.json")["solution"]
            shown = [
                str(int(v)) if float(v).is_integer() else repr(float(v)) for r in ref for v in r
            ]
            yield Sample(
                self.id,
                question,
                data,
                "<<<" + ", ".join(shown) + ">>>",
                "test",
                None,
                None,
                origin_of(root, d),
            )
