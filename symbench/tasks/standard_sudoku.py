"""standard_sudoku: fill a 9x9 sudoku. Any fill that keeps the givens and makes every row,
column and 3x3 box hold 1..9 once is accepted (constraint check, not string match).

Generated puzzles have exactly one solution: a shuffled full grid loses cells in random
order, and a cell stays removed only if the exact solver (bitmask backtracking, fewest
candidates first) finds no solution with a different digit there.

Complexity -> knobs: removed cells 30 -> 54 (givens 51 -> 27), growing linearly.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.answers import clean
from symbench.core import Sample, Task, ilerp, origin_of, read_json, register, sample_dirs

ALL = 0x3FE  # bits 1..9
ROW = [i // 9 for i in range(81)]
COL = [i % 9 for i in range(81)]
BOX = [(i // 27) * 3 + (i % 9) // 3 for i in range(81)]


def solve_grid(cells: list[int], limit: int = 1, banned: dict[int, int] | None = None):
    """Up to `limit` solutions of a grid (81 ints, 0 = empty) as lists of 81 ints.

    `banned` maps a cell index to a digit bit mask that cell may not take."""
    rows, cols, boxes = [0] * 9, [0] * 9, [0] * 9
    for i, v in enumerate(cells):
        if v:
            bit = 1 << v
            if rows[ROW[i]] & bit or cols[COL[i]] & bit or boxes[BOX[i]] & bit:
                return []
            rows[ROW[i]] |= bit
            cols[COL[i]] |= bit
            boxes[BOX[i]] |= bit
    grid = list(cells)
    empty = [i for i in range(81) if not grid[i]]
    ban = banned or {}
    found: list[list[int]] = []

    def search() -> bool:
        best, best_mask, best_n = -1, 0, 10
        for i in empty:
            if grid[i]:
                continue
            mask = ALL & ~(rows[ROW[i]] | cols[COL[i]] | boxes[BOX[i]] | ban.get(i, 0))
            n = mask.bit_count()
            if n < best_n:
                best, best_mask, best_n = i, mask, n
                if n <= 1:
                    break
        if best < 0:
            found.append(list(grid))
            return len(found) >= limit
        r, c, b = ROW[best], COL[best], BOX[best]
        while best_mask:
            bit = best_mask & -best_mask
            best_mask ^= bit
            grid[best] = bit.bit_length() - 1
            rows[r] |= bit
            cols[c] |= bit
            boxes[b] |= bit
            done = search()
            rows[r] ^= bit
            cols[c] ^= bit
            boxes[b] ^= bit
            grid[best] = 0
            if done:
                return True
        return False

    search()
    return found


def count_solutions(cells: list[int], limit: int = 2) -> int:
    return len(solve_grid(cells, limit))


def full_grid(rng: random.Random) -> list[int]:
    """A random complete grid: the standard pattern with shuffled bands, rows, stacks,
    columns and digits."""

    def order() -> list[int]:
        bands = rng.sample(range(3), 3)
        return [b * 3 + r for b in bands for r in rng.sample(range(3), 3)]

    rs, cs, digits = order(), order(), rng.sample(range(1, 10), 9)
    g = [digits[(3 * (r % 3) + r // 3 + c) % 9] for r in rs for c in cs]
    if rng.random() < 0.5:
        g = [g[(i % 9) * 9 + i // 9] for i in range(81)]
    return g


def make_puzzle(rng: random.Random, removed: int) -> tuple[list[int], list[int]] | None:
    solution = full_grid(rng)
    cells = list(solution)
    gone = 0
    for i in rng.sample(range(81), 81):
        v, cells[i] = cells[i], 0
        if solve_grid(cells, 1, {i: 1 << v}):
            cells[i] = v  # another digit fits there: keep the given
        else:
            gone += 1
            if gone == removed:
                return cells, solution
    return None


def parse_grid(answer: str) -> list[int]:
    digits = re.findall(r"\d", clean(answer))
    if len(digits) != 81:
        raise ValueError(f"expected 81 digits for a 9x9 grid, found {len(digits)}")
    return [int(x) for x in digits]


def violations(puzzle: list[int], filled: list[int]) -> list[str]:
    bad = [
        f"given {puzzle[i]} at ({ROW[i] + 1}, {COL[i] + 1}) changed to {filled[i]}"
        for i in range(81)
        if puzzle[i] and filled[i] != puzzle[i]
    ]
    for name, key in (("row", ROW), ("column", COL), ("box", BOX)):
        for u in range(9):
            vals = sorted(filled[i] for i in range(81) if key[i] == u)
            if vals != list(range(1, 10)):
                bad.append(f"{name} {u + 1} holds {vals}, not 1..9 once each")
    return bad


def rows_text(cells: list[int], sep: str = " ", blank: str = ".") -> str:
    return "\n".join(
        sep.join(str(v) if v else blank for v in cells[r * 9 : r * 9 + 9]) for r in range(9)
    )


@register
class StandardSudoku(Task):
    id = "standard_sudoku"
    split = "seen"
    family = "logic_game"
    description = "fill a 9x9 sudoku; any valid completion of the givens"
    answer_format = (
        "Give the completed grid inside <<< >>>: 9 lines, one per row from the top, each "
        "holding that row's 9 digits separated by commas (81 digits in all)."
    )
    original_paths = ("standard_sudoku",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {"removed": ilerp(complexity, 30, 54)}

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        while True:
            made = make_puzzle(rng, knobs["removed"])
            if made:
                data = {"puzzle": [made[0][r * 9 : r * 9 + 9] for r in range(9)]}
                return self._question(data), data

    def _question(self, data: dict[str, Any]) -> str:
        cells = [v for row in data["puzzle"] for v in row]
        return (
            "Complete this 9x9 sudoku. Every empty cell (shown as .) must get a digit from "
            "1 to 9 so that each row, each column and each of the nine 3x3 boxes (the grid "
            "split into three bands of three rows and three stacks of three columns) "
            "contains every digit 1-9 exactly once. The digits already shown must stay.\n\n"
            + rows_text(cells)
            + "\n\n"
            + self.answer_format
        )

    @staticmethod
    def _cells(sample: Sample) -> list[int]:
        return [int(v) for row in sample.data["puzzle"] for v in row]

    def solve(self, sample: Sample) -> str:
        found = solve_grid(self._cells(sample))
        if not found:
            raise ValueError("the sudoku has no solution")
        return "<<<" + rows_text(found[0], ",", "0") + ">>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        bad = violations(self._cells(sample), parse_grid(answer))
        return (0.0, "; ".join(bad[:4])) if bad else (1.0, "valid completion")

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        filled = parse_grid(answer_text.replace("<<<", "").replace(">>>", ""))
        free = [i for i, v in enumerate(self._cells(sample)) if not v]
        i = rng.choice(free)
        filled[i] = filled[i] % 9 + 1
        return "<<<" + rows_text(filled, ",", "0") + ">>>"

    def size(self, sample: Sample) -> float:
        return sum(1 for v in self._cells(sample) if not v)

    def import_original(self, root: Path) -> Iterator[Sample]:
        for d in sample_dirs(root / "standard_sudoku"):
            question = (d / "question.txt").read_text(encoding="utf-8")
            sol = read_json(d / "solution.json")
            rows = [
                line.split(",")
                for line in question.splitlines()
                if line.count(",") == 8 and re.fullmatch(r"[\d ,]+", line)
            ]
            if len(rows) != 9:
                raise ValueError(f"{d.name}: cannot read the 9x9 grid")
            puzzle = [[int(x) if x.strip() else 0 for x in row] for row in rows]
            if puzzle != sol["puzzle"]:
                raise ValueError(f"{d.name}: question grid differs from solution.json")
            ref = rows_text([v for row in sol["solution"] for v in row], ",", "0")
            yield Sample(
                self.id,
                question,
                {"puzzle": puzzle},
                f"<<<{ref}>>>",
                "test",
                None,
                None,
                origin_of(root, d),
            )
