"""pooling: stride-1 windows, exact averages, decimal and nested answer forms."""

from __future__ import annotations

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.pooling import pool

TASK = get_task("pooling")


def _sample(matrix, window, kind) -> Sample:
    return Sample(TASK.id, "hand-made", {"matrix": matrix, "window": window, "kind": kind}, "")


MAX = _sample([[-1, 7, 20], [6, 16, -4], [9, 13, 7]], 2, "max")
AVG = _sample([[1, 2, 0], [0, 0, 0], [0, 4, 0]], 2, "average")


def test_pool_by_hand() -> None:
    assert pool(MAX.data["matrix"], 2, "max") == [[16, 20], [16, 16]]
    assert TASK.solve(AVG) == "<<<3/4, 1/2, 1, 1>>>"
    assert TASK.solve(_sample([[1, 2, 0], [0, 0, 0], [0, 4, 3]], 3, "average")) == "<<<10/9>>>"


@pytest.mark.parametrize(
    "text",
    [
        "<<<16,20,16,16>>>",
        "<<<[[16, 20], [16, 16]]>>>",
        "<<<16 20\n16 16>>>",
        "<<<16.0,20,16,16>>>",
    ],
)
def test_max_forms(text: str) -> None:
    assert TASK.verify(MAX, text).correct


@pytest.mark.parametrize("text", ["<<<0.75, 0.5, 1, 1>>>", "<<<[[3/4, 1/2], [1.0, 1]]>>>"])
def test_average_forms(text: str) -> None:
    assert TASK.verify(AVG, text).correct


def test_rounding_tolerance() -> None:
    s = _sample([[1, 2, 0], [0, 0, 0], [0, 4, 3]], 3, "average")
    assert TASK.verify(s, "<<<1.1111>>>").correct
    assert not TASK.verify(s, "<<<1.11>>>").correct
    assert not TASK.verify(s, "<<<1>>>").correct


@pytest.mark.parametrize(
    ("text", "why"),
    [("<<<16,20,16>>>", "expected 4 values"), ("<<<16,20,16,17>>>", "row 2, column 2")],
)
def test_rejected_with_reason(text: str, why: str) -> None:
    verdict = TASK.verify(MAX, text)
    assert not verdict.correct and why in verdict.detail
