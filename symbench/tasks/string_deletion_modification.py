"""string_deletion_modification: rewrite a string by an ordered list of rules (always the
first rule whose condition holds, then start over) until no rule applies.

Rules are data (`kind` + parameters); `apply_rule` is the only place their meaning is
written, `rule_text` the only place they are put into words. The original release draws
6 of 20 fixed rules; `ORIGINAL` maps each of those sentences to the same rule data.
Generated rule lists mix rules of that catalogue with freshly drawn rules of the same
kinds; candidates whose rewriting loops, grows past 60 characters, ends empty or takes
too few steps are redrawn.

Complexity -> knobs: rules 4 -> 8, start length from [6..20, 10..32] and at least 2 -> 10
rewrite steps, all growing linearly with complexity.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.answers import clean
from symbench.core import Sample, Task, ilerp, origin_of, read_json, register, sample_dirs

Rule = dict[str, Any]
MAX_STEPS, MAX_LEN = 400, 60


def _r(kind: str, **kw: Any) -> Rule:
    return {"kind": kind, **kw}


ORIGINAL: dict[str, Rule] = {
    "If the string prefix is 'ab', replace it with 'ca'.": _r("prefix", p="ab", q="ca"),
    "If the string suffix is 'ac', replace it with 'cb'.": _r("suffix", p="ac", q="cb"),
    "If the string prefix is 'bc', delete the first two characters and append 'aa' to the end.": _r(
        "prefix", p="bc", q="", add="aa"
    ),
    "If the string suffix is 'bb', delete the last two characters.": _r("suffix", p="bb", q=""),
    "If the string prefix is 'cb', replace it with 'aa' and delete the last character.": _r(
        "prefix", p="cb", q="aa", drop=1
    ),
    "If the string prefix is 'ca', replace it with 'bb' and append 'c' to the end.": _r(
        "prefix", p="ca", q="bb", add="c"
    ),
    "If the string suffix is 'cc', replace it with 'b' and prepend 'a' to the start.": _r(
        "suffix", p="cc", q="b", add="a"
    ),
    "If the string prefix is 'aa', remove the first character.": _r("prefix", p="aa", q="a"),
    "If the string contains 'abc', replace the first occurrence with 'cab'.": _r(
        "contains", p="abc", q="cab", start=0
    ),
    "If the string contains 'bca', delete the first occurrence entirely.": _r(
        "contains", p="bca", q="", start=0
    ),
    "If the string ends with 'ba', replace it with 'ab'.": _r("suffix", p="ba", q="ab"),
    "If the string starts with 'cc', remove the first two characters.": _r("prefix", p="cc", q=""),
    "If the string contains 'acb', replace the first occurrence with its reverse ('bca').": _r(
        "contains", p="acb", q="bca", start=0
    ),
    "If the string ends with 'ca', remove the last character.": _r("suffix", p="ca", q="c"),
    "If the string starts with 'bb', remove the second character.": _r("prefix", p="bb", q="b"),
    "If the string ends with 'aa', replace it with 'cc'.": _r("suffix", p="aa", q="cc"),
    "If the string contains 'ca' (not at the start), remove the first occurrence found after "
    "the first character.": _r("contains", p="ca", q="", start=1),
    "If the string contains an even number of 'b's (and at least one 'b'), append 'ab' at the "
    "end.": _r("even", ch="b", add="ab"),
    "If the string length is greater than 15, remove the middle character.": _r("long", n=15),
    "If the string starts with 'ac', replace the first two characters with 'zz'.": _r(
        "prefix", p="ac", q="zz"
    ),
}
CATALOGUE = list(ORIGINAL.values())


def apply_rule(rule: Rule, s: str) -> str | None:
    """The rewritten string, or None when the rule's condition does not hold."""
    k = rule["kind"]
    if k == "prefix":
        p = rule["p"]
        if not s.startswith(p):
            return None
        rest = s[len(p) :]
        if rule.get("drop"):
            rest = rest[: -rule["drop"]]
        return rule["q"] + rest + rule.get("add", "")
    if k == "suffix":
        p = rule["p"]
        return rule.get("add", "") + s[: -len(p)] + rule["q"] if s.endswith(p) else None
    if k == "contains":
        i = s.find(rule["p"], rule["start"])
        return None if i < 0 else s[:i] + rule["q"] + s[i + len(rule["p"]) :]
    if k == "even":
        n = s.count(rule["ch"])
        return s + rule["add"] if n > 0 and n % 2 == 0 else None
    if k == "long":
        return s[: len(s) // 2] + s[len(s) // 2 + 1 :] if len(s) > rule["n"] else None
    raise ValueError(f"unknown rule kind {k!r}")


def rule_text(rule: Rule) -> str:
    """The rule in our own words."""
    k = rule["kind"]
    if k == "prefix":
        p, q = rule["p"], rule["q"]
        act = f"replace that leading '{p}' with '{q}'" if q else f"delete that leading '{p}'"
        if rule.get("drop"):
            act += (
                ", and delete the last character of what followed it (nothing is deleted "
                f"if nothing followed the '{p}')"
            )
        if rule.get("add"):
            act += f", and add '{rule['add']}' at the end of the string"
        return f"If the string begins with '{p}': {act}."
    if k == "suffix":
        p, q = rule["p"], rule["q"]
        act = f"replace that final '{p}' with '{q}'" if q else f"delete that final '{p}'"
        if rule.get("add"):
            act += f", and put '{rule['add']}' in front of the string"
        return f"If the string finishes with '{p}': {act}."
    if k == "contains":
        p, q = rule["p"], rule["q"]
        where = "" if rule["start"] == 0 else " that does not begin at the very first character"
        first = f"the leftmost occurrence of '{p}'{where}"
        act = f"replace {first} with '{q}'" if q else f"delete {first}"
        cond = f"'{p}' occurs in the string" + (" other than at position 1" if where else "")
        return f"If {cond}: {act}."
    if k == "even":
        ch = rule["ch"]
        return (
            f"If the number of '{ch}' letters in the string is even and not zero: add "
            f"'{rule['add']}' at the end of the string."
        )
    if k == "long":
        return (
            f"If the string has more than {rule['n']} characters: delete its middle "
            f"character (for length L, the character at position floor(L/2) + 1, counting from 1)."
        )
    raise ValueError(f"unknown rule kind {k!r}")


def rewrite(s: str, rules: list[Rule]) -> list[str]:
    """All states from the start string to the final one; ValueError if it never stops."""
    states, seen = [s], {s}
    while True:
        for rule in rules:
            nxt = apply_rule(rule, states[-1])
            if nxt is not None:
                break
        else:
            return states
        if nxt in seen or len(states) > MAX_STEPS or len(nxt) > MAX_LEN:
            raise ValueError("the rewriting does not stop")
        seen.add(nxt)
        states.append(nxt)


def _condition(rule: Rule) -> tuple:
    """What a rule tests; two rules of one list never test the same thing."""
    return (rule["kind"], rule.get("p"), rule.get("start"), rule.get("ch"), rule.get("n"))


def _word(rng: random.Random, lo: int, hi: int) -> str:
    return "".join(rng.choice("abc") for _ in range(rng.randint(lo, hi)))


def random_rule(rng: random.Random) -> Rule:
    kind = rng.choice(("prefix", "prefix", "suffix", "suffix", "contains", "contains", "even"))
    if kind == "even":
        return _r("even", ch=rng.choice("abc"), add=_word(rng, 1, 2))
    if kind == "contains":
        return _r("contains", p=_word(rng, 2, 3), q=_word(rng, 0, 3), start=rng.choice((0, 0, 1)))
    rule = _r(kind, p=_word(rng, 2, 2), q=_word(rng, 0, 2))
    if rng.random() < 0.25:
        rule["add"] = _word(rng, 1, 2)
    return rule


@register
class StringDeletionModification(Task):
    id = "string_deletion_modification"
    split = "seen"
    family = "logic_game"
    description = "apply ordered string rewrite rules until none applies; final string"
    answer_format = 'Give the final string inside <<< >>>, e.g. <<<"abcab">>>.'
    original_paths = ("string_deletion_and_modification",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {
            "rules": ilerp(complexity, 4, 8),
            "min_len": ilerp(complexity, 6, 20),
            "max_len": ilerp(complexity, 10, 32),
            "min_steps": ilerp(complexity, 2, 10),
        }

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        while True:
            rules = [
                rng.choice(CATALOGUE) if rng.random() < 0.5 else random_rule(rng)
                for _ in range(knobs["rules"])
            ]
            if len({_condition(r) for r in rules}) < len(rules):
                continue
            start = _word(rng, knobs["min_len"], knobs["max_len"])
            try:
                states = rewrite(start, rules)
            except ValueError:
                continue
            if len(states) - 1 >= knobs["min_steps"] and states[-1]:
                data = {"start": start, "rules": rules}
                return self._question(data), data

    def _question(self, data: dict[str, Any]) -> str:
        lines = [f"{i}. {rule_text(r)}" for i, r in enumerate(data["rules"], 1)]
        return (
            "Transform a string with the numbered rules below. In each step, check the "
            "rules in order from 1 and apply only the first rule whose condition holds, "
            "exactly once; then check again from rule 1 with the new string. Stop when "
            "no rule's condition holds. Occurrences, beginnings and endings are matched "
            "letter by letter.\n\n"
            + "\n".join(lines)
            + f'\n\nStart string: "{data["start"]}". What is the string when the process '
            f"stops?\n" + self.answer_format
        )

    def _final(self, sample: Sample) -> str:
        return rewrite(sample.data["start"], sample.data["rules"])[-1]

    def solve(self, sample: Sample) -> str:
        return f'<<<"{self._final(sample)}">>>'

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        want = self._final(sample)
        got = re.sub(r"\s+", "", clean(answer)).lower()
        return (1.0, "exact") if got == want else (0.0, f"expected {want!r}, got {got!r}")

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        s = list(self._final(sample))
        i = rng.randrange(len(s))
        s[i] = rng.choice([c for c in "abc" if c != s[i]])
        return f'<<<"{"".join(s)}">>>'

    def size(self, sample: Sample) -> float:
        return len(rewrite(sample.data["start"], sample.data["rules"])) - 1

    def import_original(self, root: Path) -> Iterator[Sample]:
        for d in sample_dirs(root / "string_deletion_and_modification"):
            question = (d / "question.txt").read_text(encoding="utf-8")
            lines = re.findall(r"^\d+\. (If .+)$", question, re.M)
            start = re.search(r'For the string "([a-z]*)"', question)
            if not lines or not start:
                raise ValueError(f"{d.name}: cannot read the rules or the start string")
            rules = [ORIGINAL[line.strip()] for line in lines]
            data = {"start": start.group(1), "rules": rules}
            ref = read_json(d / "solution.json")["final_string"]
            yield Sample(
                self.id,
                question,
                data,
                f'<<< "{ref}" >>>',
                "test",
                None,
                None,
                origin_of(root, d),
            )
