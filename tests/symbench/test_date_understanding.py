"""date_understanding: calendar arithmetic checked against known dates, answers, import."""

from __future__ import annotations

from datetime import date

import pytest

from symbench.core import Sample, SymbenchError, get_task
from symbench.tasks.date_understanding import anchor_date, mdy, nth_weekday, shift, target_date

TASK = get_task("date_understanding")


def test_month_and_year_shifts_clamp_to_the_month_end() -> None:
    assert shift(date(2021, 1, 31), "months", 1) == date(2021, 2, 28)
    assert shift(date(2020, 1, 31), "months", 1) == date(2020, 2, 29)
    assert shift(date(2020, 3, 31), "months", -1) == date(2020, 2, 29)
    assert shift(date(2000, 2, 29), "years", 1) == date(2001, 2, 28)
    assert shift(date(1999, 12, 15), "months", 2) == date(2000, 2, 15)
    assert shift(date(2000, 1, 5), "months", -13) == date(1998, 12, 5)
    assert shift(date(1937, 12, 24), "weeks", 1) == date(1937, 12, 31)
    assert shift(date(1900, 2, 28), "days", 1) == date(1900, 3, 1)  # 1900: not a leap year


def test_named_days() -> None:
    assert nth_weekday(2001, 11, 3, 4) == date(2001, 11, 22)  # US Thanksgiving 2001
    assert nth_weekday(2019, 1, 0, 1) == date(2019, 1, 7)  # first Monday of 2019
    assert nth_weekday(2021, 5, 0, -1) == date(2021, 5, 31)  # last Monday of May 2021
    assert anchor_date({"kind": "day_of_year", "year": 2020, "n": 60}) == date(2020, 2, 29)
    assert anchor_date({"kind": "last_day", "year": 1900, "month": 2}) == date(1900, 2, 28)
    assert anchor_date({"kind": "holiday", "year": 1937, "name": "Christmas Eve"}) == date(
        1937, 12, 24
    )
    assert anchor_date({"kind": "thanksgiving", "year": 2001}) == date(2001, 11, 22)


# Christmas Eve 1937; today is the day after; a week ago from today is 12/18/1937.
HAND = {
    "anchor": {"kind": "holiday", "year": 1937, "name": "Christmas Eve"},
    "events": ["the book fair"],
    "links": [["days", 1]],
    "query": ["weeks", -1],
    "options": {"A": "12/25/1937", "B": "12/18/1937", "C": "12/17/1937", "D": "01/01/1938"},
}


def _sample(data: dict) -> Sample:
    return Sample(TASK.id, "q", data, "")


def test_hand_made_case() -> None:
    assert target_date(HAND) == date(1937, 12, 18)
    assert TASK.solve(_sample(HAND)) == "<<<(B)>>>"


@pytest.mark.parametrize(
    "text", ["(B)", "B", "b)", "option B", "12/18/1937", "(B) 12/18/1937", "12/18/1937."]
)
def test_accepted_answer_forms(text: str) -> None:
    assert TASK.verify(_sample(HAND), f"<<<{text}>>>").correct


def test_unpadded_date_is_matched_to_its_option() -> None:
    data = {**HAND, "query": ["days", 0], "anchor": {"kind": "date", "date": "1937-01-04"}}
    data["options"] = {"A": "01/05/1937", "B": "01/04/1937", "C": "04/01/1937"}
    assert target_date(data) == date(1937, 1, 5)
    assert TASK.verify(_sample(data), "<<<1/5/1937>>>").correct
    assert not TASK.verify(_sample(data), "<<<1/4/1937>>>").correct


@pytest.mark.parametrize("text", ["(A)", "12/25/1937", "(A) or (B)", "12/19/1937", "(G)"])
def test_rejected_answers(text: str) -> None:
    verdict = TASK.verify(_sample(HAND), f"<<<{text}>>>")
    assert not verdict.correct and verdict.detail


@pytest.mark.parametrize("complexity", [1, 5, 10])
def test_generated_options_are_distinct_with_one_right_date(complexity: int) -> None:
    for seed in range(20):
        s = TASK.generate(complexity, seed)
        texts = list(s.data["options"].values())
        assert len(set(texts)) == len(texts) == TASK.knobs(complexity)["options"]
        assert texts.count(mdy(target_date(s.data))) == 1


def test_imported_samples_check_by_their_key(reference) -> None:
    samples = list(TASK.import_original(reference))
    assert len(samples) == 250
    first = samples[0]
    key = first.data["key"]
    assert TASK.verify(first, f"<<<{first.data['options'][key]}>>>").correct
    other = next(k for k in first.data["options"] if k != key)
    assert not TASK.verify(first, f"<<<({other})>>>").correct
    with pytest.raises(SymbenchError):
        TASK.solve(first)
