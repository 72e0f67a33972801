"""game_2048: move one tile of a 2048-style grid along a string of single steps (u/d/l/r);
it slides into empty cells, merges with an equal tile, is blocked by a different tile or
the edge. Report the grid afterwards.

`move_tile` is the only statement of the rules. In the original release about half of the
samples name a start cell that is empty; nothing moves then and the grid is unchanged
(the reference answers agree). Generated samples always start on a tile.

Complexity -> knobs: grid side 2 -> 7, moves 2 -> 14, tiles per grid n..2n with values
2..2^k, k = 3 -> 7, all growing linearly with complexity.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.answers import clean
from symbench.core import Sample, Task, ilerp, origin_of, read_json, register, sample_dirs

STEPS = {"u": (-1, 0), "d": (1, 0), "l": (0, -1), "r": (0, 1)}


def move_tile(grid: list[list[int]], start: list[int], moves: str) -> list[list[int]]:
    g = [row[:] for row in grid]
    n = len(g)
    r, c = start
    if g[r][c] == 0:
        return g
    for m in moves:
        dr, dc = STEPS[m]
        nr, nc = r + dr, c + dc
        if not (0 <= nr < n and 0 <= nc < n):
            continue
        if g[nr][nc] == 0 or g[nr][nc] == g[r][c]:
            g[nr][nc] += g[r][c]
            g[r][c] = 0
            r, c = nr, nc
    return g


def grid_text(g: list[list[int]]) -> str:
    return "\n".join(", ".join(map(str, row)) for row in g)


def parse_grid(answer: str, n: int) -> list[list[int]]:
    nums = [int(x) for x in re.findall(r"-?\d+", clean(answer))]
    if len(nums) != n * n:
        raise ValueError(f"expected {n * n} numbers for a {n}x{n} grid, found {len(nums)}")
    return [nums[i * n : (i + 1) * n] for i in range(n)]


@register
class Game2048(Task):
    id = "game_2048"
    split = "unseen"
    family = "logic_game"
    description = "move one tile of a 2048 grid along a move string; final grid"
    answer_format = (
        "Give the whole grid after the moves inside <<< >>>, row by row from the top, "
        "numbers separated by commas, rows on separate lines (or separated by semicolons), "
        "0 for an empty cell; e.g. <<<2, 0; 4, 8>>> for a 2x2 grid."
    )
    original_paths = ("2048_dataset",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {
            "n": ilerp(complexity, 2, 7),
            "moves": ilerp(complexity, 2, 14),
            "max_power": ilerp(complexity, 3, 7),
        }

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        n = knobs["n"]
        while True:
            g = [[0] * n for _ in range(n)]
            cells = [(i, j) for i in range(n) for j in range(n)]
            tiles = rng.sample(cells, rng.randint(n, min(2 * n, n * n - 1)))
            for i, j in tiles:
                g[i][j] = 2 ** rng.randint(1, knobs["max_power"])
            start = list(rng.choice(tiles))
            moves = "".join(rng.choice("udlr") for _ in range(knobs["moves"]))
            if move_tile(g, start, moves) != g:
                data = {"grid": g, "start": start, "moves": moves}
                return self._question(data), data

    def _question(self, data: dict[str, Any]) -> str:
        n = len(data["grid"])
        r, c = data["start"]
        return (
            f"A {n}x{n} grid holds tiles with powers of two; 0 marks an empty cell. Only "
            f"one tile moves: the tile now at row {r + 1}, column {c + 1} (rows counted "
            f"from the top, columns from the left, both from 1). It follows the moves "
            f"'{data['moves']}' one letter at a time, where u = one cell up, d = one cell "
            f"down, l = one cell left and r = one cell right. For each step:\n"
            f"- if the step would leave the grid, the tile stays where it is;\n"
            f"- if the cell it steps into is empty, the tile moves there;\n"
            f"- if that cell holds a tile of the same value, the two merge into a single "
            f"tile of twice the value in that cell, and this merged tile is the one that "
            f"carries on with the remaining moves;\n"
            f"- if that cell holds a tile of a different value, the tile stays where it is.\n"
            f"No other tile ever moves.\n\nGrid:\n{grid_text(data['grid'])}\n\n"
            f"What does the grid look like after all the moves?\n" + self.answer_format
        )

    def _final(self, sample: Sample) -> list[list[int]]:
        d = sample.data
        return move_tile(d["grid"], d["start"], d["moves"])

    def solve(self, sample: Sample) -> str:
        return f"<<<{grid_text(self._final(sample))}>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        want = self._final(sample)
        got = parse_grid(answer, len(want))
        wrong = [
            f"({i + 1}, {j + 1}): expected {w}, got {g}"
            for i, (wr, gr) in enumerate(zip(want, got, strict=True))
            for j, (w, g) in enumerate(zip(wr, gr, strict=True))
            if w != g
        ]
        return (0.0, "; ".join(wrong[:5])) if wrong else (1.0, "exact")

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        g = self._final(sample)
        if rng.random() < 0.5 and g != sample.data["grid"]:
            g = sample.data["grid"]  # forgot to move
        else:
            i, j = rng.randrange(len(g)), rng.randrange(len(g))
            g = [row[:] for row in g]
            g[i][j] = g[i][j] * 2 if g[i][j] else 2
        return f"<<<{grid_text(g)}>>>"

    def size(self, sample: Sample) -> float:
        return len(sample.data["grid"]) ** 2 + len(sample.data["moves"])

    def import_original(self, root: Path) -> Iterator[Sample]:
        for d in sample_dirs(root / "2048_dataset"):
            question = (d / "question.txt").read_text(encoding="utf-8")
            m = re.search(
                r"position \((\d+), (\d+)\) using the sequence '([udlr]*)':\n(.+?)\n\n",
                question,
                re.S,
            )
            if not m:
                raise ValueError(f"{d.name}: cannot read start, moves or grid")
            grid = [[int(x) for x in row.split(",")] for row in m.group(4).strip().split("\n")]
            if any(len(row) != len(grid) for row in grid):
                raise ValueError(f"{d.name}: grid is not square")
            data = {
                "grid": grid,
                "start": [int(m.group(1)) - 1, int(m.group(2)) - 1],
                "moves": m.group(3),
            }
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
