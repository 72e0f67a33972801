"""letters: the verifier's accepted spellings, its rejections, and the solver by hand."""

from __future__ import annotations

import pytest

from symbench.core import Sample, get_task

TASK = get_task("letters")


def _sample(word: str, letter: str) -> Sample:
    return Sample("letters", "q", {"word": word, "letter": letter}, "")


BANANA = _sample("banana", "a")  # a at 2, 4, 6 (checked by hand)


def test_solver_on_a_hand_made_word() -> None:
    assert TASK.solve(BANANA) == "<<<Count: 3, Positions: [2, 4, 6]>>>"
    assert TASK.solve(_sample("xyz", "x")) == "<<<Count: 1, Positions: [1]>>>"


@pytest.mark.parametrize(
    "text",
    [
        "<<<Count: 3, Positions: [2, 4, 6]>>>",
        "<<<count: 3, positions: 2, 4, 6>>>",
        "<<<Count: 3\nPositions: [6, 2, 4]>>>",
        "<<<3, [2, 4, 6]>>>",
        "<<<Count = 3, Position: (2, 4, 6)>>>",
    ],
)
def test_accepted_spellings(text: str) -> None:
    assert TASK.verify(BANANA, text).correct


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("<<<Count: 2, Positions: [2, 4, 6]>>>", "count"),
        ("<<<Count: 3, Positions: [1, 3, 5]>>>", "positions wrong"),  # 0-based
        ("<<<Count: 3, Positions: [2, 4, 4, 6]>>>", "more than once"),
        ("<<<Count: 3, Positions: [2, 4]>>>", "positions wrong"),
        ("<<<three a's at 2, 4 and 6>>>", "unreadable"),
    ],
)
def test_rejections_say_why(text: str, why: str) -> None:
    verdict = TASK.verify(BANANA, text)
    assert not verdict.correct
    assert why in verdict.detail


def test_generated_words_hold_the_letter_as_often_as_planned() -> None:
    for c in (1, 6, 10):
        knobs = TASK.knobs(c)
        for seed in range(20):
            s = TASK.generate(c, seed)
            n = s.data["word"].count(s.data["letter"])
            assert knobs["min_count"] <= n <= knobs["max_count"]
            assert knobs["min_length"] <= len(s.data["word"]) <= knobs["max_length"]
