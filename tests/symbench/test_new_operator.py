"""new_operator: the safe evaluator, left-to-right rule, tolerant number forms."""

from __future__ import annotations

from fractions import Fraction

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.new_operator import apply, evaluate
from tests.conftest import reference_root

TASK = get_task("new_operator")
OPS = {"~": "1*a*b", "&": "5*a+5*b", "@": "3*a*b", "#": "(a + b)/b"}


def _sample(expression: str) -> Sample:
    return Sample(TASK.id, "hand-made", {"operators": OPS, "expression": expression}, "")


def test_evaluation_by_hand() -> None:
    # 3~4 = 12; 12&5 = 60 + 25 = 85; 85@6 = 3*85*6 = 1530 (left to right).
    assert evaluate(OPS, "(3~4)&5@6") == 1530
    assert evaluate(OPS, "((3~4)&5)@6") == 1530
    assert evaluate(OPS, "(3~4)&(5@6)") == 510  # 12&90 = 60 + 450
    assert evaluate(OPS, "3#4") == Fraction(7, 4)
    assert apply({"%": "2*a-3*b"}, "%", Fraction(1), Fraction(2)) == -4


def test_parser_refuses_anything_else() -> None:
    for bad in ("__import__('os')", "3~", "3~4)", "3^4", "3 4"):
        with pytest.raises((ValueError, KeyError, ZeroDivisionError)):
            evaluate(OPS, bad)
    with pytest.raises(ZeroDivisionError):
        evaluate({"#": "(a + b)/b"}, "1#0")


@pytest.mark.parametrize("text", ["<<<1530>>>", "<<<1530.0>>>", "<<<[1530]>>>", "<<<x = 1530>>>"])
def test_accepted_forms(text: str) -> None:
    assert TASK.verify(_sample("(3~4)&5@6"), text).correct


@pytest.mark.parametrize("text", ["<<<510>>>", "<<<90>>>", "<<<1530, 90>>>", "<<<1531>>>"])
def test_rejected(text: str) -> None:
    assert not TASK.verify(_sample("(3~4)&5@6"), text).correct


def test_decimals_of_fractions() -> None:
    s = _sample("(3#4)#5")  # (7/4 + 5) / 5 = 27/20
    assert TASK.solve(s) == "<<<27/20>>>"
    assert TASK.verify(s, "<<<1.35>>>").correct
    s = _sample("5#6")  # 11/6
    assert TASK.verify(s, "<<<11/6>>>").correct
    assert TASK.verify(s, "<<<1.833333>>>").correct
    assert not TASK.verify(s, "<<<1.83>>>").correct


def test_known_bad_original_really_is_wrong() -> None:
    samples = {s.origin: s for s in TASK.import_original(reference_root())}
    s = samples["new_operator_dataset/sample_0"]
    assert s.answer == "<<<90>>>" and not TASK.verify(s, s.answer).correct
    assert TASK.verify(s, "<<<1530>>>").correct
    ok = samples["new_operator_dataset/sample_1"]  # (5&3)&6 with a&b = 4a+2b: 26, 116
    assert TASK.verify(ok, "<<<116>>>").correct
