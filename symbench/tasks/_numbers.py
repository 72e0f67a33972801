"""Number parsing shared by the logic-game tasks (logical_equation, new_operator, pooling,
light_puzzles, mahjong, statistical_counting): exact values from answer tokens and a
tolerant splitter for lists written as `1,2,3`, `[1, 2, 3]` or `[[1, 2], [3, 4]]`."""

from __future__ import annotations

import re
from fractions import Fraction

_TOKEN = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?:/[-+]?\d+)?")
_SPLIT = re.compile(r"[\s,;]+")
_BRACKETS = str.maketrans("", "", "[](){}\"'`")


def exact(token: str) -> Fraction:
    """`7`, `-2.50`, `+3`, `1e3`, `-7/3` (also with a unicode minus) as an exact Fraction."""
    t = token.strip().replace("\u2212", "-").replace(" ", "")
    if not _TOKEN.fullmatch(t):
        raise ValueError(f"not a number: {token!r}")
    if "/" in t:
        num, den = t.split("/")
        if Fraction(den) == 0:
            raise ValueError(f"zero denominator in {token!r}")
        return Fraction(num) / Fraction(den)
    return Fraction(t)


def is_decimal(token: str) -> bool:
    """True when a token is written with a decimal point or exponent (may be rounded)."""
    return "/" not in token and any(c in token for c in ".eE")


def tokens(text: str) -> list[str]:
    """The items of a flat or nested list, brackets and quotes dropped."""
    flat = text.replace("\u2212", "-").translate(_BRACKETS)
    return [t for t in _SPLIT.split(flat) if t]


def numbers(text: str) -> list[Fraction]:
    return [exact(t) for t in tokens(text)]


def integer(value: Fraction, what: str = "value") -> int:
    if value.denominator != 1:
        raise ValueError(f"{what} {value} is not a whole number")
    return int(value)


def render(value: Fraction) -> str:
    """An exact value as an answer: `12`, `-7/3`."""
    return str(value.numerator) if value.denominator == 1 else str(value)


def close(got: Fraction, want: Fraction, decimal: bool, rel: float) -> bool:
    """Exact equality, or for a decimal token agreement within `rel` (relative, at least
    absolute `rel` near zero) so that rounded decimals of non-terminating values pass."""
    if got == want:
        return True
    return decimal and abs(got - want) <= Fraction(rel) * max(1, abs(want))
