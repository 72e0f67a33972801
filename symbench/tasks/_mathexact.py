"""Exact values of plain numeric answers (integers, fractions, radicals, pi, ordered
pairs of them) without the full LaTeX parser: a fast, decisive path for the common case.
Only digits, + - * / **, parentheses, sqrt and pi ever reach sympy."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import sympy


def _brace_group(s: str, i: int) -> int:
    """Index just past the balanced {...} group starting at s[i] == '{'."""
    depth = 0
    for j in range(i, len(s)):
        depth += (s[j] == "{") - (s[j] == "}")
        if depth == 0:
            return j + 1
    raise ValueError("unbalanced braces")


def _plain(s: str) -> str:
    """Simple LaTeX (\\frac, \\sqrt, \\pi, ^, \\cdot) as a Python expression string."""
    out, i = [], 0
    while i < len(s):
        if s.startswith("\\frac{", i):
            j = _brace_group(s, i + 5)
            k = _brace_group(s, j) if j < len(s) and s[j] == "{" else -1
            if k < 0:
                raise ValueError("\\frac needs two groups")
            out.append(f"(({_plain(s[i + 6 : j - 1])})/({_plain(s[j + 1 : k - 1])}))")
            i = k
        elif s.startswith("\\sqrt{", i):
            j = _brace_group(s, i + 5)
            out.append(f" sqrt({_plain(s[i + 6 : j - 1])})")
            i = j
        elif s.startswith("^{", i):
            j = _brace_group(s, i + 1)
            out.append(f"**({_plain(s[i + 2 : j - 1])})")
            i = j
        else:
            out.append({"^": "**", "{": "(", "}": ")"}.get(s[i], s[i]))
            i += 1
    return "".join(out).replace("\\pi", " pi ").replace("\\cdot", "*").replace("\\times", "*")


_TOKEN = re.compile(r"\d+|sqrt|pi|\*\*|[-+*/()]")


@lru_cache(maxsize=8192)
def fast_value(s: str) -> Any | None:
    """The exact value of a plain number-like answer (integers, fractions, radicals, pi;
    no decimals, commas or symbols), or None when the full parser is needed."""
    try:
        text = _plain(s)
    except ValueError:
        return None
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != re.sub(r"\s+", "", text) or not tokens:
        return None
    expr = []
    for prev, tok in zip([None, *tokens], tokens, strict=False):
        if prev is not None and (prev.isdigit() or prev in ("pi", ")")):
            if tok.isdigit() and prev.isdigit():
                return None  # "2 3": not a number
            if tok.isdigit() or tok in ("pi", "sqrt", "("):
                expr.append("*")  # implicit multiplication
        expr.append(tok)
    try:  # only digits, + - * / ** ( ), sqrt and pi reach sympy; powers are bounded
        value = sympy.sympify("".join(expr), locals={"sqrt": sympy.sqrt, "pi": sympy.pi})
    except (sympy.SympifyError, SyntaxError, TypeError, ZeroDivisionError):
        return None
    return value if isinstance(value, sympy.Expr) and value.is_number and value.is_finite else None


def _pair_parts(s: str) -> list[str] | None:
    """Components of an ordered pair/tuple `(x, y, ...)` split at top-level commas."""
    if not (s.startswith("(") and s.endswith(")")):
        return None
    parts, depth, start = [], 0, 1
    for i, ch in enumerate(s[1:-1], 1):
        depth += (ch in "({") - (ch in ")}")
        if depth < 0:
            return None
        if ch == "," and depth == 0:
            parts.append(s[start:i])
            start = i + 1
    parts.append(s[start:-1])
    return [p.strip() for p in parts] if len(parts) > 1 else None


def fast_equal(g: str, a: str) -> bool | None:
    """Equality decided without the full parser: plain exact numbers, or ordered pairs
    of them; None when either side needs the full parser."""
    gp, ap = _pair_parts(g), _pair_parts(a)
    if gp is not None and ap is not None:
        if len(gp) != len(ap):
            return False
        verdicts = [fast_equal(x, y) for x, y in zip(gp, ap, strict=True)]
        return None if None in verdicts else all(verdicts)
    if "," in g or "," in a:
        return None
    fg, fa = fast_value(g), fast_value(a)
    if fg is None or fa is None:
        return None
    try:
        return _same_number(fg, fa)
    except (TypeError, ValueError, ArithmeticError):
        return None


def _same_number(g: Any, a: Any) -> bool:
    if g == a:
        return True
    diff = complex(sympy.N(g - a, 60))
    return abs(diff) <= 1e-45 * max(1.0, abs(complex(sympy.N(g, 20))))
