"""game_2048: the single-tile movement rules and answer formats."""

from __future__ import annotations

from symbench.core import Sample, get_task
from symbench.tasks.game_2048 import move_tile

TASK = get_task("game_2048")


def test_rules_by_hand() -> None:
    # blocked by a different tile, then slides into the empty cell
    assert move_tile([[0, 16], [4, 2]], [0, 1], "dl") == [[16, 0], [4, 2]]
    # merges, and the merged tile carries on and merges again
    g = [[2, 2, 4], [0, 0, 0], [0, 0, 0]]
    assert move_tile(g, [0, 0], "r") == [[0, 4, 4], [0, 0, 0], [0, 0, 0]]
    assert move_tile(g, [0, 0], "rr") == [[0, 0, 8], [0, 0, 0], [0, 0, 0]]
    # the edge stops it; an empty start cell moves nothing
    assert move_tile(g, [0, 0], "ul") == g
    assert move_tile(g, [2, 2], "uuu") == g
    # the input grid is not changed
    assert g == [[2, 2, 4], [0, 0, 0], [0, 0, 0]]


def test_answer_formats() -> None:
    data = {"grid": [[0, 16], [4, 2]], "start": [0, 1], "moves": "dl"}
    s = Sample(TASK.id, TASK._question(data), data, "")
    for text in ("<<<16, 0\n4, 2>>>", "<<<[[16, 0], [4, 2]]>>>", "<<<16,0;4,2>>>"):
        assert TASK.verify(s, text).correct, text
    v = TASK.verify(s, "<<<0, 16\n4, 2>>>")
    assert not v.correct and "(1, 1): expected 16, got 0" in v.detail
    v = TASK.verify(s, "<<<16, 0, 4>>>")
    assert not v.correct and "expected 4 numbers" in v.detail
