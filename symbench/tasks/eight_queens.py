"""eight_queens: complete a queens placement with some queens given and some cells blocked.

Complexity -> knobs: the board is 8x8 up to c=5 (as in the original release), 9x9 at
c=6-7 and 10x10 at c=8-10 (then N queens on an NxN board); the number of pre-placed
queens grows from 0 to 4 and the number of blocked cells from 2 to 18.
Any valid placement verifies: N queens, no two sharing a row, column or diagonal, every
pre-placed queen kept, no queen on a blocked cell, no position listed twice (a given
queen may be listed once or left out). The generator hides one random
solution under the givens, so at least one exists; the solver is a backtracking search.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.core import Sample, Task, origin_of, read_json, register, sample_dirs

# complexity -> (board size, pre-placed queens, blocked cells)
_LEVELS = {
    1: (8, 0, 2),
    2: (8, 1, 2),
    3: (8, 1, 3),
    4: (8, 2, 4),
    5: (8, 2, 6),
    6: (9, 2, 8),
    7: (9, 3, 10),
    8: (10, 3, 12),
    9: (10, 3, 15),
    10: (10, 4, 18),
}


def render_board(n: int, placed: list[list[int]], blocked: list[list[int]]) -> list[str]:
    rows = [["0"] * n for _ in range(n)]
    for r, c in blocked:
        rows[r][c] = "X"
    for r, c in placed:
        rows[r][c] = "1"
    return ["".join(row) for row in rows]


def solve_queens(
    n: int, placed: list[list[int]], blocked: list[list[int]], rng: random.Random | None = None
) -> list[tuple[int, int]] | None:
    """Backtracking row by row; `rng` shuffles the column order (for the generator)."""
    fixed = {r: c for r, c in placed}
    bad = {(r, c) for r, c in blocked}
    cols_order = list(range(n))
    cols: list[int] = []
    used_c: set[int] = set()
    used_d: set[int] = set()
    used_a: set[int] = set()

    def place(r: int) -> bool:
        if r == n:
            return True
        order = [fixed[r]] if r in fixed else cols_order
        if rng is not None and r not in fixed:
            order = rng.sample(cols_order, n)
        for c in order:
            if c in used_c or r - c in used_d or r + c in used_a or (r, c) in bad:
                continue
            if r not in fixed and any(
                fc == c or fr - fc == r - c or fr + fc == r + c for fr, fc in fixed.items()
            ):
                continue  # would attack a queen that is already given further down
            cols.append(c)
            used_c.add(c), used_d.add(r - c), used_a.add(r + c)
            if place(r + 1):
                return True
            cols.pop()
            used_c.discard(c), used_d.discard(r - c), used_a.discard(r + c)
        return False

    return [(r, c) for r, c in enumerate(cols)] if place(0) else None


def parse_positions(answer: str) -> list[tuple[int, int]]:
    """`0 3, 1 0, 2 4`, `(0,3), (1,0)`, `[[0, 3], [1, 0]]` -> [(0, 3), (1, 0), ...]."""
    if re.search(r"-\s*\d", answer):
        raise ValueError("negative coordinates are not on the board")
    nums = [int(x) for x in re.findall(r"\d+", answer)]
    if not nums or len(nums) % 2:
        raise ValueError(f"expected row column pairs, found {len(nums)} numbers")
    return [(nums[i], nums[i + 1]) for i in range(0, len(nums), 2)]


def check_placement(
    n: int, placed: list[list[int]], blocked: list[list[int]], queens: list[tuple[int, int]]
) -> tuple[bool, str]:
    """The rules: N queens in all (given ones included), none attacking, none blocked."""
    for r, c in queens:
        if not (0 <= r < n and 0 <= c < n):
            return False, f"({r},{c}) is off the {n}x{n} board"
    bad = {(r, c) for r, c in blocked}
    for q in queens:
        if q in bad:
            return False, f"queen on blocked cell {q}"
    # A position listed twice is rejected, as the original's scorer does: the answer claims
    # more queens than it places (deduplicating first let such miscounts pass).
    seen: set[tuple[int, int]] = set()
    for q in queens:
        if q in seen:
            return False, f"position {q} listed twice"
        seen.add(q)
    # Listing the pre-placed queens again is optional: they are on the board anyway.
    full = sorted(seen | {(r, c) for r, c in placed})
    if len(full) != n:
        return False, f"{len(full)} queens on the board (pre-placed included), need {n}"
    for i, (r1, c1) in enumerate(full):
        for r2, c2 in full[i + 1 :]:
            if r1 == r2 or c1 == c2 or abs(r1 - r2) == abs(c1 - c2):
                return False, f"queens at ({r1},{c1}) and ({r2},{c2}) attack each other"
    return True, f"{n} non-attacking queens"


@register
class EightQueens(Task):
    id = "eight_queens"
    split = "unseen"
    family = "logic_game"
    description = (
        "complete an N-queens placement (8x8 at low levels) around given and blocked cells"
    )
    answer_format = (
        "Return the positions of all the queens (the pre-placed ones included) inside <<< >>> "
        "as 'row column' pairs (0-based) separated by commas, e.g. <<<0 3, 1 0, 2 4>>> for "
        "queens at (0,3), (1,0) and (2,4)."
    )
    original_paths = ("eight_queens_dataset",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        n, p, b = _LEVELS[complexity]
        return {"n": n, "preplaced": p, "blocked": b}

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        n = knobs["n"]
        hidden = solve_queens(n, [], [], rng)
        assert hidden is not None
        placed = sorted(rng.sample(hidden, knobs["preplaced"]))
        taken = set(hidden)
        free = [(r, c) for r in range(n) for c in range(n) if (r, c) not in taken]
        blocked = sorted(rng.sample(free, knobs["blocked"]))
        data = {
            "n": n,
            "placed_queens": [list(q) for q in placed],
            "blocked_positions": [list(b) for b in blocked],
        }
        return self._question(data), data

    def _question(self, data: dict[str, Any]) -> str:
        n = data["n"]
        board = "\n".join(render_board(n, data["placed_queens"], data["blocked_positions"]))
        return (
            f"Place {n} queens on the {n}x{n} board below so that no two queens attack each "
            f"other: no two may share a row, a column or a diagonal. A cell marked 1 already "
            f"holds a queen, which stays where it is and counts towards the {n}; a cell marked "
            f"X is blocked and cannot hold a queen; 0 is an empty cell. Rows are numbered "
            f"0 to {n - 1} from the top and columns 0 to {n - 1} from the left.\n\n"
            f"{board}\n\n{self.answer_format}"
        )

    def problem_key(self, sample: Sample) -> str:
        """Board size, pre-placed queens and blocked cells: original questions are worded
        differently from generated ones."""
        d = sample.data
        return f"{d['n']}|{sorted(map(tuple, d['placed_queens']))}|" + str(
            sorted(map(tuple, d["blocked_positions"]))
        )

    def solve(self, sample: Sample) -> str:
        d = sample.data
        sol = solve_queens(d["n"], d["placed_queens"], d["blocked_positions"])
        if sol is None:
            raise ValueError("no placement exists")
        return "<<<" + ", ".join(f"{r} {c}" for r, c in sol) + ">>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        d = sample.data
        ok, detail = check_placement(
            d["n"], d["placed_queens"], d["blocked_positions"], parse_positions(answer)
        )
        return (1.0 if ok else 0.0), detail

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        n = sample.data["n"]
        queens = parse_positions(answer_text.strip().removeprefix("<<<").removesuffix(">>>"))
        given = {tuple(q) for q in sample.data["placed_queens"]}
        movable = [i for i, q in enumerate(queens) if q not in given]
        i = rng.choice(movable)
        r, c = queens[i]
        queens[i] = (r, (c + rng.randint(1, n - 1)) % n)  # lands on another queen's column
        return "<<<" + ", ".join(f"{r} {c}" for r, c in queens) + ">>>"

    def size(self, sample: Sample) -> float:
        d = sample.data
        return d["n"] ** 2 + len(d["placed_queens"]) + len(d["blocked_positions"])

    def import_original(self, root: Path) -> Iterator[Sample]:
        base = root / "eight_queens_dataset"
        for d in sample_dirs(base):
            sol = read_json(d / "solution.json")
            board = sol["initial_board"]
            n = len(board)
            placed = [[r, c] for r in range(n) for c in range(n) if board[r][c] == "1"]
            blocked = [[r, c] for r in range(n) for c in range(n) if board[r][c] == "X"]
            if sorted(placed) != sorted(map(list, sol["placed_queens"])) or sorted(
                blocked
            ) != sorted(map(list, sol["blocked_positions"])):
                raise ValueError(f"{d.name}: board and listed givens disagree")
            answer = ", ".join(f"{r} {c}" for r, c in sol["solution"])
            yield Sample(
                self.id,
                (d / "question.txt").read_text(encoding="utf-8"),
                {"n": n, "placed_queens": placed, "blocked_positions": blocked},
                f"<<<{answer}>>>",
                "test",
                None,
                None,
                origin_of(root, d),
            )
