"""new_operator: the safe evaluator, the chain-order rule, tolerant number forms."""

from __future__ import annotations

from fractions import Fraction

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.new_operator import apply, evaluate, readings
from tests.conftest import reference_root

TASK = get_task("new_operator")
OPS = {"~": "1*a*b", "&": "5*a+5*b", "@": "3*a*b", "#": "(a + b)/b"}


def _sample(expression: str, associativity: str = "left") -> Sample:
    data = {"operators": OPS, "expression": expression, "associativity": associativity}
    return Sample(TASK.id, "hand-made", data, "")


def test_evaluation_by_hand() -> None:
    # 3~4 = 12; 12&5 = 60 + 25 = 85; 85@6 = 3*85*6 = 1530 (left to right).
    assert evaluate(OPS, "(3~4)&5@6") == 1530
    assert evaluate(OPS, "((3~4)&5)@6") == 1530
    assert evaluate(OPS, "(3~4)&(5@6)") == 510  # 12&90 = 60 + 450
    assert evaluate(OPS, "3#4") == Fraction(7, 4)
    assert apply({"%": "2*a-3*b"}, "%", Fraction(1), Fraction(2)) == -4
    # Right to left: 5@6 = 90; 12&90 = 510; a parenthesised chain reads the same either way.
    assert evaluate(OPS, "(3~4)&5@6", "right") == 510
    assert evaluate(OPS, "((3~4)&5)@6", "right") == 1530
    # 1~2&3@4 right to left: 3@4 = 36, 2&36 = 190, 1~190 = 190; left to right: 2, 25, 300.
    assert evaluate(OPS, "1~2&3@4", "right") == 190
    assert evaluate(OPS, "1~2&3@4", "left") == 300
    with pytest.raises(ValueError):
        evaluate(OPS, "1~2", "middle")


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


@pytest.mark.parametrize("text", ["<<<1530>>>", "<<<510>>>", "<<<510.0>>>"])
def test_unstated_order_accepts_either_reading(text: str) -> None:
    verdict = TASK.verify(_sample("(3~4)&5@6", "unstated"), text)
    assert verdict.correct and "chains read" in verdict.detail


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("<<<90>>>", "expected 1530 or 510, got 90"),
        ("<<<1531>>>", "expected 1530 or 510, got 1531"),
        ("<<<1530, 510>>>", "single number"),  # naming both readings is no answer
    ],
)
def test_unstated_order_still_rejects_other_values(text: str, why: str) -> None:
    verdict = TASK.verify(_sample("(3~4)&5@6", "unstated"), text)
    assert not verdict.correct and why in verdict.detail


def test_a_reading_that_divides_by_zero_leaves_the_other() -> None:
    ops = {"#": "(a + b)/b", "~": "a*b-1"}
    # Left to right: 1#1 = 2, 2~1 = 1; right to left: 1~1 = 0, then 1#0 divides by zero.
    s = Sample(TASK.id, "q", {"operators": ops, "expression": "1#1~1"}, "")
    assert TASK.verify(s, "<<<1>>>").correct
    assert not TASK.verify(s, "<<<0>>>").correct


def test_which_readings_a_question_allows() -> None:
    generated = TASK.generate(5, 1)
    assert "associativity" not in generated.data and readings(generated) == ("left",)
    # The generated question states left to right, so the other reading fails there.
    ops, expr = generated.data["operators"], generated.data["expression"]
    left, right = evaluate(ops, expr, "left"), evaluate(ops, expr, "right")
    if left != right:
        assert not TASK.verify(generated, f"<<<{right}>>>").correct
    assert readings(Sample(TASK.id, "Calculate 1~2&3.", {"operators": OPS}, "")) == (
        "left",
        "right",
    )
    assert readings(_sample("1~2", "unstated")) == ("left", "right")


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
    assert s.data["associativity"] == "unstated"  # the original questions leave it open
    assert TASK.verify(s, "<<<1530>>>").correct and TASK.verify(s, "<<<510>>>").correct
    ok = samples["new_operator_dataset/sample_1"]  # (5&3)&6 with a&b = 4a+2b: 26, 116
    assert TASK.verify(ok, "<<<116>>>").correct
