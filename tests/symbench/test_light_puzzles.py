"""light_puzzles: toggling simulation and answer forms."""

from __future__ import annotations

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.light_puzzles import final_grid
from tests.conftest import reference_root

TASK = get_task("light_puzzles")
# A is pressed twice (no effect), B once: only (1, 2) changes, 0 -> 1.
HAND = Sample(
    TASK.id,
    "hand-made",
    {
        "grid": [[1, 0], [0, 0]],
        "buttons": {"A": [[1, 1], [2, 2]], "B": [[1, 2]]},
        "presses": ["A", "B", "A"],
    },
    "",
)


def test_simulation_by_hand() -> None:
    assert final_grid(HAND.data) == [1, 1, 0, 0]
    assert TASK.solve(HAND) == "<<<1,1,0,0>>>"


@pytest.mark.parametrize(
    "text", ["<<<1,1,0,0>>>", "<<<1100>>>", "<<<[[1, 1], [0, 0]]>>>", "<<<11\n00>>>"]
)
def test_accepted_forms(text: str) -> None:
    assert TASK.verify(HAND, text).correct


@pytest.mark.parametrize(
    ("text", "why"),
    [("<<<1,1,0>>>", "expected 4"), ("<<<1,1,0,2>>>", "only 0 and 1"), ("<<<0,1,0,0>>>", "(1, 1)")],
)
def test_rejected_with_reason(text: str, why: str) -> None:
    verdict = TASK.verify(HAND, text)
    assert not verdict.correct and why in verdict.detail


def test_original_positions_are_row_then_column() -> None:
    # sample_99 by hand: presses A, A, C; C toggles (1,3), (1,4) in row 1 (1010 -> 1001)
    # and (2,1), (2,4) in row 2 (1110 -> 0111).
    s = {x.origin: x for x in TASK.import_original(reference_root())}[
        "light_puzzles_dataset/sample_99"
    ]
    assert s.data["presses"] == ["A", "A", "C"]
    assert final_grid(s.data)[:8] == [1, 0, 0, 1, 0, 1, 1, 1]
