"""combinatorial_calculation: any valid expression is accepted; order, operators,
parentheses and exact value are enforced; nothing is eval-ed; the solver is complete."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.combinatorial_calculation import evaluate, find_expression, tokens_of

TASK = get_task("combinatorial_calculation")


def sample(numbers: list[int], target: int) -> Sample:
    return Sample(TASK.id, "q", {"numbers": numbers, "target": target}, "")


@pytest.mark.parametrize(
    "answer",
    [
        '[6, "/", 2, "+", 7]',
        "[6, /, 2, +, 7]",
        "['6', '/', '2', '+', '7']",
        "6/2+7",
        "6 / 2 + 7 = 10",
        "(6/2)+7",
        "[(, 6, /, 2, ), +, 7]",
        "6÷2+7",
    ],
)
def test_accepted_spellings(answer: str) -> None:
    assert TASK.verify(sample([6, 2, 7], 10), f"<<<{answer}>>>").correct


def test_several_different_answers_valid() -> None:
    s = sample([1, 2, 3, 4], 10)
    for answer in ("1+2+3+4", "1*2*3+4", "1*(2*3+4)", "[1, '*', '(', 2, '*', 3, '+', 4, ')']"):
        assert TASK.verify(s, f"<<<{answer}>>>").correct, answer


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ("2+6+7", "order"),
        ("6/2+7+1", "order"),
        ("62/7", "order"),
        ("6-2-7", "not 10"),
        ("6/(2+7", "unbalanced"),
        ("6)/(2+7", "unbalanced"),
        ("-6/2+7", "not allowed"),
        ("6**2+7", "not a valid"),
        ("6/2+7 if True else 0", "not a number"),
        ("__import__('os')", "not a number"),
        ("[6, , 2, +, 7]", "empty"),
        ("6/(2-2)+7", "ZeroDivision"),
    ],
)
def test_rejected(answer: str, why: str) -> None:
    s = sample([6, 2, 7], 10) if "2-2" not in answer else sample([6, 2, 2, 7], 10)
    verdict = TASK.verify(s, f"<<<{answer}>>>")
    assert not verdict.correct
    assert why.lower() in verdict.detail.lower() or why == "order" and "order" in verdict.detail, (
        verdict.detail
    )


def test_exact_fractions() -> None:
    # 8 / (3 - 8/3) = 24 needs exact arithmetic
    assert TASK.verify(sample([8, 3, 8, 3], 24), "<<<8/(3-8/3)>>>").correct
    assert evaluate(tokens_of("8/(3-8/3)")) == (Fraction(24), [8, 3, 8, 3])


def brute_values(numbers: list[int]) -> set[Fraction]:
    """Every value of every bracketing and operator choice, by explicit enumeration."""
    if len(numbers) == 1:
        return {Fraction(numbers[0])}
    out = set()
    for k in range(1, len(numbers)):
        for a, b in itertools.product(brute_values(numbers[:k]), brute_values(numbers[k:])):
            out |= {a + b, a - b, a * b} | ({a / b} if b else set())
    return out


def test_solver_is_complete_on_small_inputs() -> None:
    for numbers in ([6, 2, 7], [1, 1, 1], [9, 9, 1, 3], [2, 5, 7, 3, 1]):
        reachable = brute_values(numbers)
        for t in range(0, 60):
            tokens = find_expression(numbers, Fraction(t))
            assert (tokens is not None) == (Fraction(t) in reachable), (numbers, t)
            if tokens:
                assert evaluate(tokens) == (t, numbers)


def test_unreachable_target() -> None:
    assert find_expression([1, 1, 1], Fraction(10)) is None
