"""eight_queens: rule checks, accepted spellings, and the backtracking solver."""

from __future__ import annotations

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.eight_queens import check_placement, solve_queens

TASK = get_task("eight_queens")
# A classic 8-queens solution (rows 0-7): columns 0 4 7 5 2 6 1 3, checked by hand.
CLASSIC = [(0, 0), (1, 4), (2, 7), (3, 5), (4, 2), (5, 6), (6, 1), (7, 3)]


def _sample(placed, blocked, n: int = 8) -> Sample:
    data = {"n": n, "placed_queens": placed, "blocked_positions": blocked}
    return Sample("eight_queens", "q", data, "")


SAMPLE = _sample([[0, 0]], [[0, 1], [7, 7]])


@pytest.mark.parametrize(
    "text",
    [
        "<<<0 0, 1 4, 2 7, 3 5, 4 2, 5 6, 6 1, 7 3>>>",
        "<<<(0,0), (1,4), (2,7), (3,5), (4,2), (5,6), (6,1), (7,3)>>>",
        "<<<[[7, 3], [6, 1], [5, 6], [4, 2], [3, 5], [2, 7], [1, 4], [0, 0]]>>>",
        "<<<1 4, 2 7, 3 5, 4 2, 5 6, 6 1, 7 3>>>",  # the given queen left out
    ],
)
def test_accepted_spellings(text: str) -> None:
    assert TASK.verify(SAMPLE, text).correct


@pytest.mark.parametrize(
    ("queens", "why"),
    [
        ([(0, 1), (1, 3), (2, 5), (3, 7), (4, 2), (5, 0), (6, 6), (7, 4)], "blocked"),
        (CLASSIC[:-1], "7 queens"),
        (CLASSIC[:-1] + [(7, 2)], "attack"),
        (CLASSIC[:-1] + [(7, 8)], "off the"),
    ],
)
def test_rule_violations_are_named(queens, why: str) -> None:
    ok, detail = check_placement(8, [[0, 0]], [[0, 1]], queens)
    assert not ok and why in detail


@pytest.mark.parametrize(
    "text",
    [
        # 7 queens of the classic solution, one of them twice, the given (0, 0) left out:
        # with the repeat collapsed it would look like a full placement.
        "<<<1 4, 2 7, 3 5, 4 2, 5 6, 6 1, 7 3, 7 3>>>",
        "<<<0 0, 0 0, 1 4, 2 7, 3 5, 4 2, 5 6, 6 1, 7 3>>>",  # the given queen twice
        "<<<0 0, 1 4, 2 7, 3 5, 4 2, 5 6, 6 1, 7 3, 1 4>>>",  # a complete answer + a repeat
    ],
)
def test_a_position_listed_twice_fails(text: str) -> None:
    verdict = TASK.verify(SAMPLE, text)
    assert not verdict.correct and "listed twice" in verdict.detail


def test_a_listing_that_moves_a_given_queen_fails() -> None:
    # A valid 8-queens placement that does not keep the given queen at (0, 0).
    other = [(0, 2), (1, 4), (2, 6), (3, 0), (4, 3), (5, 1), (6, 7), (7, 5)]
    assert check_placement(8, [], [], other)[0]
    verdict = TASK.verify(SAMPLE, "<<<" + ", ".join(f"{r} {c}" for r, c in other) + ">>>")
    assert not verdict.correct and "9 queens" in verdict.detail


def test_solver_keeps_givens_and_avoids_blocks() -> None:
    sol = solve_queens(8, [[3, 5]], [[0, 0], [0, 1], [0, 2]])
    assert sol is not None and (3, 5) in sol
    assert check_placement(8, [[3, 5]], [[0, 0], [0, 1], [0, 2]], sol)[0]
    assert solve_queens(8, [[0, 0], [1, 1]], []) is None  # the givens attack each other
    assert solve_queens(8, [], [[4, c] for c in range(8)]) is None  # row 4 fully blocked
    assert solve_queens(3, [], []) is None  # no 3-queens solution exists


def test_generated_boards_keep_their_givens() -> None:
    for c in (1, 5, 10):
        s = TASK.generate(c, 3)
        board = s.question.split("\n\n")[1].split("\n")
        assert len(board) == s.data["n"] == len(board[0])
        assert sum(row.count("1") for row in board) == TASK.knobs(c)["preplaced"]
        assert sum(row.count("X") for row in board) == TASK.knobs(c)["blocked"]
