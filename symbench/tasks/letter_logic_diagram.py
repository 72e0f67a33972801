"""letter_logic_diagram: complete a 7x7 grid over the letters a-g so that every row and
every column holds each letter once and all cells of the minor diagonal (top-right to
bottom-left) hold the same letter; pre-filled cells stay.

Complexity -> knobs: the number of blank cells grows from 14 (c=1) to 42 (c=10) of the
49. The generator fills a random valid grid with the solver (random letter order) and
blanks random cells; the puzzle is solvable by construction and the solver re-solves it
from the givens. Many completions may exist: the verifier checks the rules, not one
stored grid.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.answers import parse_literal
from symbench.core import Sample, Task, ilerp, origin_of, read_json, register, sample_dirs

N = 7
LETTERS = "abcdefg"
Grid = list[list[str | None]]
_ORIG_HEAD = "Given a 7x7 grid of letters {a..g}, some cells are pre-filled."


def _complete(cells: list[list[int | None]], rng: random.Random | None) -> bool:
    """Fill the None cells of `cells` (letter indices) in place so that no row or column
    repeats a letter; backtracking over the cell with the fewest candidates (bitmasks)."""
    full = (1 << N) - 1
    rows, cols = [0] * N, [0] * N
    for r in range(N):
        for c in range(N):
            v = cells[r][c]
            if v is not None:
                if (rows[r] | cols[c]) >> v & 1:
                    return False
                rows[r] |= 1 << v
                cols[c] |= 1 << v
    blanks = [(r, c) for r in range(N) for c in range(N) if cells[r][c] is None]

    def search(k: int) -> bool:
        if k == len(blanks):
            return True
        best_i, best_m = k, -1
        for i in range(k, len(blanks)):
            r, c = blanks[i]
            m = full & ~(rows[r] | cols[c])
            if best_m < 0 or m.bit_count() < best_m.bit_count():
                best_i, best_m = i, m
                if m.bit_count() <= 1:
                    break
        blanks[k], blanks[best_i] = blanks[best_i], blanks[k]
        r, c = blanks[k]
        for v in rng.sample(range(N), N) if rng is not None else range(N):
            if best_m >> v & 1:
                cells[r][c] = v
                rows[r] |= 1 << v
                cols[c] |= 1 << v
                if search(k + 1):
                    return True
                rows[r] &= ~(1 << v)
                cols[c] &= ~(1 << v)
        cells[r][c] = None
        blanks[k], blanks[best_i] = blanks[best_i], blanks[k]
        return False

    return search(0)


def solve_grid(grid: Grid, rng: random.Random | None = None) -> list[list[str]] | None:
    """A completion of `grid` keeping its letters, or None. The minor-diagonal letter is
    tried first (the given one, if any), then the rest is a Latin-square completion."""
    diag_given = sorted({grid[r][N - 1 - r] for r in range(N)} - {None})
    if len(diag_given) > 1:
        return None
    choices = [LETTERS.index(x) for x in diag_given] or list(range(N))
    if rng is not None and not diag_given:
        rng.shuffle(choices)
    for d in choices:
        cells: list[list[int | None]] = [
            [None if x is None else LETTERS.index(x) for x in row] for row in grid
        ]
        for r in range(N):
            cells[r][N - 1 - r] = d
        if _complete(cells, rng):
            return [[LETTERS[v] for v in row] for row in cells]  # type: ignore[index]
    return None


def parse_grid(answer: str) -> list[list[str]]:
    """Rows of letters from lines like `a,b,c,...`, `a b c ...`, `abcdefg` or a nested list."""
    text = answer.strip()
    if text.startswith("["):
        value = parse_literal(text)
        return [[str(x).strip().lower() for x in row] for row in value]
    lines = [ln for ln in (x.strip() for x in text.splitlines()) if ln]
    if len(lines) == 1:  # all on one line: 49 letters, or rows separated by ; or |
        parts = re.split(r"[;|]", lines[0])
        lines = parts if len(parts) > 1 else lines
    rows = []
    for ln in lines:
        cells = [t for t in re.split(r"[,\s]+", ln.strip("[]()'\" ")) if t]
        if len(cells) == 1:
            cells = list(cells[0])
        rows.append([t.strip("'\"").lower() for t in cells])
    if len(rows) == 1 and len(rows[0]) == N * N:
        rows = [rows[0][i : i + N] for i in range(0, N * N, N)]
    return rows


def violations(grid: Grid, filled: list[list[str]]) -> list[str]:
    """Every rule the filled grid breaks (empty when it is a valid answer)."""
    if len(filled) != N or any(len(row) != N for row in filled):
        return [f"expected {N} rows of {N} letters, got {[len(r) for r in filled]}"]
    out = []
    for r, row in enumerate(filled):
        for c, x in enumerate(row):
            if x not in LETTERS:
                out.append(f"row {r + 1}, column {c + 1}: {x!r} is not one of a-g")
            elif grid[r][c] is not None and grid[r][c] != x:
                out.append(f"row {r + 1}, column {c + 1}: pre-filled {grid[r][c]!r} changed")
    for r, row in enumerate(filled):
        if sorted(row) != list(LETTERS):
            out.append(f"row {r + 1} is not a permutation of a-g")
    for c in range(N):
        if sorted(filled[r][c] for r in range(N)) != list(LETTERS):
            out.append(f"column {c + 1} is not a permutation of a-g")
    diag = [filled[r][N - 1 - r] for r in range(N)]
    if len(set(diag)) != 1:
        out.append(f"minor diagonal holds different letters: {''.join(diag)}")
    return out


def render(grid: list[list[str]]) -> str:
    return "\n".join(",".join(row) for row in grid)


@register
class LetterLogicDiagram(Task):
    id = "letter_logic_diagram"
    split = "seen"
    family = "logic_game"
    description = "complete a 7x7 a-g Latin square whose minor diagonal holds one letter"
    answer_format = (
        "Return the completed grid inside <<< >>>, one row per line, top row first, the "
        "7 letters of a row separated by commas, e.g.\n<<<\na,b,c,d,e,f,g\n...\n>>>\n"
        "(7 rows in all)."
    )
    original_paths = ("letter_logic_diagram",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {"blanks": ilerp(complexity, 14, 42)}

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        full = solve_grid([[None] * N for _ in range(N)], rng)
        assert full is not None
        cells = [(r, c) for r in range(N) for c in range(N)]
        blank = set(rng.sample(cells, knobs["blanks"]))
        grid: Grid = [[None if (r, c) in blank else full[r][c] for c in range(N)] for r in range(N)]
        return self._question(grid), {"grid": grid}

    def _question(self, grid: Grid) -> str:
        rows = "\n".join(",".join(x or "" for x in row) for row in grid)
        return (
            "Complete this 7x7 grid using the letters a, b, c, d, e, f and g. Some cells "
            "are already filled and must keep their letters. When you are done:\n"
            "1. every row contains each of the seven letters exactly once;\n"
            "2. every column contains each of the seven letters exactly once;\n"
            "3. the seven cells of the minor diagonal, from the top-right corner to the "
            "bottom-left corner (row 1 column 7, row 2 column 6, ..., row 7 column 1), "
            "all hold the same letter.\n\n"
            "The grid, one row per line, cells separated by commas, blank cells empty:\n\n"
            f"{rows}\n\n{self.answer_format}"
        )

    def solve(self, sample: Sample) -> str:
        filled = solve_grid(sample.data["grid"])
        if filled is None:
            raise ValueError("the puzzle has no solution")
        return f"<<<\n{render(filled)}\n>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        bad = violations(sample.data["grid"], parse_grid(answer))
        if bad:
            return 0.0, "; ".join(bad[:3]) + (f" (+{len(bad) - 3} more)" if len(bad) > 3 else "")
        return 1.0, "all rules hold"

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        grid = sample.data["grid"]
        filled = parse_grid(answer_text.replace("<<<", "").replace(">>>", ""))
        r = rng.randrange(N)
        free = [c for c in range(N) if grid[r][c] is None]
        if len(free) >= 2:  # swap two letters of a row: two columns break
            a, b = rng.sample(free, 2)
            filled[r][a], filled[r][b] = filled[r][b], filled[r][a]
        else:  # change one letter: the row breaks
            c = rng.randrange(N)
            filled[r][c] = rng.choice([x for x in LETTERS if x != filled[r][c]])
        return f"<<<\n{render(filled)}\n>>>"

    def size(self, sample: Sample) -> float:
        return sum(x is None for row in sample.data["grid"] for x in row)

    def import_original(self, root: Path) -> Iterator[Sample]:
        base = root / "letter_logic_diagram"
        for d in sample_dirs(base):
            question = (d / "question.txt").read_text(encoding="utf-8")
            if not question.startswith(_ORIG_HEAD):
                raise ValueError(f"{d.name}: unexpected question text")
            body = question.split("empty cells blank):", 1)[1].strip().split("\n\n")[0]
            grid: Grid = [[x.strip() or None for x in ln.split(",")] for ln in body.splitlines()]
            if len(grid) != N or any(len(row) != N for row in grid):
                raise ValueError(f"{d.name}: the puzzle is not 7x7")
            stored = read_json(d / "solution.json")
            if stored["grid"] != grid:
                raise ValueError(f"{d.name}: puzzle differs from solution.json")
            yield Sample(
                self.id,
                question,
                {"grid": grid},
                f"<<<\n{render(stored['solution'])}\n>>>",
                "test",
                None,
                None,
                origin_of(root, d),
            )
