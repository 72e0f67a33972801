"""pattern_recognition: the largest square wins, squares inside it do not count, ties
are refused, accepted answer forms; the release's JSON file repeats the folders."""

from __future__ import annotations

import json

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.pattern_recognition import answer_cell, largest_squares
from tests.conftest import reference_root

TASK = get_task("pattern_recognition")

# a 3x3 block of X (rows 0-2, columns 0-2), a 4x4 block of Y (rows 2-5, columns 4-7)
# and a 2x2 block of Z; the answer is the Y block's bottom-right cell (5, 7).
ROWS = [
    "XXXABCDE",
    "XXXFGHIJ",
    "XXXKYYYY",
    "LMNOYYYY",
    "ZZPQYYYY",
    "ZZRSYYYY",
]
HAND = Sample(TASK.id, "hand-made", {"matrix": [list(r) for r in ROWS]}, "")


def test_largest_square_by_hand() -> None:
    assert largest_squares(HAND.data["matrix"]) == (4, [(5, 7)])
    assert TASK.solve(HAND) == "<<<[5, 7]>>>"


@pytest.mark.parametrize(
    "text", ["<<<[5, 7]>>>", "<<<5,7>>>", "<<<(5, 7)>>>", "<<<row 5, column 7>>>"]
)
def test_accepted_forms(text: str) -> None:
    assert TASK.verify(HAND, text).correct


@pytest.mark.parametrize("text", ["<<<[7, 5]>>>", "<<<[2, 4]>>>", "<<<[2, 2]>>>", "<<<[5]>>>"])
def test_rejected(text: str) -> None:
    # transposed, the Y block's top-left corner, the smaller X block, one number
    assert not TASK.verify(HAND, text).correct


def test_ties_are_not_a_valid_problem() -> None:
    tie = [list("AAAB"), list("AAAB"), list("AAAB"), list("CCCD"), list("CCCD"), list("CCCD")]
    with pytest.raises(ValueError, match="not unique"):
        answer_cell(tie)
    with pytest.raises(ValueError, match="no one-letter square"):
        answer_cell([list("AB"), list("CD")])


def test_generated_problems_have_one_largest_square() -> None:
    for seed in range(30):
        s = TASK.generate(10, seed)
        best, cells = largest_squares(s.data["matrix"])
        assert best >= 3 and len(cells) == 1


def test_dataset_json_repeats_the_folders() -> None:
    base = reference_root() / "pattern_recognition"
    entries = json.loads((base / "pattern_recognition_dataset.json").read_text())
    samples = list(TASK.import_original(reference_root()))
    assert len(entries) == len(samples) == 100
    for entry, s in zip(entries, samples, strict=True):
        assert entry["question"] == s.question
        assert s.answer == f"<<<[{entry['solution']['row']}, {entry['solution']['column']}]>>>"
