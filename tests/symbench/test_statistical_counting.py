"""statistical_counting: one score per maximal run, minimum run lengths."""

from __future__ import annotations

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.statistical_counting import score

TASK = get_task("statistical_counting")
RULES = [["A", 2, 1], ["B", 2, 2]]


def _sample(seq: str, rules=RULES) -> Sample:
    return Sample(TASK.id, "hand-made", {"sequence": seq, "rules": rules}, "")


@pytest.mark.parametrize(
    ("seq", "rules", "want"),
    [
        ("BBAAB", RULES, 3),  # BB adds 2, AA adds 1
        ("ABBBA", RULES, 2),  # one run of three B's scores once
        ("AABAA", RULES, 2),  # two separate runs of A
        ("AAABAA", [["A", 3, 5], ["B", 2, 2]], 5),  # the final AA is below the minimum 3
        ("C", RULES, 0),
    ],
)
def test_score_by_hand(seq: str, rules, want: int) -> None:
    assert score({"sequence": seq, "rules": rules}) == want


@pytest.mark.parametrize("text", ["<<<3>>>", "<<< 3 >>>", "<<<total: 3>>>", "<<<3.0>>>"])
def test_accepted_forms(text: str) -> None:
    assert TASK.verify(_sample("BBAAB"), text).correct


@pytest.mark.parametrize("text", ["<<<4>>>", "<<<3, 4>>>", "<<<three>>>", "<<<3.5>>>"])
def test_rejected(text: str) -> None:
    assert not TASK.verify(_sample("BBAAB"), text).correct
