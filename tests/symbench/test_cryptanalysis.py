"""cryptanalysis: the feedback rules reproduce the original clues, every original and
generated problem has exactly one consistent code (checked by enumerating all codes),
and the verifier reads the usual answer spellings."""

from __future__ import annotations

import itertools
import string

import pytest

from symbench.core import get_task
from symbench.tasks.cryptanalysis import _key, feedback, parse_code, part_feedback
from tests.conftest import reference_root

TASK = get_task("cryptanalysis")
ALL_CODES = [
    a + b + c + d
    for a, b in itertools.permutations(string.digits, 2)
    for c, d in itertools.permutations(string.ascii_uppercase, 2)
]


def consistent_codes(sample) -> list[str]:
    """Brute force over all 58,500 codes, using the phrase-level rules only."""
    want = [sorted(g["feedback"]) for g in sample.data["guesses"]]
    guesses = [g["guess"] for g in sample.data["guesses"]]
    nums = [
        p
        for p in ("".join(x) for x in itertools.permutations(string.digits, 2))
        if all(
            sorted(part_feedback(g[:2], p, "number")) == [w for w in ws if "number" in w]
            for g, ws in zip(guesses, want, strict=True)
        )
    ]
    lets = [
        p
        for p in ("".join(x) for x in itertools.permutations(string.ascii_uppercase, 2))
        if all(
            sorted(part_feedback(g[2:], p, "letter")) == [w for w in ws if "letter" in w]
            for g, ws in zip(guesses, want, strict=True)
        )
    ]
    return [n + m for n in nums for m in lets]


def test_rules_on_a_hand_made_case() -> None:
    # code 53FA (original sample_0), guess 38TA
    assert sorted(feedback("38TA", "53FA")) == sorted(
        [
            "one number is correct but in the wrong position",
            "one number is incorrect and too large",
            "one letter is correct and in the correct position",
            "one letter is incorrect and too late in the alphabet",
        ]
    )
    # 1 is below both 5 and 3, 9 above both: mixed directions -> plain "both incorrect"
    assert part_feedback("19", "53", "number") == ["both numbers are incorrect"]
    # E lies between A and F: "incorrect and incorrect"
    assert "one letter is incorrect and incorrect" in part_feedback("EF", "FA", "letter")
    assert part_feedback("35", "53", "number") == [
        "both numbers are correct but in the wrong positions"
    ]
    assert part_feedback("12", "53", "number") == ["both numbers are incorrect and too small"]


def test_compact_key_agrees_with_phrases() -> None:
    pairs = ["".join(p) for p in itertools.permutations("0123456789", 2)]
    seen: dict[int, tuple[str, ...]] = {}
    for g in pairs:
        for c in pairs:
            phrases = tuple(sorted(part_feedback(g, c, "number")))
            assert seen.setdefault(_key(g, c), phrases) == phrases


def test_original_samples_have_one_solution() -> None:
    samples = list(TASK.import_original(reference_root()))
    assert len(samples) == 100
    for s in samples[::10]:  # full brute force on a tenth; the solver covers all below
        assert consistent_codes(s) == [parse_code(s.answer[3:-3])], s.origin
    for s in samples:
        assert TASK.solve(s) == s.answer.replace(" ", "").replace(",", ", "), s.origin


@pytest.mark.parametrize("complexity", [1, 6, 10])
def test_generated_samples_have_one_solution(complexity: int) -> None:
    for seed in range(3):
        s = TASK.generate(complexity, seed)
        assert consistent_codes(s) == [parse_code(s.answer[3:-3])]


def test_answer_spellings() -> None:
    s = next(iter(TASK.import_original(reference_root())))  # code 53FA
    for text in (
        '["5", "3", "F", "A"]',
        "[5, 3, 'F', 'A']",
        "5 3 F A",
        "53FA",
        "53fa",
        "['5','3','f','a']",
    ):
        assert TASK.verify(s, f"<<<{text}>>>").correct, text
    for text, why in (
        ('["3", "5", "F", "A"]', "contradicts"),
        ("53F", "two digits"),
        ('["5","5","F","A"]', "repeat"),
    ):
        verdict = TASK.verify(s, f"<<<{text}>>>")
        assert not verdict.correct and why in verdict.detail, (text, verdict.detail)
