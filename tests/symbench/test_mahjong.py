"""mahjong: Peng/Chi/Pass judging, removals, rule variants and answer forms."""

from __future__ import annotations

from collections import Counter

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.mahjong import judge, play

TASK = get_task("mahjong")


@pytest.mark.parametrize(
    ("hand", "card", "chi", "want"),
    [
        ("AAXYZ", "A", True, 1),  # two A's held
        ("AXYZQ", "A", True, 0),  # one A is not enough; XYZ does not involve A
        ("BDMNO", "C", True, 2),  # new card in the middle
        ("QRRSW", "S", True, 2),  # QRS although R is held twice (original missed this)
        ("CCBDW", "C", True, 1),  # Peng wins over Chi
        ("YZKLM", "A", True, 0),  # no wrap from Z to A
        ("XYZ[Q", "[", True, 0),  # '[' is no letter
        ("BDMNO", "C", False, 0),  # Peng-only rules
    ],
)
def test_judge(hand: str, card: str, chi: bool, want: int) -> None:
    assert judge(Counter(hand), card, chi) == want


def test_removal_happens_after_judging() -> None:
    # Round 1: C with A, B held is Chi; then one A goes, leaving A B C. Round 2: A with one
    # A held is no Peng, but B C held make ABC: Chi. Without the removal it would be Peng.
    data = {"hand": "AAB", "rounds": [["C", "A"], ["A", None]], "chi": True}
    assert play(data) == 2
    data["rounds"][0][1] = "B"
    assert play(data) == 1


def _sample(chi: bool) -> Sample:
    data = {"hand": "AAB", "rounds": [["C", "A"], ["A", None]], "chi": chi}
    return Sample(TASK.id, "hand-made", data, "")


@pytest.mark.parametrize("text", ["<<<2>>>", "<<<Chi>>>", "<<<chi>>>", "<<<2 (Chi)>>>"])
def test_accepted_forms(text: str) -> None:
    assert TASK.verify(_sample(True), text).correct


def test_rejected() -> None:
    assert not TASK.verify(_sample(True), "<<<1>>>").correct
    assert not TASK.verify(_sample(True), "<<<1 or 2>>>").correct
    verdict = TASK.verify(_sample(False), "<<<2>>>")
    assert not verdict.correct and "not a possible result" in verdict.detail
    assert TASK.verify(_sample(False), "<<<0>>>").correct


def test_generated_results_are_balanced() -> None:
    results = Counter(play(TASK.generate(6, seed).data) for seed in range(90))
    assert all(results[v] >= 15 for v in (0, 1, 2)), results
