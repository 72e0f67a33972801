"""blocksworld: reading the original files, move simulation, and the planner."""

from __future__ import annotations

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.blocksworld import full_goal, plan, read_task, simulate

TASK = get_task("blocksworld")
# The shape of the original's 2_3_2_0: stack2 holds B under A; the goal wants A under B
# and lists only two stacks (stack3 must end empty).
TEXT = "Initial State:\nstack1: \nstack2: B A\nstack3: \n\nGoal State:\nstack1: \nstack2: A B\n"
DATA = read_task(TEXT)
S = Sample("blocksworld", "q", DATA, "")
PLAN = "Move A from 2 to 1\nMove B from 2 to 3\nMove A from 1 to 2\nMove B from 3 to 2"


def test_read_task() -> None:
    assert DATA == {"initial": [[], ["B", "A"], []], "goal": [[], ["A", "B"]]}
    assert full_goal(DATA) == ((), ("A", "B"), ())


@pytest.mark.parametrize(
    "text",
    [
        PLAN,
        PLAN.replace("\n", "; "),
        PLAN.lower(),
        PLAN.replace("from ", "from stack").replace("to ", "to stack"),
        "1. " + PLAN.replace("\n", "\n2. ", 1),
    ],
)
def test_accepted_spellings(text: str) -> None:
    assert TASK.verify(S, f"<<<{text}>>>").correct


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Move B from 2 to 1\nMove A from 2 to 3", "not on top of stack 2"),
        ("Move A from 2 to table", "numbered 1 to 3"),
        ("Move A from 2 to 4", "numbered 1 to 3"),
        ("Move A from 2 to 1\nMove B from 2 to 1", "differ from the goal"),
        ("Move A from 2 to 1\nthen B", "not a move"),
    ],
)
def test_rejections_say_why(text: str, why: str) -> None:
    verdict = TASK.verify(S, f"<<<{text}>>>")
    assert not verdict.correct
    assert why in verdict.detail


def test_unlisted_stacks_must_end_empty() -> None:
    # Ends with A B on stack 3 instead of stack 2: stack 3 is not in the goal listing.
    text = "Move A from 2 to 3\nMove B from 2 to 1\nMove B from 1 to 3"
    assert not TASK.verify(S, f"<<<{text}>>>").correct


def test_planner_finds_a_valid_plan_of_at_least_the_minimum_length() -> None:
    moves = plan(((), ("B", "A"), ()), full_goal(DATA))
    assert moves is not None and len(moves) >= 4  # A off, B off, A back, B back
    final, _ = simulate(((), ("B", "A"), ()), list(moves))
    assert final == full_goal(DATA)


def test_nothing_to_do() -> None:
    data = {"initial": [["A"], ["B"], []], "goal": [["A"], ["B"]]}
    sample = Sample("blocksworld", "q", data, "")
    assert TASK.verify(sample, TASK.solve(sample)).correct  # a move and its undo
    assert TASK.verify(sample, "<<<none>>>").correct
    assert not TASK.verify(S, "<<<none>>>").correct


def test_generated_samples_use_all_blocks() -> None:
    for c in (1, 10):
        s = TASK.generate(c, 2)
        blocks = sorted(sum(s.data["initial"], []))
        assert blocks == sorted(sum(s.data["goal"], []))
        assert len(blocks) == TASK.knobs(c)["blocks"]
        assert s.data["initial"] != s.data["goal"]
