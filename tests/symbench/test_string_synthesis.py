"""string_synthesis: the exhaust-each-method schedule, answer formats, method parsing."""

from __future__ import annotations

from symbench.core import Sample, get_task
from symbench.tasks._exchange import final_vector
from symbench.tasks.string_synthesis import BLOCKS, METHODS, parse_methods

TASK = get_task("string_synthesis")


def _sample(a: int, b: int, c: int) -> Sample:
    data = TASK._data({"[A]": a, "[B]": b, "[C]": c}, METHODS)
    return Sample(TASK.id, TASK._question(data), data, "")


def test_hand_simulated_cases() -> None:
    # 3 [A], 1 [B], 2 [C]: method 1 once -> 2 [A], 0 [B], 1 [C], 1 {A}; nothing else runs.
    assert final_vector(_sample(3, 1, 2).data) == [2, 0, 1, 1, 0, 0, 0, 0, 0]
    # 2, 6, 4: method 1 twice, method 3 twice, method 6 once.
    assert final_vector(_sample(2, 6, 4).data) == [0, 2, 0, 2, 0, 0, 0, 0, 1]


def test_schedule_matters() -> None:
    # Running each method only once per visit gives a different end state (worked by hand).
    data = dict(_sample(2, 6, 4).data, schedule="once")
    assert final_vector(data) == [0, 3, 0, 0, 1, 1, 1, 1, 0]


def test_answer_formats() -> None:
    s = _sample(2, 6, 4)
    for text in (
        "<<<0 2 0 2 0 0 0 0 1>>>",
        "<<<[0, 2, 0, 2, 0, 0, 0, 0, 1]>>>",
        '<<<["0","2","0","2","0","0","0","0","1"]>>>',
        "<<< 0, 2, 0, 2, 0, 0, 0, 0, 1 >>>",
    ):
        assert TASK.verify(s, text).correct, text
    v = TASK.verify(s, "<<<0 2 0 2 0 0 0 0>>>")
    assert not v.correct and "expected 9" in v.detail
    v = TASK.verify(s, "<<<0 2 0 2 0 0 0 1 0>>>")
    assert not v.correct and "(B): expected 0, got 1" in v.detail


def test_question_states_rules_and_parses_back() -> None:
    q = _sample(1, 2, 3).question
    assert all(b in q for b in BLOCKS) and "as many times in a row" in q
    original = (
        "1. One [A], one [B], and one [C] can be combined to form one {A}.\n"
        "2. Two {B} can be combined to form one (C).\n"
    )
    assert parse_methods(original) == [METHODS[0], METHODS[5]]
