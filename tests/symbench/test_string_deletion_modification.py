"""string_deletion_modification: rule meanings, first-rule-wins, loops, answer formats."""

from __future__ import annotations

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.string_deletion_modification import (
    ORIGINAL,
    apply_rule,
    rewrite,
    rule_text,
)

TASK = get_task("string_deletion_modification")


def _r(kind: str, **kw) -> dict:
    return {"kind": kind, **kw}


def test_rule_meanings_by_hand() -> None:
    assert apply_rule(_r("prefix", p="cb", q="aa", drop=1), "cbac") == "aaa"
    assert apply_rule(_r("prefix", p="cb", q="aa", drop=1), "cb") == "aa"
    assert apply_rule(_r("prefix", p="bc", q="", add="aa"), "bcb") == "baa"
    assert apply_rule(_r("suffix", p="cc", q="b", add="a"), "bcc") == "abb"
    assert apply_rule(_r("contains", p="ca", q="", start=1), "cacab") == "cab"
    assert apply_rule(_r("contains", p="ca", q="", start=1), "cab") is None
    assert apply_rule(_r("even", ch="b", add="ab"), "abba") == "abbaab"
    assert apply_rule(_r("even", ch="b", add="ab"), "aca") is None
    assert apply_rule(_r("long", n=3), "abcd") == "abd"  # middle of 4 is position 3
    assert apply_rule(_r("long", n=3), "abcde") == "abde"


def test_first_applicable_rule_wins_then_restart() -> None:
    rules = [_r("prefix", p="ab", q="ca"), _r("suffix", p="bb", q="")]
    # abbb -> (rule 1) cabb -> (rule 2) ca
    assert rewrite("abbb", rules) == ["abbb", "cabb", "ca"]


def test_loops_are_detected() -> None:
    rules = [_r("suffix", p="ba", q="ab"), _r("suffix", p="ab", q="ba")]
    with pytest.raises(ValueError):
        rewrite("ba", rules)


def test_catalogue_has_all_original_rules_and_words_them() -> None:
    assert len(ORIGINAL) == 20
    for rule in ORIGINAL.values():
        assert rule_text(rule).startswith("If ")


def test_answer_formats() -> None:
    data = {"start": "abbb", "rules": [_r("prefix", p="ab", q="ca"), _r("suffix", p="bb", q="")]}
    s = Sample(TASK.id, TASK._question(data), data, "")
    for text in ('<<<"ca">>>', "<<<ca>>>", "<<< 'ca' >>>", "<<<CA>>>"):
        assert TASK.verify(s, text).correct, text
    v = TASK.verify(s, '<<<"cab">>>')
    assert not v.correct and "expected 'ca'" in v.detail
