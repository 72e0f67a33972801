"""game24: the safe exact checker, accepted notations, and the search."""

from __future__ import annotations

import random

import pytest

from symbench.core import Sample, get_task
from symbench.tasks._game24_solver import find

TASK = get_task("game24")


def _sample(numbers: list[int], target: int = 24) -> Sample:
    return Sample("game24", "q", {"numbers": numbers, "target": target}, "")


S = _sample([3, 9, 15, 16])  # 3*(9+15-16) = 3*8 = 24


@pytest.mark.parametrize(
    "text",
    [
        "<<<(3*(9+(15-16)))>>>",
        "<<<3 × (9 + 15 − 16) = 24>>>",
        "<<<24 = 3*(9+15-16)>>>",
        "<<<[3*(9+(15-16))]>>>",
        "<<<3 \\times (9+15-16)>>>",
        "<<<3x(9+15-16)>>>",
    ],
)
def test_accepted_notations(text: str) -> None:
    assert TASK.verify(S, text).correct


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("<<<3*(9+15-16)+0>>>", "numbers used"),
        ("<<<3*8>>>", "numbers used"),
        ("<<<3*(9+16-15)>>>", "worth 30"),
        ("<<<-3*(9-15-16)>>>", "UnaryOp"),
        ("<<<3**2+15>>>", "Pow"),
        ("<<<__import__('os').getcwd()>>>", "not allowed"),
        ("<<<3.0*(9+15-16)>>>", "not one of the given"),
        ("<<<3*(9+(15-16)) = 25>>>", "claims 25"),
    ],
)
def test_rejections_say_why(text: str, why: str) -> None:
    verdict = TASK.verify(S, text)
    assert not verdict.correct
    assert why in verdict.detail


def test_division_by_zero_is_a_wrong_answer() -> None:
    verdict = TASK.verify(_sample([4, 4, 6, 8]), "<<<8/(4-4)*6>>>")
    assert not verdict.correct and "ZeroDivisionError" in verdict.detail


def test_evaluation_is_exact() -> None:
    # 8/(3-8/3) = 8/(1/3) = 24 exactly; only fractions get there.
    assert TASK.verify(_sample([3, 3, 8, 8]), "<<<8/(3-8/3)>>>").correct
    # The original's 24_8_number #32: 24 + 56/(63*73*77*183), not 24.
    near = _sample([17, 41, 56, 63, 73, 77, 84, 99])
    verdict = TASK.verify(near, "<<<((41+(56/(63*(73*(77*(84+99))))))-17)>>>")
    assert not verdict.correct and "not 24" in verdict.detail


def test_digits_cannot_be_glued() -> None:
    assert not TASK.verify(_sample([1, 2, 2, 6]), "<<<12*2*(6/6)>>>").correct
    assert not TASK.verify(_sample([1, 2, 2]), "<<<12*2>>>").correct


@pytest.mark.parametrize(
    "numbers", [[1, 5, 5, 5], [3, 3, 8, 8], [1, 3, 4, 6], [1, 1, 1, 8], [4, 10, 10, 11]]
)
def test_solver_finds_hard_classics(numbers: list[int]) -> None:
    sample = _sample(numbers)
    assert TASK.verify(sample, TASK.solve(sample)).correct


def test_solver_reports_unsolvable_sets() -> None:
    # Four 1s make at most (1+1)*(1+1) = 4; 1 1 1 2 at most (1+1+1)*2 = 6.
    assert find([1, 1, 1, 1], 24) is None
    assert find([1, 1, 1, 2], 24) is None
    assert find([2, 3], 24) is None


def test_solver_on_many_numbers() -> None:
    rng = random.Random(1)
    for _ in range(10):
        nums = [rng.randint(1, 20) for _ in range(10)]
        target = rng.randint(200, 999)
        expr = find(nums, target)
        if expr is not None:
            assert TASK.verify(_sample(nums, target), f"<<<{expr}>>>").correct


def test_generated_problems_grow() -> None:
    assert TASK.generate(1, 0).data["target"] == 24
    assert len(TASK.generate(1, 0).data["numbers"]) == 4
    assert len(TASK.generate(10, 0).data["numbers"]) == 10
