"""navigate: position arithmetic, answer forms, balance of yes/no, BBH parsing."""

from __future__ import annotations

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.navigate import parse_instructions, walk

TASK = get_task("navigate")


def _sample(moves: list) -> Sample:
    return Sample(TASK.id, "q", {"mode": "mixed", "moves": moves}, "")


def test_walk_by_hand() -> None:
    # Facing north: 3 forward -> (3, 0); turn right (east); 2 steps left -> north (5, 0);
    # 5 steps backward -> west (5, -5).
    moves = [["step", "forward", 3], ["turn", "right"], ["step", "left", 2]]
    assert walk(moves) == (5, 0)
    assert walk([*moves, ["step", "backward", 5]]) == (5, -5)
    there_and_back = [["step", "forward", 4], ["turn", "around"], ["step", "forward", 4]]
    assert walk(there_and_back) == (0, 0)


def test_square_returns_and_sidesteps_do_not_turn() -> None:
    square = [m for _ in range(4) for m in (["step", "forward", 2], ["turn", "left"])]
    assert walk(square) == (0, 0)
    # without turning, left then right cancel; forward then left does not
    assert walk([["step", "left", 3], ["step", "right", 3]]) == (0, 0)
    assert walk([["step", "forward", 3], ["step", "left", 3]]) == (3, -3)


@pytest.mark.parametrize("text", ["Yes", "yes", "YES.", "- Yes"])
def test_accepts_yes_forms(text: str) -> None:
    s = _sample([["step", "forward", 2], ["step", "backward", 2]])
    assert TASK.verify(s, f"<<<{text}>>>").correct
    assert not TASK.verify(s, "<<<No>>>").correct


def test_wrong_answer_says_where_the_walk_ends() -> None:
    s = _sample([["step", "forward", 2], ["turn", "right"], ["step", "forward", 1]])
    verdict = TASK.verify(s, "<<<Yes>>>")
    assert not verdict.correct and "2 steps ahead, 1 to the right" in verdict.detail
    assert TASK.verify(s, "<<<no.>>>").correct
    assert "Yes or No" in TASK.verify(s, "<<<perhaps>>>").detail


def test_generated_answers_are_balanced() -> None:
    answers = [TASK.generate(c, seed).answer for c in (2, 6, 10) for seed in range(60)]
    share = answers.count("<<<Yes>>>") / len(answers)
    assert 0.35 < share < 0.65


def test_bbh_style_instructions_parse() -> None:
    text = (
        "If you follow these instructions, do you return to the starting point? "
        "Take 3 steps. Turn around. Take 1 step. Take 2 steps.\nOptions:\n- Yes\n- No"
    )
    data = parse_instructions(text)
    assert data["mode"] == "turning" and walk(data["moves"]) == (0, 0)
    fixed = parse_instructions(
        "If you follow these instructions, do you return to the starting point? Always face "
        "forward. Take 1 step left. Take 2 steps right. Take 1 step left.\nOptions:\n- Yes\n- No"
    )
    assert fixed["mode"] == "fixed" and walk(fixed["moves"]) == (0, 0)
    with pytest.raises(ValueError, match="unknown instruction"):
        parse_instructions("Do you return? Jump twice.")


def test_question_text_parses_back_to_its_moves() -> None:
    for c in (1, 5, 10):
        s = TASK.generate(c, 11)
        assert parse_instructions(s.question)["moves"] == s.data["moves"]


def test_imported_samples_agree_with_the_simulation(reference) -> None:
    samples = list(TASK.import_original(reference))
    assert len(samples) == 250
    assert all(TASK.solve(s) == s.answer for s in samples)
