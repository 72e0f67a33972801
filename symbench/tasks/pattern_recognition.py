"""pattern_recognition: find the bottom-right corner of the one largest square block of a
single character in a letter matrix.

A square block is a k x k group of adjacent cells (k >= 3) that all hold the same
letter. Every problem has exactly one largest block (the generator proves it with the
solver); the answer is its bottom-right cell, 0-based [row, column].

Complexity -> knobs: the matrix grows from 6-7 rows/columns (c=1) to 16-20 (c=10); the
target side from 3 to at most 3-7; the number of decoys from 0 to 8. Decoys are smaller
full squares, blocks of the target size with one wrong cell, and rectangles one cell
narrower than the target, all of which contain only smaller squares.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.core import Sample, Task, ilerp, origin_of, read_json, register, sample_dirs

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MIN_SIDE = 3


def largest_squares(matrix: list[list[str]]) -> tuple[int, list[tuple[int, int]]]:
    """Side of the largest one-letter square block and the bottom-right cells of all
    blocks of that side (dynamic programming over bottom-right corners)."""
    rows, cols = len(matrix), len(matrix[0])
    side = [[1] * cols for _ in range(rows)]
    for r in range(1, rows):
        for c in range(1, cols):
            ch = matrix[r][c]
            if ch == matrix[r - 1][c] == matrix[r][c - 1] == matrix[r - 1][c - 1]:
                side[r][c] = 1 + min(side[r - 1][c], side[r][c - 1], side[r - 1][c - 1])
    best = max(max(row) for row in side)
    return best, [(r, c) for r in range(rows) for c in range(cols) if side[r][c] == best]


def answer_cell(matrix: list[list[str]]) -> tuple[int, int]:
    best, cells = largest_squares(matrix)
    if best < MIN_SIDE:
        raise ValueError(f"no one-letter square of side {MIN_SIDE} or more")
    if len(cells) != 1:
        raise ValueError(f"{len(cells)} largest squares of side {best}: not unique")
    return cells[0]


def _fill(matrix: list[list[str]], r: int, c: int, h: int, w: int, ch: str) -> None:
    for i in range(r, r + h):
        for j in range(c, c + w):
            matrix[i][j] = ch


@register
class PatternRecognition(Task):
    id = "pattern_recognition"
    split = "seen"
    family = "logic_game"
    description = "locate the largest one-letter square block in a letter matrix"
    answer_format = (
        "Give the 0-based row and column of the bottom-right cell of that square inside "
        "<<< >>> as <<<[row, column]>>>, e.g. <<<[4, 7]>>>."
    )
    original_paths = ("pattern_recognition",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {
            "min_dim": ilerp(complexity, 6, 16),
            "max_dim": ilerp(complexity, 7, 20),
            "max_side": ilerp(complexity, 3, 7),
            "decoys": ilerp(complexity, 0, 8),
        }

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        while True:
            rows = rng.randint(knobs["min_dim"], knobs["max_dim"])
            cols = rng.randint(knobs["min_dim"], knobs["max_dim"])
            side = rng.randint(MIN_SIDE, min(knobs["max_side"], min(rows, cols) // 2))
            m = [[rng.choice(LETTERS) for _ in range(cols)] for _ in range(rows)]
            for _ in range(knobs["decoys"]):
                kind = rng.randrange(3)
                h = w = side if kind else rng.randint(2, side - 1)
                if kind == 2:
                    h, w = (side, side - 1) if rng.random() < 0.5 else (side - 1, side)
                r, c = rng.randint(0, rows - h), rng.randint(0, cols - w)
                _fill(m, r, c, h, w, rng.choice(LETTERS))
                if kind == 1:
                    m[r + rng.randrange(h)][c + rng.randrange(w)] = rng.choice(LETTERS)
            r, c = rng.randint(0, rows - side), rng.randint(0, cols - side)
            _fill(m, r, c, side, side, rng.choice(LETTERS))
            best, cells = largest_squares(m)
            if best == side and cells == [(r + side - 1, c + side - 1)]:
                return self._question(m), {"matrix": m}

    def _question(self, matrix: list[list[str]]) -> str:
        grid = "\n".join(" ".join(row) for row in matrix)
        return (
            f"Here is a matrix of letters with {len(matrix)} rows and {len(matrix[0])} "
            "columns; rows and columns are numbered from 0, starting at the top-left "
            f"cell:\n\n{grid}\n\nA square block is a group of k x k adjacent cells, k at "
            f"least {MIN_SIDE}, that all hold the same letter. Among all square blocks in "
            "this matrix exactly one is the largest (a smaller block inside it does not "
            "count as another one). Find it and report the row and column of its "
            f"bottom-right cell.\n{self.answer_format}"
        )

    def solve(self, sample: Sample) -> str:
        r, c = answer_cell(sample.data["matrix"])
        return f"<<<[{r}, {c}]>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        want = answer_cell(sample.data["matrix"])
        nums = [int(x) for x in re.findall(r"-?\d+", answer)]
        if len(nums) != 2:
            raise ValueError(f"expected two numbers [row, column], got {answer!r}")
        if tuple(nums) == want:
            return 1.0, "exact"
        return 0.0, f"expected [{want[0]}, {want[1]}], got [{nums[0]}, {nums[1]}]"

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        best, [(r, c)] = largest_squares(sample.data["matrix"])
        wrong = rng.choice(
            [(r - best + 1, c - best + 1), (r + 1, c), (r, c - 1), (c, r) if r != c else (r, 0)]
        )
        return f"<<<[{wrong[0]}, {wrong[1]}]>>>"

    def size(self, sample: Sample) -> float:
        return len(sample.data["matrix"]) * len(sample.data["matrix"][0])

    def import_original(self, root: Path) -> Iterator[Sample]:
        # pattern_recognition_dataset.json holds the same 100 problems as the sample_N
        # folders (same questions and answers, same order), so only the folders are read.
        base = root / "pattern_recognition"
        for d in sample_dirs(base):
            question = (d / "question.txt").read_text(encoding="utf-8")
            body = question.split("If the matrix is", 1)[1].split("Please provide", 1)[0]
            matrix = [ln.split() for ln in body.strip().splitlines()]
            if len({len(r) for r in matrix}) != 1:
                raise ValueError(f"{d.name}: ragged matrix")
            stored = read_json(d / "solution.json")
            yield Sample(
                self.id,
                question,
                {"matrix": matrix},
                f"<<<[{stored['row']}, {stored['column']}]>>>",
                "test",
                None,
                None,
                origin_of(root, d),
            )
