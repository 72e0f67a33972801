"""path_plan: exact segment-box geometry, visiting order, walls; the solver's search."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.path_plan import clip, find_path

TASK = get_task("path_plan")

DATA = {
    "size": 10,
    "boxes": {
        "green": [2, 4, 6, 8],
        "yellow": [6, 8, 6, 8],
        "blue": [4, 6, 2, 4],
        "red": [7, 9, 1, 3],
    },
    "start": [1, 1],
    "goal": [1, 3],
    "visit": ["green", "yellow"],
    "avoid": ["blue"],
}
S = Sample("path_plan", TASK._question(DATA), DATA, "")
GOOD = "[[1, 1], [3, 7], [7, 7], [3, 9], [1, 3]]"


def test_clip_is_exact() -> None:
    box = [4, 6, 2, 4]
    assert clip((1, 1), (7, 7), box) == (F(1, 2), F(1, 2))  # only the corner (4, 4)
    assert clip((0, 4), (10, 4), box) == (F(2, 5), F(3, 5))  # along the top edge
    assert clip((0, 5), (10, 5), box) is None
    assert clip((F(39, 10), 5), (F(39, 10), 0), box) is None  # just left of the box
    assert clip((5, 3), (5, 3), box) == (0, 1)  # a point inside


@pytest.mark.parametrize(
    "text",
    [
        GOOD,
        "[(1, 1), (3, 7), (7, 7), (3, 9), (1, 3)]",
        "[[1.0, 1.00], [3, 7.0], [7,7], [3, 9], [1, 3]]",
        "((1,1),(3,7),(7,7),(3,9),(1,3))",
        "[[1, 1], [4, 7], [6, 6], [3, 9], [1, 3]]",  # boundaries of green and yellow count
    ],
)
def test_valid_paths_in_several_spellings(text: str) -> None:
    v = TASK.verify(S, f"<<<{text}>>>")
    assert v.correct, v.detail


@pytest.mark.parametrize(
    "text, needle",
    [
        ("[[1, 1], [7, 7], [3, 7], [1, 3]]", "touches blue"),  # through blue's corner (4, 4)
        ("[[1, 1], [9, 0.5], [7, 7], [3, 7], [1, 3]]", "does not enter the yellow"),
        ("[[1, 1], [3, 7], [7, 7], [3, 9], [1, 3.1]]", "must run from"),
        ("[[3, 7], [7, 7], [3, 9], [1, 3]]", "must run from"),
        ("[[1, 1], [0, 7], [7, 7], [3, 9], [1, 3]]", "inside the walls"),
        ("[[1, 1], [3, 7], [10, 7], [3, 9], [1, 3]]", "inside the walls"),
        ("[[1, 1], [1, 3]]", "does not enter the green"),
        ("[[1, 1], [3.9, 5.9], [7, 7], [5, 5], [1, 5], [1, 3]]", "does not enter the green"),
        ("[[1, 1], [5, 4], [3, 7], [7, 7], [3, 9], [1, 3]]", "segment 1 ((1, 1) to (5, 4))"),
    ],
)
def test_invalid_paths_are_rejected_with_a_reason(text: str, needle: str) -> None:
    v = TASK.verify(S, f"<<<{text}>>>")
    assert v.score == 0.0 and needle in v.detail, v.detail


def test_unreadable_answers_score_zero() -> None:
    for text in ("<<<[[1, 1, 2], [1, 3]]>>>", "<<<go north>>>", "<<<[[1, 1], [a, 3]]>>>"):
        assert TASK.verify(S, text).score == 0.0


def test_exact_decimals_near_a_forbidden_boundary() -> None:
    # the blue box ends at y = 4; y = 4.000001 passes just above it, y = 4 touches it
    base = {**DATA, "start": [1, 5], "goal": [9, 5], "visit": [], "avoid": ["blue"]}
    s = Sample("path_plan", TASK._question(base), base, "")
    assert TASK.verify(s, "<<<[[1, 5], [5, 4.000001], [9, 5]]>>>").correct
    assert not TASK.verify(s, "<<<[[1, 5], [5, 4], [9, 5]]>>>").correct


def test_solver_finds_a_valid_path_and_reports_impossible_ones() -> None:
    path = find_path(DATA)
    assert path is not None and path[0] == (1, 1) and path[-1] == (1, 3)
    assert TASK.verify(S, TASK.solve(S)).correct
    walled = {**DATA, "boxes": {**DATA["boxes"], "blue": [0, 10, 4, 5]}}  # wall to wall
    assert find_path(walled) is None


def test_generated_questions_state_the_rules() -> None:
    s = TASK.generate(6, 1)
    assert "boundary" in s.question and "in this order" in s.question
    for c in s.data["visit"] + s.data["avoid"]:
        assert f"{c} box" in s.question
    assert set(s.data["visit"]).isdisjoint(s.data["avoid"])
