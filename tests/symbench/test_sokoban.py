"""sokoban: move simulation (walls, pushes, box into box), spellings, and the solver."""

from __future__ import annotations

import pytest

from symbench.core import Sample, get_task
from symbench.tasks._sokoban import count_pushes, parse_level, solve_level

TASK = get_task("sokoban")


def _sample(rows: list[str]) -> Sample:
    return Sample("sokoban", "q", {"level": rows}, "")


ONE = _sample(["#####", "#@$.#", "#####"])  # push right once
TWO = _sample(["######", "#@$ .#", "#    #", "######"])  # push right twice


@pytest.mark.parametrize("text", ["<<<R>>>", "<<<r>>>", "<<<right>>>", "<<<['R']>>>"])
def test_accepted_spellings(text: str) -> None:
    assert TASK.verify(ONE, text).correct


def test_spellings_of_longer_answers() -> None:
    for text in ("<<<RR>>>", "<<<R, R>>>", "<<<R R>>>", "<<<Right Right>>>"):
        assert TASK.verify(TWO, text).correct


@pytest.mark.parametrize(
    ("sample", "text", "why"),
    [
        (ONE, "<<<L>>>", "step 1 (L): the worker walks into a wall"),
        (TWO, "<<<RRR>>>", "step 3 (R): pushes a box into a wall"),
        (TWO, "<<<R>>>", "only 0 of 1 boxes"),
        (TWO, "<<<DRRULL>>>", "step 6 (L): pushes a box into a wall"),
        (TWO, "<<<RX>>>", "unexpected 'x'"),
        (_sample(["#######", "#@$$..#", "#######"]), "<<<R>>>", "into another box"),
    ],
)
def test_illegal_moves_score_zero_with_the_step(sample: Sample, text: str, why: str) -> None:
    verdict = TASK.verify(sample, text)
    assert verdict.score == 0.0
    assert why in verdict.detail


def test_the_final_position_counts() -> None:
    assert TASK.verify(TWO, "<<<RRD>>>").correct  # walking on after solving is fine
    line = _sample(["########", "#@$.   #", "########"])
    assert TASK.verify(line, "<<<RL>>>").correct  # stepping back does not pull the box
    verdict = TASK.verify(line, "<<<RR>>>")  # on the goal after R, pushed past it by RR
    assert not verdict.correct and "only 0 of 1" in verdict.detail


def test_solver_plans_a_detour() -> None:
    # The box must go down then right: the worker walks round it between pushes.
    rows = ["#######", "#     #", "# $#  #", "#@ . ##", "#######"]
    moves = solve_level(tuple(rows))
    assert moves is not None
    assert TASK.verify(_sample(rows), f"<<<{moves}>>>").correct
    assert count_pushes(parse_level(rows), moves) == 2


def test_solver_gives_up_on_dead_positions() -> None:
    assert solve_level(("#####", "#$ .#", "#@  #", "#####")) is None  # box stuck in a corner
    assert solve_level(("######", "#@$$.#", "#   .#", "######")) is None  # boxes stuck on top wall


def test_generated_levels_meet_their_knobs() -> None:
    for c in (1, 5, 10):
        k = TASK.knobs(c)
        s = TASK.generate(c, 4)
        lv = parse_level(s.data["level"])
        assert len(lv.boxes) == k["boxes"] and not lv.boxes & lv.goals
        assert len(s.data["level"]) == k["rows"] + 2
        assert count_pushes(lv, s.answer.strip("<>")) >= k["min_pushes"]
        assert "Legend" in s.question and s.data["level"][0] in s.question
