"""gsm_hard: exact evaluation, tolerant number reading, templates checked from their text."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.gsm_hard import close, evaluate, parse_amount

TASK = get_task("gsm_hard")


def _generated(template: str, complexity: int, n: int) -> list[Sample]:
    found = []
    for seed in range(400):
        s = TASK.generate(complexity, seed)
        if s.data["template"] == template:
            found.append(s)
        if len(found) == n:
            break
    return found


def test_evaluate_by_hand() -> None:
    program = [["*", "3", "4"], ["+", "#0", "5"], ["/", "#1", "2"]]
    assert evaluate(program) == Fraction(17, 2)
    assert evaluate([["-", "2.5", "10"]]) == Fraction(-15, 2)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("$1,234.50", Fraction(246900, 200)),
        ("1234 cans", 1234),
        ("1.2 million", 1_200_000),
        ("2 1/2", Fraction(5, 2)),
        ("\\frac{3}{4}", Fraction(3, 4)),
        ("-$5", -5),
        ("$-5", -5),
        ("3 × 10^6", 3_000_000),
        ("1,234,567", 1_234_567),
        ("about 42 dollars", 42),
        ("\\$9,867,630", 9_867_630),
        ("-9867630.0", -9_867_630),
    ],
)
def test_parse_amount(text: str, value: Fraction) -> None:
    assert parse_amount(text) == value


def test_relative_tolerance() -> None:
    assert close(Fraction(10009, 10), Fraction(1000))  # 0.09% off
    assert not close(Fraction(10011, 10), Fraction(1000))  # 0.11% off
    assert close(Fraction(0), Fraction(0)) and not close(Fraction(1, 100), Fraction(0))


def test_verify_forms_and_rejections() -> None:
    s = Sample(TASK.id, "q", {"target": "3244047.0999999996"}, "")
    for text in ("3244047.1", "$3,244,047.10", "3244047 dollars", "3.244047e6"):
        assert TASK.verify(s, f"<<<{text}>>>").correct, text
    for text in ("3240000", "-3244047.1", "three million"):
        verdict = TASK.verify(s, f"<<<{text}>>>")
        assert not verdict.correct and verdict.detail


def test_factory_template_from_its_text() -> None:
    for s in _generated("factory", 6, 5):
        halls = re.findall(
            r"(\d+) machines that each make (\d+) bolts an hour and run (\d+)", s.question
        )
        days, pct = map(int, re.search(r"Over (\d+) days, (\d+)%", s.question).groups())
        made = sum(int(m) * int(r) * int(h) for m, r, h in halls) * days
        assert TASK.solve(s) == f"<<<{made * (100 - pct) // 100}>>>"
        assert made * (100 - pct) % 100 == 0  # whole bolts


def test_warehouse_template_from_its_text() -> None:
    for s in _generated("warehouse", 8, 5):
        stock = int(re.search(r"starts the week with (\d+) boxes", s.question).group(1))
        for n, what in re.findall(r"on \w+day (\d+) boxes (arrive|are shipped out)", s.question):
            stock += int(n) if what == "arrive" else -int(n)
            assert stock > 0
        per = int(re.search(r"Each box holds (\d+) cans", s.question).group(1))
        assert TASK.solve(s) == f"<<<{stock * per}>>>"


def test_sharing_gives_whole_dollars_and_every_answer_is_positive() -> None:
    for c in (1, 5, 10):
        for seed in range(40):
            s = TASK.generate(c, seed)
            value = evaluate(s.data["program"])
            assert value > 0
            if s.data["template"] == "sharing":
                assert value.denominator == 1


def test_numbers_in_the_program_appear_in_the_question() -> None:
    for seed in range(30):
        s = TASK.generate(7, seed)
        given = set(re.findall(r"\d+", s.question))
        for _, *operands in s.data["program"]:
            for v in operands:
                if not v.startswith("#") and v != "100":
                    assert v in given, (v, s.question)


def test_imported_first_sample(reference) -> None:
    samples = list(TASK.import_original(reference))
    assert len(samples) == 1319
    first = samples[0]
    assert first.origin == "gsmhardv2.jsonl/0" and first.question.endswith(TASK.answer_format)
    assert TASK.verify(first, first.answer).correct
