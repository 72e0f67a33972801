"""logical_equation: constraint checking (not one stored answer), parsing, uniqueness."""

from __future__ import annotations

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.logical_equation import parse_constraint, solutions
from tests.conftest import reference_root

TASK = get_task("logical_equation")


def _sample(letters, values, constraints) -> Sample:
    data = {"letters": letters, "values": values, "constraints": constraints}
    return Sample(TASK.id, "hand-made", data, "")


# A = 2 is forced (C = 3A must be listed), so C = 6 and B = 5 - A = 3.
HAND = _sample(["A", "B", "C"], [2, 3, 6], [["mul", "C", "A", "3.0"], ["sum", "A", "B", 5]])


def test_solver_on_hand_made_case() -> None:
    assert TASK.solve(HAND) == "<<<[2, 3, 6]>>>"
    assert len(solutions(HAND.data["letters"], [2, 3, 6], HAND.data["constraints"])) == 1


@pytest.mark.parametrize(
    "text", ["<<<[2, 3, 6]>>>", "<<<2,3,6>>>", "<<<(2, 3, 6)>>>", "<<<A=2, B=3, C=6>>>"]
)
def test_accepted_forms(text: str) -> None:
    assert TASK.verify(HAND, text).correct


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("<<<[3, 2, 6]>>>", "C = 3.0A fails"),
        ("<<<[2, 2, 6]>>>", "listed numbers"),
        ("<<<[2, 3]>>>", "expected 3 values"),
        ("<<<[2, 3, 6.5]>>>", "not a whole number"),
    ],
)
def test_rejected_with_reason(text: str, why: str) -> None:
    verdict = TASK.verify(HAND, text)
    assert not verdict.correct and why in verdict.detail


def test_any_valid_assignment_passes() -> None:
    # A > B alone leaves C free: several answers are right, and each one verifies.
    s = _sample(["A", "B", "C"], [1, 2, 3], [["gt", "A", "B"]])
    assert TASK.verify(s, "<<<[2, 1, 3]>>>").correct
    assert TASK.verify(s, "<<<[3, 1, 2]>>>").correct
    assert TASK.verify(s, "<<<[3, 2, 1]>>>").correct
    assert not TASK.verify(s, "<<<[1, 2, 3]>>>").correct


def test_parse_constraint() -> None:
    assert parse_constraint("H = 3.0F") == ["mul", "H", "F", "3.0"]
    assert parse_constraint("C - B = -44") == ["diff", "C", "B", -44]
    assert parse_constraint("C + J = 186") == ["sum", "C", "J", 186]
    assert parse_constraint("J > E") == ["gt", "J", "E"]
    assert parse_constraint("E < J") == ["gt", "J", "E"]
    with pytest.raises(ValueError):
        parse_constraint("A * B = 6; import os")


@pytest.mark.parametrize("complexity", [1, 5, 10])
def test_generated_samples_have_one_solution(complexity: int) -> None:
    for seed in range(15):
        d = TASK.generate(complexity, seed).data
        assert len(solutions(d["letters"], d["values"], d["constraints"], limit=2)) == 1


def test_original_with_several_solutions_accepts_another_one() -> None:
    # sample_9_7_0: F and G share {27, 121} freely and H < C = 80 may be 16 or 27; checked
    # by hand: A=36, B=1, C=80, D=3, E=4, F=27, G=121, H=16, I=9 meets all 7 constraints.
    samples = {s.origin: s for s in TASK.import_original(reference_root())}
    s = samples["logical_equation/sample_9_7_0"]
    assert TASK.verify(s, s.answer).correct
    assert TASK.verify(s, "<<<[36, 1, 80, 3, 4, 27, 121, 16, 9]>>>").correct
    assert not TASK.verify(s, "<<<[36, 1, 80, 3, 4, 27, 16, 121, 9]>>>").correct
