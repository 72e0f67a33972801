"""reversi: flipping rules by hand, occupied landings, answer formats, original quirk."""

from __future__ import annotations

import re

from symbench.core import Sample, get_task, read_json, sample_dirs
from symbench.tasks.reversi import legal, place, play, start_board

TASK = get_task("reversi")


def test_flips_by_hand() -> None:
    b = start_board(4)
    assert b == ["****", "*10*", "*01*", "****"]
    # black on (1, 2) flips the white piece at (2, 2) below it
    b1 = place(b, 0, 1, "0")
    assert b1 == ["*0**", "*00*", "*01*", "****"]
    # white on (1, 1) flips (2, 2) along the diagonal, ending on its own piece at (3, 3)
    b2 = place(b1, 0, 0, "1")
    assert b2 == ["10**", "*10*", "*01*", "****"]
    assert play(b, [[1, 2, "0"], [1, 1, "1"]]) == b2
    assert sorted(legal(b, "0")) == [(0, 1), (1, 0), (2, 3), (3, 2)]


def test_line_must_be_closed_and_occupied_cells_are_void() -> None:
    b = ["****", "*111", "**1*", "0***"]
    # black at (1, 4): down (2, 4)=1 then (3, 4) empty; down-left (2, 3)=1 then (3, 2)
    # empty -> nothing flips
    assert place(b, 0, 3, "0") == ["***0", "*111", "**1*", "0***"]
    # black at (2, 1): the whites to the right run into the edge -> nothing flips
    assert place(b, 1, 0, "0") == ["****", "0111", "**1*", "0***"]
    # a closed line: black at (1, 4), down-left (2, 3)=1 then black at (3, 2)
    assert place(["****", "*111", "*01*", "0***"], 0, 3, "0") == ["***0", "*101", "*01*", "0***"]
    # a closed line of two pieces flips both
    assert place(["****", "*110", "****", "****"], 1, 0, "0")[1] == "0000"
    # landing on a taken cell changes nothing
    assert place(b, 1, 1, "0") == b


def test_answer_formats() -> None:
    data = {"board": start_board(4), "moves": [[1, 2, "0"]]}
    s = Sample(TASK.id, TASK._question(data), data, "")
    for text in (
        "<<<*,0,*,*,*,0,0,*,*,0,1,*,*,*,*,*>>>",
        "<<<*0**\n*00*\n*01*\n****>>>",
        "<<<[['*','0','*','*'],['*','0','0','*'],['*','0','1','*'],['*','*','*','*']]>>>",
    ):
        assert TASK.verify(s, text).correct, text
    v = TASK.verify(s, "<<<*,0,*,*,*,0,1,*,*,0,1,*,*,*,*,*>>>")
    assert not v.correct and "(2, 3): expected 0, got 1" in v.detail
    v = TASK.verify(s, "<<<*,0,*,*,*,0,0,*,*,0,1,*,*,*,*>>>")
    assert not v.correct and "expected 16 cells" in v.detail
    assert not TASK.verify(s, "<<<*,B,*,*,*,B,B,*,*,B,W,*,*,*,*,*>>>").correct


def test_original_boards_already_show_the_moves(reference) -> None:
    # The documented quirk of the original release: the shown board is the stored answer
    # and every listed landing cell is already occupied.
    for d in sample_dirs(reference / "reversi_dataset"):
        q = (d / "question.txt").read_text(encoding="utf-8")
        board = re.search(r"was: ?\n([01*\n]+?)\n\n", q).group(1).split("\n")
        sol = read_json(d / "solution.json")
        assert ",".join("".join(board)) == sol["solution"]
        assert all(board[r - 1][c - 1] != "*" for r, c in sol["moves"])
