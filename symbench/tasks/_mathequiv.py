"""Mathematical equivalence of final answers (MATH-style LaTeX or plain text).

`equivalent(gold, given)` decides whether two answers denote the same mathematical
object: fractions, decimals, radicals, pi, percentages, degrees, units in text,
ordered pairs and sets. It normalizes both strings, asks math-verify (run without its
signal-based timeouts, so it works in threads) and falls back to sympy numerics. Answers
that could make sympy compute for a very long time (huge powers, factorials) are only
compared as strings.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import sympy
from math_verify import parse, verify

from symbench.tasks._mathexact import fast_equal

MAX_LEN = 400


def _drop_timeout_notice(record: logging.LogRecord) -> bool:
    # We disable math-verify's signal-based timeouts on purpose (they fail in threads)
    # and bound the work ourselves (`is_risky`); its notice about that is noise.
    return not str(record.msg).startswith("Timeout is disabled")


for _name in ("math_verify.grader", "math_verify.parser"):
    logging.getLogger(_name).addFilter(_drop_timeout_notice)

_UNITS = (
    "units|unit|square|sq|cubic|cm|mm|km|m|meters?|centimeters?|inches|inch|in|feet|foot|"
    "ft|yards?|yd|miles?|degrees?|ways|dollars?|cents?|seconds?|minutes?|hours?|days?"
)
_TRAILING_UNITS = re.compile(rf"^(.*?[\d}}])(?:\s*(?:{_UNITS})\.?)+$")
_TEXT_CMD = re.compile(r"\\(?:text|mbox|textbf|mathrm|textrm|operatorname)\s*\{([^{}]*)\}")
_BIG_FACTORIAL = re.compile(r"\d{4,}\s*!|!\s*\)*\s*!|\\Gamma|\\uparrow|\^\s*-?\d+\s*\^")


def _unwrap_boxed(s: str) -> str:
    m = re.fullmatch(r"\\(?:boxed|fbox)\s*\{(.*)\}", s.strip(), re.DOTALL)
    return m.group(1) if m else s


def _sqrt_parens(s: str) -> str:
    """`sqrt(8)` (plain text) -> `\\sqrt{8}`, with balanced parentheses."""
    out, i = [], 0
    while True:
        m = re.compile(r"(?<!\\)\bsqrt\s*\(").search(s, i)
        if not m:
            out.append(s[i:])
            return "".join(out)
        depth, j = 1, m.end()
        while j < len(s) and depth:
            depth += {"(": 1, ")": -1}.get(s[j], 0)
            j += 1
        if depth:
            out.append(s[i:])
            return "".join(out)
        out.append(s[i : m.start()] + "\\sqrt{" + s[m.end() : j - 1] + "}")
        i = j


def normalize(s: str) -> str:
    """A canonical LaTeX-ish spelling: no `$`, units, degree signs or spacing commands."""
    s = _unwrap_boxed(str(s).strip())
    for a, b in (
        ("π", "\\pi"),
        ("√", "\\sqrt"),
        ("\u2212", "-"),
        ("×", "\\times"),
        ("·", "\\cdot"),
    ):
        s = s.replace(a, b)
    s = s.replace("°", "^\\circ").replace("÷", "/")
    s = re.sub(r"\\[dt]frac", r"\\frac", s)
    s = re.sub(r"(\d),\\!(?=\d{3})", r"\1", s)
    s = re.sub(r"\\(?:left|right|displaystyle|!|,|;|:)", "", s)
    s = s.replace("\\$", "").replace("$", "").replace("\\ ", " ").replace("~", " ")
    s = re.sub(r"\^\s*\{?\s*\\circ\s*\}?|\\circ|\\degree", "", s)
    s = re.sub(r"(\d)\{,\}(?=\d{3})", r"\1", s)
    s = re.sub(r"(?<!\\)%", r"\\%", s)
    s = re.sub(r"(?<![\\a-zA-Z])pi\b", r"\\pi", s)
    s = _sqrt_parens(s).replace("**", "^")
    s = re.sub(r"(\d)[eE]([+-]?\d+)\b", r"\1\\times 10^{\2}", s)
    s = s.strip().rstrip(".").strip()
    texts = _TEXT_CMD.findall(s)
    rest = _TEXT_CMD.sub("", s).strip()
    # `3\text{ cm}`: the text is a unit and goes; `\text{CBAD}`: the text is the answer
    unit = texts and re.search(r"[\d}]|\\pi", rest)
    s = rest if unit else _TEXT_CMD.sub(lambda m: m.group(1), s)
    s = re.sub(r"\s+", " ", s).strip().rstrip(".").strip()
    m = _TRAILING_UNITS.match(s)
    return m.group(1).strip() if m else s


def _exponents(s: str) -> Iterator[str]:
    """The exponent of every `^` in s: a balanced {...} / (...) group or the next token."""
    for m in re.finditer(r"\^\s*", s):
        i = m.end()
        if i < len(s) and s[i] in "{(":
            close, depth, j = {"{": "}", "(": ")"}[s[i]], 0, i
            while j < len(s):
                depth += (s[j] == s[i]) - (s[j] == close)
                j += 1
                if depth == 0:
                    break
            yield s[i:j]
        else:
            tok = re.match(r"-?\d+|\\[a-zA-Z]+|.", s[i:])
            yield tok.group(0) if tok else ""


def is_risky(s: str) -> bool:
    """Whether evaluating the answer could take unbounded time or memory: very long
    text, huge factorials, or a power whose exponent is itself a power, a factorial or a
    number of four or more digits."""
    if len(s) > MAX_LEN or _BIG_FACTORIAL.search(s):
        return True
    return any(
        "^" in e or "!" in e or re.search(r"\d{4,}", e.replace(",", "")) for e in _exponents(s)
    )


@lru_cache(maxsize=8192)
def parse_latex(s: str) -> tuple[Any, ...]:
    """math-verify's parse of a normalized answer, as a tuple (empty when unreadable)."""
    if not s or is_risky(s):
        return ()
    try:
        return tuple(parse(f"${s}$", parsing_timeout=None))
    except Exception:  # noqa: BLE001 - math-verify may raise anything on odd input
        return ()


def to_sympy(s: str) -> Any | None:
    """The sympy object an answer denotes, or None."""
    parsed = parse_latex(normalize(s))
    return parsed[0] if parsed and isinstance(parsed[0], sympy.Basic) else None


def _alternatives(gold: str) -> list[str]:
    """Readings of a gold answer: itself, and each side of `a = b` / `a \\approx b` when
    the left side is a value rather than a variable (`0.56 = 56\\%`)."""
    alts = [gold]
    sides = [p.strip() for p in re.split(r"=|\\approx", gold)]
    if len(sides) > 1 and all(sides) and re.match(r"^[-\d.\\]", sides[0]):
        alts.extend(sides)
    return alts


def _numeric_close(g: Any, a: Any) -> bool:
    try:
        if not (isinstance(g, sympy.Expr) and isinstance(a, sympy.Expr)):
            return False
        if g.free_symbols or a.free_symbols or not (g.is_number and a.is_number):
            return False
        gv, av = complex(sympy.N(g, 30)), complex(sympy.N(a, 30))
        return abs(gv - av) <= 1e-9 * max(1.0, abs(gv))
    except (TypeError, ValueError, ArithmeticError, AttributeError):
        return False


def _letters(s: str) -> str | None:
    m = re.fullmatch(r"\(?\s*([A-Za-z]+)\s*\)?", s)
    return m.group(1) if m else None


def _verify(gold: tuple[Any, ...], given: tuple[Any, ...]) -> bool:
    try:
        return bool(verify(list(gold), list(given), timeout_seconds=None))
    except Exception:  # noqa: BLE001
        return False


def equivalent(gold: str, given: str) -> tuple[bool, str]:
    """Whether `given` is mathematically the same answer as `gold`, and why."""
    g, a = normalize(gold), normalize(given)
    if not a:
        return False, "empty answer"
    if g.replace(" ", "") == a.replace(" ", ""):
        return True, "same expression"
    gl, al = _letters(g), _letters(a)
    if gl and len(gl) > 1 and gl.isupper() or gl and al and gl.upper() == al.upper():
        ok = bool(al) and gl.upper() == al.upper()
        return ok, "same text" if ok else f"expected {gold!r}, got {given!r}"
    if is_risky(a):
        return False, "answer too large or nested to evaluate"
    ok = fast_equal(g, a)
    if ok is not None:
        return ok, "equal" if ok else f"expected {gold!r}, got {given!r}"
    given_parsed = parse_latex(a)
    if not given_parsed:
        return False, f"could not read {given!r} as a mathematical expression"
    for alt in _alternatives(g):
        gold_parsed = parse_latex(alt)
        if gold_parsed and _verify(gold_parsed, given_parsed):
            return True, "equivalent"
        if gold_parsed and _numeric_close(gold_parsed[0], given_parsed[0]):
            return True, "numerically equal"
    return False, f"expected {gold!r}, got {given!r}"


def render(value: Any) -> str:
    """LaTeX for a sympy value, a tuple of values, or a plain number."""
    if isinstance(value, (tuple, list, sympy.Tuple)):
        return "(" + ", ".join(render(v) for v in value) + ")"
    return sympy.latex(sympy.nsimplify(value) if isinstance(value, float) else value)


def wrong_variants(gold: str) -> Iterator[str]:
    """Plausible answers that are not equivalent to `gold` (for perturbation), lazily."""

    def candidates() -> Iterator[str]:
        e = to_sympy(gold)
        if isinstance(e, sympy.Tuple) and len(e) > 0:
            yield render((e[0] + 1, *e[1:]))
        elif isinstance(e, sympy.Interval):
            yield render((e.start + 1, e.end))
        elif isinstance(e, sympy.Expr):
            yield from (render(e + 1), render(2 * e), render(e - 1))
        yield from (f"{normalize(gold)}+1", "2\\cdot 7919", "\\text{none}")

    return (v for v in candidates() if not equivalent(gold, v)[0])
