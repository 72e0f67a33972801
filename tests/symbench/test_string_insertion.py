"""string_insertion: the one-pass semantics (original positions, overlaps, inserted
letters never trigger), accepted forms and rejections."""

from __future__ import annotations

from symbench.core import Sample, get_task
from symbench.tasks.string_insertion import apply_rules
from tests.conftest import reference_root

TASK = get_task("string_insertion")
ORIG_RULES = [["ABCD", "A"], ["BCDE", "B"], ["CDEA", "C"], ["DEAB", "D"], ["EABC", "E"]]


def _sample(text: str, rules) -> Sample:
    data = {"alphabet": "ABCDE", "rules": rules, "string": text}
    return Sample(TASK.id, "hand-made", data, "")


def test_hand_made_cases() -> None:
    # BCDE at 1..4 -> B after it; CDEA at 6..9 and 11..14 -> C after each
    assert apply_rules("DBCDEDCDEAECDEA", ORIG_RULES) == "DBCDEBDCDEACECDEAC"
    # overlapping occurrences both count: ABCD ends after D, BCDE after E
    assert apply_rules("ABCDE", ORIG_RULES) == "ABCDAEB"
    # an inserted letter never creates an occurrence (ABC + A would make BCA)
    assert apply_rules("ABCD", [["ABC", "A"], ["BCA", "B"]]) == "ABCAD"
    assert apply_rules("EEEE", ORIG_RULES) == "EEEE"


def test_accepted_forms_and_rejections() -> None:
    s = _sample("ABCDE", ORIG_RULES)
    assert TASK.solve(s) == "<<<ABCDAEB>>>"
    for text in ("<<<ABCDAEB>>>", "<<<abcdaeb>>>", "<<< A B C D A E B >>>", "<<<'ABCDAEB'>>>"):
        assert TASK.verify(s, text).correct, text
    v = TASK.verify(s, "<<<ABCDE>>>")
    assert not v.correct and "nothing was inserted" in v.detail
    v = TASK.verify(s, "<<<ABCDABE>>>")
    assert not v.correct and "index 5" in v.detail


def test_original_sample_imports() -> None:
    samples = {s.origin: s for s in TASK.import_original(reference_root())}
    s = samples["string_insertion/sample_0"]
    assert s.data["rules"] == ORIG_RULES and s.data["alphabet"] == "ABCDE"
    assert TASK.solve(s) == s.answer == "<<<DBCDEBDCDEACECDEAC>>>"
