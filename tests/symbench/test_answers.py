"""Answer extraction and the shared normalizers."""

from __future__ import annotations

from fractions import Fraction

import pytest

from symbench.answers import extract_answer, parse_choice, parse_literal, parse_number


@pytest.mark.parametrize(
    "text, value, method",
    [
        ("The answer is <<<42>>>.", "42", "delimited"),
        ("first <<<1>>> then <<<2>>>", "2", "delimited"),
        ("<<< 'abc' >>>", "abc", "delimited"),
        ('<<<"[1, 2]">>>', "[1, 2]", "delimited"),
        ("<<<```\n[[1,2],[3,4]]\n```>>>", "[[1,2],[3,4]]", "delimited"),
        ("<<<  7  >>>.", "7", "delimited"),
        ("<<<a b !>>>", "a b !", "delimited"),  # punctuation inside the span is content
        ("So <<<>>> then <<<5>>>", "5", "delimited"),
        ("answer <<<UDLR", "UDLR", "delimited"),
        ("We get \\boxed{\\frac{1}{2}} finally", "\\frac{1}{2}", "boxed"),
        ("The final answer is 17.", "17", "answer_is"),
        ("blah\n\n  99  \n", "99", "last_line"),
    ],
)
def test_extract(text: str, value: str, method: str) -> None:
    ext = extract_answer(text)
    assert (ext.value, ext.method) == (value, method)
    assert ext.fallback == (method != "delimited")


def test_extract_nothing() -> None:
    assert extract_answer("").value is None
    assert extract_answer(None).method == "none"
    assert extract_answer("   \n  ").value is None


def test_nested_braces_in_boxed() -> None:
    assert extract_answer("\\boxed{\\frac{\\sqrt{2}}{2}}").value == "\\frac{\\sqrt{2}}{2}"


@pytest.mark.parametrize(
    "text, want",
    [
        ("$1,234.50", Fraction(246900, 200)),
        ("-7", -7),
        ("3/4", Fraction(3, 4)),
        ("1e3", 1000),
        ("about 12 apples", 12),
        ("\u22125", -5),
    ],
)
def test_parse_number(text: str, want: Fraction) -> None:
    assert parse_number(text) == want


def test_parse_number_rejects_text() -> None:
    with pytest.raises(ValueError):
        parse_number("no digits here")


def test_parse_literal_json_and_python() -> None:
    assert parse_literal("[1, 2, 3]") == [1, 2, 3]
    assert parse_literal("(1, 'a')") == (1, "a")
    with pytest.raises((ValueError, SyntaxError)):
        parse_literal("__import__('os')")


@pytest.mark.parametrize("text", ["(B)", "B", "b)", "B.", "option B", "(B) 03/12/2001"])
def test_parse_choice(text: str) -> None:
    assert parse_choice(text, {"A": "x", "B": "03/12/2001", "C": "z"}) == "B"


def test_parse_choice_by_option_text_and_unknown_letter() -> None:
    opts = {"A": "Yes", "B": "No"}
    assert parse_choice("no", opts) == "B"
    assert parse_choice("(E)", opts) is None
    assert parse_choice("(A) or (B)", opts) is None


def test_leading_dot_is_kept() -> None:
    assert extract_answer("<<<.5>>>").value == ".5"
    assert extract_answer("so \\boxed{.25}.").value == ".25"
    assert parse_number(".5") == Fraction(1, 2)
