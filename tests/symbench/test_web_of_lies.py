"""web_of_lies: the truth chain, uniqueness by brute force, answers and the BBH import."""

from __future__ import annotations

import itertools

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.web_of_lies import parse_question, truth_values

TASK = get_task("web_of_lies")


def _sample(data: dict) -> Sample:
    return Sample(TASK.id, "q", data, "")


HAND = {
    "people": ["Ann", "Bob", "Cal", "Dee"],
    "base": ["Ann", True],
    # Bob says Ann lies (false: Bob lies); Cal says Bob lies (true: Cal is honest);
    # Dee says Cal lies (false: Dee lies).
    "claims": [["Bob", "Ann", False], ["Cal", "Bob", False], ["Dee", "Cal", False]],
    "query": "Dee",
}


def test_truth_chain_by_hand() -> None:
    assert truth_values(HAND) == {"Ann": True, "Bob": False, "Cal": True, "Dee": False}
    assert TASK.solve(_sample(HAND)) == "<<<No>>>"
    tree = {**HAND, "claims": [*HAND["claims"][:2], ["Dee", "Bob", False]], "query": "Dee"}
    assert truth_values(tree)["Dee"] is True  # Bob lies, so "Bob lies" is true


@pytest.mark.parametrize("text", ["No", "no", "NO.", "- No", "(no)", " No "])
def test_accepts_no_in_any_form(text: str) -> None:
    assert TASK.verify(_sample(HAND), f"<<<{text}>>>").correct


@pytest.mark.parametrize("text", ["Yes", "yes.", "maybe", "Dee lies", "false", "No, yes"])
def test_rejects_wrong_or_unclear(text: str) -> None:
    verdict = TASK.verify(_sample(HAND), f"<<<{text}>>>")
    assert not verdict.correct
    assert "Dee lies" in verdict.detail or "Yes or No" in verdict.detail


def test_undetermined_person_is_an_error() -> None:
    broken = {**HAND, "claims": [["Bob", "Cal", True], ["Cal", "Bob", False]]}
    with pytest.raises(ValueError, match="not determined"):
        truth_values(broken)


@pytest.mark.parametrize("complexity", [1, 5, 8])
def test_generated_puzzles_have_exactly_one_consistent_assignment(complexity: int) -> None:
    for seed in range(8):
        data = TASK.generate(complexity, seed).data
        people = data["people"]
        consistent = []
        for values in itertools.product([False, True], repeat=len(people)):
            v = dict(zip(people, values, strict=True))
            if v[data["base"][0]] != data["base"][1]:
                continue
            if all(v[s] == (says == v[t]) for s, t, says in data["claims"]):
                consistent.append(v)
        assert consistent == [truth_values(data)]


def test_question_text_parses_back_to_its_data() -> None:
    for c in (1, 6, 10):
        s = TASK.generate(c, 3)
        parsed = parse_question(s.question)
        assert parsed["base"] == s.data["base"] and parsed["claims"] == s.data["claims"]
        assert parsed["query"] == s.data["query"]


def test_bbh_style_question_parses() -> None:
    text = (
        "Question: Ivo lies. Mara says Ivo tells the truth. Olek says Mara lies. "
        "Does Olek tell the truth?"
    )
    data = parse_question(text)
    assert data["people"] == ["Ivo", "Mara", "Olek"]
    assert truth_values(data)["Olek"] is True  # Mara lies, so Olek's claim is true


def test_imported_first_sample(reference) -> None:
    samples = list(TASK.import_original(reference))
    assert len(samples) == 250
    first = samples[0]
    assert first.origin == "bbh/web_of_lies/0"
    assert first.question.endswith(TASK.answer_format)
    assert TASK.solve(first) == first.answer  # our chain solver agrees with the BBH key
