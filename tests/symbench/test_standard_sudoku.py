"""standard_sudoku: solver, uniqueness of generated puzzles, constraint-checked answers."""

from __future__ import annotations

from symbench.core import Sample, get_task
from symbench.tasks.standard_sudoku import count_solutions, rows_text, solve_grid, violations

TASK = get_task("standard_sudoku")

PUZZLE = "530070000600195000098000060800060003400803001700020006060000280000419005000080079"
SOLUTION = "534678912672195348198342567859761423426853791713924856961537284287419635345286179"


def _cells(s: str) -> list[int]:
    return [int(x) for x in s]


def _sample(cells: list[int]) -> Sample:
    data = {"puzzle": [cells[r * 9 : r * 9 + 9] for r in range(9)]}
    return Sample(TASK.id, TASK._question(data), data, "")


def test_solver_on_a_known_puzzle() -> None:
    assert violations(_cells(PUZZLE), _cells(SOLUTION)) == []
    assert solve_grid(_cells(PUZZLE), 2) == [_cells(SOLUTION)]
    assert count_solutions(_cells(PUZZLE)) == 1
    # a contradictory grid has no solution
    bad = _cells(PUZZLE)
    bad[2] = 5
    assert solve_grid(bad) == []


def test_generated_puzzles_are_unique() -> None:
    for c in (1, 5, 10):
        for seed in range(5):
            s = TASK.generate(c, seed)
            cells = [v for row in s.data["puzzle"] for v in row]
            assert count_solutions(cells, 2) == 1
            assert cells.count(0) == TASK.knobs(c)["removed"]


def test_any_valid_fill_is_accepted() -> None:
    empty = _sample([0] * 81)
    relabel = {d: d % 9 + 1 for d in range(1, 10)}
    other = [relabel[v] for v in _cells(SOLUTION)]
    assert TASK.verify(empty, "<<<" + rows_text(_cells(SOLUTION), ",") + ">>>").correct
    assert TASK.verify(empty, "<<<" + rows_text(other, ",") + ">>>").correct
    # ...but not for a puzzle whose givens it changes
    v = TASK.verify(_sample(_cells(PUZZLE)), "<<<" + rows_text(other, ",") + ">>>")
    assert not v.correct and "given 5 at (1, 1) changed" in v.detail


def test_answer_formats_and_rejections() -> None:
    s = _sample(_cells(PUZZLE))
    rows = [SOLUTION[r * 9 : r * 9 + 9] for r in range(9)]
    for text in (
        "<<<" + "\n".join(",".join(r) for r in rows) + ">>>",
        "<<<" + str([[int(x) for x in r] for r in rows]) + ">>>",
        "<<<" + "\n".join(rows) + ">>>",
    ):
        assert TASK.verify(s, text).correct, text
    swapped = list(SOLUTION)
    swapped[2], swapped[3] = swapped[3], swapped[2]  # two free cells of row 1 swapped
    v = TASK.verify(s, "<<<" + "".join(swapped) + ">>>")
    assert not v.correct and "column 3" in v.detail
    v = TASK.verify(s, "<<<" + SOLUTION[:80] + ">>>")
    assert not v.correct and "expected 81 digits" in v.detail
