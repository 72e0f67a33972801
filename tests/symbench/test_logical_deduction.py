"""logical_deduction: uniqueness proved with a constraint solver, clue parsing, answers."""

from __future__ import annotations

import constraint
import pytest

from symbench.core import Sample, get_task
from symbench.tasks.logical_deduction import orders, parse_fact, parse_question, true_option

TASK = get_task("logical_deduction")


def _csp_orders(data: dict) -> list[tuple[int, ...]]:
    """All place assignments allowed by the clues, found by python-constraint."""
    n = len(data["objects"])
    names = [f"o{i}" for i in range(n)]
    problem = constraint.Problem()
    problem.addVariables(names, list(range(n)))
    problem.addConstraint(constraint.AllDifferentConstraint())
    for kind, a, b in data["clues"]:
        if kind == "lt":
            problem.addConstraint(lambda x, y: x < y, (names[a], names[b]))
        else:
            problem.addConstraint(lambda x, k=b: x == k, (names[a],))
    return sorted(tuple(sol[v] for v in names) for sol in problem.getSolutions())


# Three books: the blue one is right of the red one, the green one is leftmost, so the
# order is green, red, blue; the options ask which book is in the middle.
HAND = {
    "objects": ["red book", "blue book", "green book"],
    "clues": [["lt", 0, 1], ["at", 2, 0]],
    "options": {
        "A": "The red book is the second from the left",
        "B": "The blue book is the second from the left",
        "C": "The green book is the second from the left",
    },
    "facts": {"A": ["at", 0, 1], "B": ["at", 1, 1], "C": ["at", 2, 1]},
}


def _sample(data: dict) -> Sample:
    return Sample(TASK.id, "q", data, "")


def test_hand_made_case() -> None:
    assert [tuple(r) for r in orders(3, HAND["clues"])] == [(1, 2, 0)]
    assert true_option(HAND) == "A"
    assert TASK.solve(_sample(HAND)) == "<<<(A)>>>"


@pytest.mark.parametrize(
    "text",
    [
        "(A)",
        "A",
        "a",
        "A)",
        "option A",
        "The red book is the second from the left",
        "(A) The red book is the second from the left",
        "red book",
        "the red book",
    ],
)
def test_accepted_answer_forms(text: str) -> None:
    assert TASK.verify(_sample(HAND), f"<<<{text}>>>").correct


@pytest.mark.parametrize("text", ["(B)", "C", "blue book", "(A) or (B)", "(Z)", "second"])
def test_rejected_answers(text: str) -> None:
    verdict = TASK.verify(_sample(HAND), f"<<<{text}>>>")
    assert not verdict.correct and verdict.detail


def test_ambiguous_clues_are_detected() -> None:
    with pytest.raises(ValueError, match="2 orders"):
        true_option({**HAND, "clues": [["at", 2, 0]]})


@pytest.mark.parametrize("complexity", [1, 5, 10])
def test_generated_orders_are_unique_and_every_clue_is_needed(complexity: int) -> None:
    for seed in range(6):
        data = TASK.generate(complexity, seed).data
        sols = _csp_orders(data)
        assert sols == [tuple(int(x) for x in orders(len(data["objects"]), data["clues"])[0])]
        for i in range(len(data["clues"])):
            rest = data["clues"][:i] + data["clues"][i + 1 :]
            assert len(orders(len(data["objects"]), rest)) > 1, "a clue is redundant"
        place = sols[0]
        holding = [k for k, (_, a, p) in data["facts"].items() if place[a] == p]
        assert holding == [true_option(data)]


def test_parse_bbh_and_own_wording() -> None:
    objs = ["Ana", "Bo", "owl", "plums", "bus", "figs"]
    n = len(objs)
    assert parse_fact("Ana finished second-to-last.", objs) == ["at", 0, n - 2]
    assert parse_fact("Ana finished third", objs) == ["at", 0, 2]
    assert parse_fact("Bo finished fourth from last", objs) == ["at", 1, n - 4]
    assert parse_fact("Bo finished above Ana", objs) == ["lt", 1, 0]
    assert parse_fact("Bo finished behind Ana", objs) == ["lt", 0, 1]
    assert parse_fact("The owl is the third from the right", objs) == ["at", 2, n - 3]
    assert parse_fact("The owl is the leftmost", objs) == ["at", 2, 0]
    assert parse_fact("The plums are less expensive than the figs", objs) == ["lt", 3, 5]
    assert parse_fact("The plums cost more than the figs", objs) == ["lt", 5, 3]
    assert parse_fact("The plums are the second-most expensive", objs) == ["at", 3, n - 2]
    assert parse_fact("The bus is the second-newest", objs) == ["at", 4, n - 2]
    assert parse_fact("The bus is older than the owl", objs) == ["lt", 4, 2]
    with pytest.raises(ValueError):
        parse_fact("The bus is purple", objs)


def test_question_text_parses_back_to_its_data() -> None:
    for c in (1, 5, 10):
        s = TASK.generate(c, 4)
        parsed = parse_question(s.question)
        assert parsed["objects"] == s.data["objects"]
        assert parsed["clues"] == s.data["clues"] and parsed["facts"] == s.data["facts"]


def test_imported_samples_are_solved_by_the_solver(reference) -> None:
    samples = list(TASK.import_original(reference))
    assert len(samples) == 250
    assert all(len(s.data["objects"]) == 7 for s in samples)
    assert all(TASK.solve(s) == s.answer for s in samples)
