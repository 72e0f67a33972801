"""matrix_transformation: apply one or more rotations/flips to a matrix of symbols.

Complexity -> knobs: the matrix grows from 2x2 (c=1) to 8x9 (c=10); the symbols are
upper-case letters at c<=2 and letters, digits and punctuation above; c<=4 asks for a
single 90-degree clockwise rotation (as in the original release), c=5..7 for one or two
operations and c>=8 for two or three, drawn from rotations (90 clockwise,
90 counterclockwise, 180), left-right and upside-down mirroring, and transposition;
sequences that add up to no change are redrawn.
The answer is exact: the transformed matrix read row by row.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.answers import parse_literal
from symbench.core import Sample, Task, origin_of, read_json, register, sample_dirs

Matrix = list[list[str]]

# operation id -> (wording in the question, function)
OPS: dict[str, tuple[str, Any]] = {
    "rot90cw": (
        "rotate it 90 degrees clockwise",
        lambda m: [list(r) for r in zip(*m[::-1], strict=True)],
    ),
    "rot90ccw": (
        "rotate it 90 degrees counterclockwise",
        lambda m: [list(r) for r in zip(*m, strict=True)][::-1],
    ),
    "rot180": ("rotate it 180 degrees", lambda m: [r[::-1] for r in m[::-1]]),
    "flip_lr": (
        "mirror it left to right (reverse the order of the cells in every row)",
        lambda m: [r[::-1] for r in m],
    ),
    "flip_ud": (
        "mirror it top to bottom (reverse the order of the rows)",
        lambda m: [list(r) for r in m[::-1]],
    ),
    "transpose": (
        "transpose it (row i becomes column i, so the cell at row i, column j moves to "
        "row j, column i)",
        lambda m: [list(r) for r in zip(*m, strict=True)],
    ),
}
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SYMBOLS = LETTERS + "123456789" + "!#$%&*@^"
# complexity -> (rows, cols, max operations)
_SHAPES = {
    1: (2, 2, 1),
    2: (2, 3, 1),
    3: (3, 3, 1),
    4: (3, 4, 1),
    5: (4, 4, 2),
    6: (4, 5, 2),
    7: (5, 6, 2),
    8: (6, 6, 3),
    9: (7, 7, 3),
    10: (8, 9, 3),
}
_ORIG_HEAD = "Your task is to rotate this matrix 90 degrees clockwise"


def transform(matrix: Matrix, ops: list[str]) -> Matrix:
    out = [list(r) for r in matrix]
    for op in ops:
        out = OPS[op][1](out)
    return out


def flat(matrix: Matrix) -> str:
    return ",".join(x for row in matrix for x in row)


def parse_cells(answer: str) -> list[str]:
    """Cells of an answer given row by row: `A,B,C,D`, `A B / C D` lines, or a nested list."""
    text = answer.strip()
    if text.startswith("["):
        value = parse_literal(text)
        cells: list[str] = []
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, (list, tuple)):
                stack.extend(reversed(item))
            else:
                cells.append(str(item).strip())
        return cells
    return [t.strip("'\"` ") for t in re.split(r"[,;\s]+", text) if t.strip("'\"` ")]


@register
class MatrixTransformation(Task):
    id = "matrix_transformation"
    split = "seen"
    family = "logic_game"
    description = "rotate/mirror/transpose a symbol matrix and write the result row by row"
    answer_format = (
        "Write the resulting matrix row by row, top row first, as one comma-separated list "
        "inside <<< >>>; e.g. <<<A,B,C,D>>> is the 2x2 matrix with first row A B and "
        "second row C D."
    )
    original_paths = ("matrix_transformation_dataset",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        rows, cols, max_ops = _SHAPES[complexity]
        return {
            "rows": rows,
            "cols": cols,
            "max_ops": max_ops,
            "symbols": "letters" if complexity <= 2 else "letters, digits, punctuation",
        }

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        rows, cols = knobs["rows"], knobs["cols"]
        if rng.random() < 0.5:
            rows, cols = cols, rows
        symbols = LETTERS if knobs["symbols"] == "letters" else SYMBOLS
        matrix = [[rng.choice(symbols) for _ in range(cols)] for _ in range(rows)]
        ops = ["rot90cw"]
        labels = [[f"{r},{c}" for c in range(cols)] for r in range(rows)]
        while knobs["max_ops"] > 1 and (ops == ["rot90cw"] or transform(labels, ops) == labels):
            n = rng.randint(knobs["max_ops"] - 1, knobs["max_ops"])  # never the identity
            ops = [rng.choice(sorted(OPS)) for _ in range(n)]
        return self._question(matrix, ops), {"matrix": matrix, "ops": ops}

    def _question(self, matrix: Matrix, ops: list[str]) -> str:
        steps = "\n".join(f"{i}. {OPS[op][0]}" for i, op in enumerate(ops, 1))
        grid = "\n".join(" ".join(r) for r in matrix)
        return (
            f"Below is a matrix of symbols with {len(matrix)} rows and {len(matrix[0])} "
            "columns (one row per line, cells separated by spaces):\n\n"
            f"{grid}\n\nTransform the matrix by applying these operations in the order "
            f"given, each to the result of the previous one:\n{steps}\n\n"
            f"What is the final matrix?\n{self.answer_format}"
        )

    def solve(self, sample: Sample) -> str:
        return f"<<<{flat(transform(sample.data['matrix'], sample.data['ops']))}>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        want = transform(sample.data["matrix"], sample.data["ops"])
        cells = [x for row in want for x in row]
        got = parse_cells(answer)
        if len(got) != len(cells):
            return 0.0, f"expected {len(cells)} cells ({len(want)}x{len(want[0])}), got {len(got)}"
        if not any(x.islower() for x in cells):
            got = [x.upper() for x in got]
        width = len(want[0])
        for i, (g, w) in enumerate(zip(got, cells, strict=True)):
            if g != w:
                return 0.0, f"row {i // width}, column {i % width}: expected {w!r}, got {g!r}"
        return 1.0, "exact"

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        want = transform(sample.data["matrix"], sample.data["ops"])
        for op in rng.sample(sorted(OPS), len(OPS)):
            wrong = OPS[op][1](want)
            if len(wrong) == len(want) and wrong != want:
                return f"<<<{flat(wrong)}>>>"
        r, c = rng.randrange(len(want)), rng.randrange(len(want[0]))
        want[r][c] = "Z" if want[r][c] != "Z" else "Y"
        return f"<<<{flat(want)}>>>"

    def size(self, sample: Sample) -> float:
        m = sample.data["matrix"]
        return len(m) * len(m[0]) * len(sample.data["ops"])

    def import_original(self, root: Path) -> Iterator[Sample]:
        base = root / "matrix_transformation_dataset"
        for d in sample_dirs(base):
            question = (d / "question.txt").read_text(encoding="utf-8")
            if _ORIG_HEAD not in question:
                raise ValueError(f"{d.name}: not a 90-degree clockwise rotation question")
            body = question.split("If the matrix is", 1)[1].split("What is the result?")[0]
            lines = [ln.strip() for ln in body.strip().splitlines() if ln.strip()]
            lines[-1] = lines[-1].removesuffix(".")
            matrix = [ln.split() for ln in lines]
            if len({len(r) for r in matrix}) != 1:
                raise ValueError(f"{d.name}: ragged matrix")
            stored = read_json(d / "solution.json")
            if stored["matrix"] != matrix:
                raise ValueError(f"{d.name}: matrix in question.txt differs from solution.json")
            yield Sample(
                self.id,
                question,
                {"matrix": matrix, "ops": ["rot90cw"]},
                f"<<<{stored['formatted_solution']}>>>",
                "test",
                None,
                None,
                origin_of(root, d),
            )
