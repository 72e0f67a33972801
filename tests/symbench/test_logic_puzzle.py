"""logic_puzzle: any selection meeting the rules verifies, each rule is checked, answer
forms, the solver on hand-made cases, and the known-bad originals by brute force."""

from __future__ import annotations

import itertools

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.logic_puzzle import _UNSOLVABLE, solve_selection, violations
from tests.conftest import reference_root

TASK = get_task("logic_puzzle")


def _sample(grid, k, rule="sum_le", bound=4) -> Sample:
    data = {"grid": grid, "k": k, "rule": rule, "bound": bound, "start": [0, len(grid[0]) - 1]}
    return Sample(TASK.id, "hand-made", data, "")


# [[1, 2], [3, 1]], pick 3 with (0, 1) = 2: {(0,1),(0,0),(1,0)} has rows 3, 3 and columns
# 4, 2; {(0,1),(1,0),(1,1)} has rows 2, 4 and columns 3, 3; {(0,1),(0,0),(1,1)} repeats 1.
SUM = _sample([[1, 2], [3, 1]], 3)


@pytest.mark.parametrize(
    "text", ["<<<0 1, 0 0, 1 0>>>", "<<<0 1, 1 0, 1 1>>>", "<<<(0,1), (1,0), (0,0)>>>",
             "<<<[[1, 1], [1, 0], [0, 1]]>>>"],
)  # fmt: skip
def test_any_valid_selection_verifies(text: str) -> None:
    assert TASK.verify(SUM, text).correct


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("<<<0 1, 0 0, 1 1>>>", "same number"),
        ("<<<0 0, 1 0>>>", "not selected"),
        ("<<<0 1, 0 0>>>", "expected 3 cells"),
        ("<<<0 1, 0 0, 2 0>>>", "outside"),
        ("<<<0 1, 0 0, 1>>>", "odd count"),
    ],
)
def test_rejections(text: str, detail: str) -> None:
    v = TASK.verify(SUM, text)
    assert not v.correct and detail in v.detail


def test_product_rule() -> None:
    # all four negatives: rows give 2 and 12, columns 3 and 8, all positive
    s = _sample([[-1, -2], [-3, -4]], 4, "product_gt", 0)
    assert TASK.verify(s, "<<<0 0, 0 1, 1 0, 1 1>>>").correct
    v = TASK.verify(_sample([[-1, 2], [-3, 4]], 4, "product_gt", 0), "<<<0 0, 0 1, 1 0, 1 1>>>")
    assert not v.correct and "row 0" in v.detail  # -1 * 2 < 0
    # top-right 2 with the 4 below it is fine; with the -1 beside it row 0 and column 0 fail
    s3 = _sample([[-1, 2], [-3, 4]], 2, "product_gt", 0)
    v = TASK.verify(s3, "<<<0 1, 0 0>>>")
    assert not v.correct and "row 0" in v.detail and "column 0" in v.detail
    assert TASK.verify(s3, "<<<0 1, 1 1>>>").correct  # column 1: 2 * 4 > 0
    assert TASK.verify(s3, TASK.solve(s3)).correct


def test_solver_needs_negative_pairs() -> None:
    # k = 6 but only 5 distinct positive numbers (1..5): some negatives are needed, and
    # an even count in every row and column means the rectangle of all four of them
    grid = [[-1, 5, -2, 1], [2, 2, 3, 4], [-3, 4, -4, 4], [1, 3, 2, 1]]
    s = _sample(grid, 6, "product_gt", 0)
    cells = solve_selection(s.data)
    assert cells is not None and not violations(s.data, cells)
    assert {(0, 0), (0, 2), (2, 0), (2, 2)} <= set(cells)
    assert solve_selection(_sample([[1, 1], [1, 1]], 3).data) is None  # only one distinct value


def test_known_bad_originals_by_brute_force() -> None:
    samples = {s.origin: s for s in TASK.import_original(reference_root())}
    for origin in TASK.known_bad:
        s = samples[origin]
        assert not TASK.verify(s, s.answer).correct
        n = len(s.data["grid"])
        cells = [(r, c) for r in range(n) for c in range(n)]
        valid = sum(1 for pick in itertools.combinations(cells, s.data["k"])
                    if not violations(s.data, list(pick)))  # fmt: skip
        assert (valid == 0) == (int(origin.rsplit("_", 1)[1]) in _UNSOLVABLE), origin
        assert (solve_selection(s.data) is None) == (valid == 0)
