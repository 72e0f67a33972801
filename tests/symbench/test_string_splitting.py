"""string_splitting: once-per-visit schedule, the original wordings, answer formats."""

from __future__ import annotations

import pytest

from symbench.core import Sample, get_task
from symbench.tasks._exchange import final_vector
from symbench.tasks.string_splitting import METHODS, parse_methods

TASK = get_task("string_splitting")


def _sample(a: int, b: int, c: int) -> Sample:
    data = TASK._data({"A": a, "B": b, "C": c}, METHODS)
    return Sample(TASK.id, TASK._question(data), data, "")


def test_hand_simulated_case() -> None:
    # A2 B2 C3: pass 1 runs methods 1, 2, 3, 5; pass 2 runs 1 and 5; pass 3 runs 5.
    assert final_vector(_sample(2, 2, 3).data) == [0, 0, 1, 2, 0, 3]
    # A0 B1 C1: method 4 makes an A, method 1 takes it apart, method 5 makes one Z.
    assert final_vector(_sample(0, 1, 1).data) == [0, 0, 0, 1, 0, 1]


@pytest.mark.parametrize(
    "line, method",
    [
        (
            "Method 1: Dismantling a single machine A yields two part X and one part Y each cycle.",
            METHODS[0],
        ),
        ("Method 2: Every round, dismantling two machines B results in one part X.", METHODS[1]),
        ("Method 3: Dismantling two machine C units yields one part Y each cycle.", METHODS[2]),
        (
            "Method 4: Every round, merging one machine B with one machine C creates one "
            "machine A.",
            METHODS[3],
        ),
        ("Method 5: Each round, one part X and one part Y merge to form one part Z.", METHODS[4]),
        (
            "Method 4: One unit of machine B and one unit of machine C can be combined into one "
            "unit of machine A per round.",
            METHODS[3],
        ),
    ],
)
def test_original_wordings_parse(line: str, method: dict) -> None:
    assert parse_methods(line) == [method]


def test_unreadable_method_is_an_error() -> None:
    with pytest.raises(ValueError):
        parse_methods("Method 1: Something happens to machine A.")


def test_answer_formats() -> None:
    s = _sample(2, 2, 3)
    for text in (
        "<<<[0, 0, 1, 2, 0, 3]>>>",
        '<<<["0", "0", "1", "2", "0", "3"]>>>',
        "<<<0 0 1 2 0 3>>>",
    ):
        assert TASK.verify(s, text).correct, text
    v = TASK.verify(s, "<<<[0, 0, 1, 2, 1, 3]>>>")
    assert not v.correct and "Y: expected 0, got 1" in v.detail
    assert not TASK.verify(s, "<<<[0, 0, 1, 2, 0]>>>").correct
    assert not TASK.verify(s, "<<<[0, 0, 1, 2.5, 0, 3]>>>").correct
