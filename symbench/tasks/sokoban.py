"""sokoban: push every box onto a goal; the answer is a move string over U/D/L/R.

Complexity -> knobs: the walled room grows from 4x4 open cells (c=1) to 8x9 (c=10), the
boxes from 1 to 4, the inner wall cells from 1 to 10, and the solver's solution must
take at least 2 (c=1) to 12 (c=10) pushes (levels below that are redrawn).

Levels are made backwards: boxes start on the goals and the worker pulls them away
(every pull is a push reversed, so the level is solvable). The solver then solves the
level from its map alone: a best-first search over (box positions, region the worker can
reach) with one push per step, dead squares (cells from which no box can ever reach a
goal) and 2x2 freeze deadlocks pruned, and a node budget; levels it cannot solve within
the budget are redrawn. The verifier simulates the moves.
"""

from __future__ import annotations

import random
import re
from typing import Any

from symbench.core import Sample, Task, register
from symbench.tasks._sokoban import Level, count_pushes, draw_level, parse_level, solve_level

# complexity -> (open rows, open columns, boxes, inner walls, fewest pushes, pulls made)
_LEVELS = {
    1: (4, 4, 1, 1, 2, 6),
    2: (4, 5, 1, 2, 3, 8),
    3: (5, 5, 2, 3, 4, 10),
    4: (5, 6, 2, 4, 5, 12),
    5: (6, 6, 2, 5, 6, 14),
    6: (6, 7, 3, 6, 7, 18),
    7: (7, 7, 3, 7, 8, 20),
    8: (7, 8, 3, 8, 9, 22),
    9: (8, 8, 4, 9, 10, 26),
    10: (8, 9, 4, 10, 12, 30),
}
LEGEND = (
    "# wall, (space) empty floor, . goal, $ box, * box on a goal, @ the worker, "
    "+ the worker standing on a goal"
)


def parse_moves(answer: str) -> str:
    """`RRUL`, `R R U L`, `r,r,u,l`, `["R", "U"]`, `right right up` -> 'RRUL'."""
    text = answer.lower()
    for word, letter in (("up", "u"), ("down", "d"), ("left", "l"), ("right", "r")):
        text = text.replace(word, letter)
    text = re.sub(r"[\s,;\[\]()'\"`\-]", "", text)
    bad = re.search(r"[^udlr]", text)
    if bad:
        raise ValueError(f"unexpected {bad.group(0)!r}: moves are the letters U, D, L, R")
    if not text:
        raise ValueError("no moves found")
    return text.upper()


def simulate(lv: Level, moves: str) -> tuple[bool, str]:
    """Play the moves: (all boxes on goals and no illegal move, detail)."""
    player, boxes = lv.player, set(lv.boxes)
    for k, m in enumerate(moves, 1):
        d = lv.step(m)
        q = player + d
        if q not in lv.floor:
            return False, f"illegal move at step {k} ({m}): the worker walks into a wall"
        if q in boxes:
            if q + d not in lv.floor:
                return False, f"illegal move at step {k} ({m}): pushes a box into a wall"
            if q + d in boxes:
                return False, f"illegal move at step {k} ({m}): pushes a box into another box"
            boxes.remove(q)
            boxes.add(q + d)
        player = q
    on = len(boxes & lv.goals)
    if on == len(lv.goals):
        return True, f"all {on} boxes on goals after {len(moves)} moves"
    return False, f"after all {len(moves)} moves only {on} of {len(lv.goals)} boxes are on goals"


@register
class Sokoban(Task):
    id = "sokoban"
    split = "seen"
    family = "planning"
    description = "push every box onto a goal in a walled grid; answer a U/D/L/R move string"
    answer_format = (
        "Give the whole move sequence as one string of the letters U, D, L and R inside "
        "<<< >>>, e.g. <<<RRULDD>>>."
    )

    def knobs(self, complexity: int) -> dict[str, Any]:
        names = ("rows", "cols", "boxes", "inner_walls", "min_pushes", "pulls")
        return dict(zip(names, _LEVELS[complexity], strict=True))

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        while True:
            rows = draw_level(knobs, rng)
            if rows is None:
                continue  # some box never left its goal
            moves = solve_level(tuple(rows))
            if moves is not None and count_pushes(parse_level(rows), moves) >= knobs["min_pushes"]:
                return self._question(rows), {"level": rows}

    def _question(self, rows: list[str]) -> str:
        grid = "\n".join(rows)
        return (
            f"Solve this Sokoban puzzle. The map is drawn one row per line, top row first:\n\n"
            f"{grid}\n\nLegend: {LEGEND}.\n"
            f"You control the worker. Each move steps it one cell up (U), down (D), left (L) "
            f"or right (R). The worker cannot walk into a wall. Walking into a box pushes the "
            f"box one cell further in the same direction, which is only allowed when that "
            f"cell is empty floor or a goal: a box cannot be pushed into a wall or into "
            f"another box, and boxes can never be pulled. The puzzle is solved when every box "
            f"stands on a goal (there are as many goals as boxes).\n{self.answer_format}"
        )

    def solve(self, sample: Sample) -> str:
        moves = solve_level(tuple(sample.data["level"]))
        if moves is None:
            raise ValueError("the search found no solution within its budget")
        return f"<<<{moves}>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        ok, detail = simulate(parse_level(sample.data["level"]), parse_moves(answer))
        return (1.0 if ok else 0.0), detail

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        # The last move of a solution puts the last box on its goal: without it, one is off.
        moves = parse_moves(answer_text.strip().removeprefix("<<<").removesuffix(">>>"))
        return f"<<<{moves[:-1]}>>>"

    def size(self, sample: Sample) -> float:
        lv = parse_level(sample.data["level"])
        return len(lv.floor) + 10 * len(lv.boxes)
