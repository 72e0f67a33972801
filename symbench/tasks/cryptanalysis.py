"""cryptanalysis: deduce a lock code (two different digits, then two different letters)
from guesses and the feedback each guess got.

Feedback rules (read off the original release; all 100 original samples follow them and
each has exactly one consistent code): digits and letters are judged separately. A
guessed symbol the code holds in the same place is "correct and in the correct
position", one it holds in the other place "correct but in the wrong position". A symbol
the code does not hold is "too large"/"too small" (letters: "too late"/"too early in the
alphabet") when it is above/below *both* code symbols of its kind, otherwise just
"incorrect". When both symbols of a kind are right with the same status, or wrong in the
same direction, one "both ..." phrase says so; two wrong symbols that differ in
direction (or both lie between the code symbols) give "both ... are incorrect".

Complexity -> knobs: `min_guesses` 2 -> 8 and `bias` 4 -> -4. Each clue is picked from
1 + |bias| random guesses that narrow the candidate codes: the most informative one when
bias > 0, the least informative one when bias < 0; until `min_guesses` clues are shown no
clue may pin the code down. Higher complexity thus means more, individually weaker,
clues (about 4 at complexity 1, about 14 at 10). The solver enumerates the 90 digit
pairs and 650 letter pairs separately.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from symbench.core import Sample, Task, ilerp, origin_of, read_json, register, sample_dirs

DIGITS, LETTERS = string.digits, string.ascii_uppercase
KINDS = (
    ("number", DIGITS, ("too small", "too large")),
    ("letter", LETTERS, ("too early in the alphabet", "too late in the alphabet")),
)
PAIRS = {noun: [a + b for a in alphabet for b in alphabet if a != b] for noun, alphabet, _ in KINDS}


def part_feedback(guess: str, code: str, noun: str) -> list[str]:
    """Feedback phrases about one kind (two digits or two letters) of a guess."""
    low, high = next(words for n, _, words in KINDS if n == noun)
    states = []
    for i, x in enumerate(guess):
        if x == code[i]:
            states.append(("correct", "and in the correct position"))
        elif x in code:
            states.append(("correct", "but in the wrong position"))
        else:
            word = low if all(x < c for c in code) else high if all(x > c for c in code) else ""
            states.append(("incorrect", word))
    (s0, w0), (s1, w1) = states
    if (s0, w0) == (s1, w1):
        if s0 == "correct":
            return [f"both {noun}s are correct {w0.replace('position', 'positions')}"]
        return [f"both {noun}s are incorrect" + (f" and {w0}" if w0 else "")]
    if s0 == s1 == "incorrect":
        return [f"both {noun}s are incorrect"]
    out = []
    for s, w in sorted(states):
        out.append(
            f"one {noun} is {s} {w}"
            if s == "correct"
            else f"one {noun} is incorrect and {w or 'incorrect'}"
        )
    return out


def feedback(guess: str, code: str) -> list[str]:
    return part_feedback(guess[:2], code[:2], "number") + part_feedback(
        guess[2:], code[2:], "letter"
    )


def _key(guess: str, code: str) -> int:
    """A compact form of `part_feedback` (same information, no strings): per-symbol
    states 0 right place, 1 wrong place, 2 below both, 3 above both, 4 in between;
    two incorrect symbols that differ (or both lie in between) collapse to 45."""
    a, b = guess
    c0, c1 = code
    if a == c0:
        s0 = 0
    elif a == c1:
        s0 = 1
    else:
        s0 = 2 if a < c0 and a < c1 else 3 if a > c0 and a > c1 else 4
    if b == c1:
        s1 = 0
    elif b == c0:
        s1 = 1
    else:
        s1 = 2 if b < c0 and b < c1 else 3 if b > c0 and b > c1 else 4
    if s0 > s1:
        s0, s1 = s1, s0
    if s0 >= 2 and (s0 != s1 or s0 == 4):
        return 45
    return 10 * s0 + s1


@lru_cache(maxsize=4096)
def _key_of(noun: str, phrases: tuple[str, ...]) -> int:
    """The `_key` of a feedback given as sorted phrases (ValueError if none matches)."""
    alphabet = DIGITS if noun == "number" else LETTERS
    for code in (alphabet[3] + alphabet[6], alphabet[6] + alphabet[3]):
        for pair in PAIRS[noun]:
            if tuple(sorted(part_feedback(pair, code, noun))) == phrases:
                return _key(pair, code)
    raise ValueError(f"unknown feedback about {noun}s: {'; '.join(phrases)}")


def candidates(
    guesses: list[dict[str, Any]], noun: str, pool: list[str] | None = None
) -> list[str]:
    """Digit (or letter) pairs of `pool` (default: all) consistent with every guess's
    feedback about that kind."""
    sl = slice(0, 2) if noun == "number" else slice(2, 4)
    out = PAIRS[noun] if pool is None else pool
    for g in guesses:
        want = _key_of(noun, tuple(sorted(p for p in g["feedback"] if f" {noun}" in p)))
        guess = g["guess"][sl]
        out = [pair for pair in out if _key(guess, pair) == want]
    return out


def parse_code(answer: str) -> str:
    """`["5", "3", "F", "A"]`, `[5, 3, 'F', 'A']`, `5 3 F A` or `53FA` -> `53FA`."""
    code = "".join(re.findall(r"[A-Za-z0-9]+", answer)).upper()
    if not re.fullmatch(r"\d\d[A-Z][A-Z]", code):
        raise ValueError(f"expected two digits then two letters, got {answer!r}")
    return code


@register
class Cryptanalysis(Task):
    id = "cryptanalysis"
    split = "unseen"
    family = "logic_game"
    description = "deduce a 2-digit + 2-letter lock code from guess feedback"
    answer_format = (
        "Give the code inside <<< >>> as a list of four strings, the two digits first, "
        'e.g. <<<["5", "3", "F", "A"]>>>.'
    )
    original_paths = ("cryptanalysis",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {"min_guesses": ilerp(complexity, 2, 8), "bias": ilerp(complexity, 4, -4)}

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        code = "".join(rng.sample(DIGITS, 2) + rng.sample(LETTERS, 2))
        guesses: list[dict[str, Any]] = []
        pools = {noun: PAIRS[noun] for noun in PAIRS}
        draws, bias = 1 + abs(knobs["bias"]), knobs["bias"]
        for tries in range(1000):
            if len(pools["number"]) == len(pools["letter"]) == 1:
                break
            options = []
            for _ in range(draws):
                guess = "".join(rng.sample(DIGITS, 2) + rng.sample(LETTERS, 2))
                clue = {"guess": guess, "feedback": feedback(guess, code)}
                now = {noun: candidates([clue], noun, pools[noun]) for noun in PAIRS}
                left = len(now["number"]) * len(now["letter"])
                if left == len(pools["number"]) * len(pools["letter"]):
                    continue  # tells nothing new
                if left == 1 and len(guesses) + 1 < knobs["min_guesses"] and tries < 500:
                    continue  # would give the code away too early
                options.append((left, guess, clue, now))
            if options:
                _, _, clue, pools = min(options) if bias >= 0 else max(options)
                guesses.append(clue)
        return self._question(guesses), {"guesses": guesses}

    def _question(self, guesses: list[dict[str, Any]]) -> str:
        lines = [
            "A lock is opened by a code of two digits followed by two capital letters; the two "
            "digits differ from each other and so do the two letters. Find the code from the "
            f"{len(guesses)} guesses below.",
            "How to read the feedback: digits (called 'numbers' below) and letters are judged "
            "separately. A guessed "
            "symbol that the code has in the same place is 'correct and in the correct "
            "position'; one the code has in the other place is 'correct but in the wrong "
            "position'. A symbol the code does not contain is 'too large' / 'too small' (for "
            "letters: 'too late' / 'too early in the alphabet') if it is above / below both "
            "code symbols of its kind, and otherwise simply 'incorrect'. If both symbols of a "
            "kind share the same verdict, one 'both ...' phrase is used; two incorrect symbols "
            "that do not share a direction are reported as 'both ... are incorrect'.",
        ]
        for i, g in enumerate(guesses, 1):
            lines.append(f"{i}. Guess: {g['guess']}, Feedback: {'; '.join(g['feedback'])}.")
        lines.append(self.answer_format)
        return "\n".join(lines)

    def solve(self, sample: Sample) -> str:
        guesses = sample.data["guesses"]
        nums, lets = candidates(guesses, "number"), candidates(guesses, "letter")
        if len(nums) != 1 or len(lets) != 1:
            raise ValueError(f"{len(nums)} digit pairs x {len(lets)} letter pairs fit the feedback")
        code = nums[0] + lets[0]
        return "<<<[" + ", ".join(f'"{c}"' for c in code) + "]>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        code = parse_code(answer)
        if code[0] == code[1] or code[2] == code[3]:
            return 0.0, f"{code}: the digits and the letters must not repeat"
        for i, g in enumerate(sample.data["guesses"], 1):
            got = feedback(g["guess"], code)
            if sorted(got) != sorted(g["feedback"]):
                return (
                    0.0,
                    f"{code} contradicts guess {i} ({g['guess']}): it would get {'; '.join(got)}",
                )
        return 1.0, f"{code} fits every clue (and is the only code that does)"

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        code = parse_code(answer_text.strip("<>"))
        options = [code[1] + code[0] + code[2:], code[:2] + code[3] + code[2]]
        letter = rng.choice([c for c in LETTERS if c not in code[2:]])
        options.append(code[:3] + letter)
        bad = rng.choice(options)
        return "<<<[" + ", ".join(f'"{c}"' for c in bad) + "]>>>"

    def size(self, sample: Sample) -> float:
        return float(len(sample.data["guesses"]))

    def import_original(self, root: Path) -> Iterator[Sample]:
        for d in sample_dirs(root / "cryptanalysis"):
            question = (d / "question.txt").read_text(encoding="utf-8")
            guesses = []
            for guess, text in re.findall(
                r"Guess:\s*(\w{4}),\s*Feedback:\s*(.*?)\.?\s*$", question, re.M
            ):
                phrases = [p.strip() for p in text.split(";") if p.strip()]
                for noun in ("number", "letter"):
                    _key_of(noun, tuple(sorted(p for p in phrases if f" {noun}" in p)))
                guesses.append({"guess": guess.upper(), "feedback": phrases})
            if not guesses:
                raise ValueError(f"{d.name}: no guesses found")
            code = [str(c) for c in read_json(d / "solution.json")["answer"]]
            yield Sample(
                self.id,
                question,
                {"guesses": guesses},
                "<<<[" + ", ".join(f'"{c}"' for c in code) + "]>>>",
                "test",
                None,
                None,
                origin_of(root, d),
            )
