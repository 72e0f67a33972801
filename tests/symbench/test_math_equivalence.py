"""The MATH verifier judges mathematical equivalence, not spelling.

Every original boxed answer is rewritten into another equivalent form with sympy (a
25-digit decimal when it is a number, sympy's simplified LaTeX otherwise) and must still
verify against the original; at least 98% must. Hand-written pairs pin down accepted
and rejected spellings, and perturbed answers must never verify.
"""

from __future__ import annotations

import random
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sympy

from symbench.core import get_task
from symbench.tasks._mathequiv import equivalent, normalize, to_sympy
from tests.conftest import reference_root

TASK_IDS = ("math_geometry", "math_counting_probability")


def _originals():
    root = reference_root()
    out = []
    for tid in TASK_IDS:
        task = get_task(tid)
        if any((root / p).exists() for p in task.original_paths):
            out.extend((task, s) for s in task.import_original(root))
    if not out:
        pytest.fail("no MATH reference data found")
    return out


def rewrite(gold: str) -> str | None:
    """The same answer written differently, via sympy (None when sympy cannot read it)."""
    text = normalize(gold)
    if re.fullmatch(r"[A-Za-z]+", text):
        return f"\\text{{{text.lower()}}}"
    e = to_sympy(gold)
    if e is None:
        return None
    if isinstance(e, sympy.Expr):
        e = e.doit()
        if e.is_number:
            return str(sympy.N(e, 25))
    return sympy.latex(sympy.simplify(e))


def test_original_answers_verify_in_another_form() -> None:
    samples = _originals()
    failures = []
    for task, s in samples:
        gold = s.data["answer"]
        other = rewrite(gold)
        if other is None or not task.verify(s, f"<<<{other}>>>").correct:
            failures.append((s.origin, gold, other))
    rate = 1 - len(failures) / len(samples)
    print(f"\n{len(samples) - len(failures)}/{len(samples)} verify rewritten ({rate:.2%})")
    for f in failures:
        print("  not equivalent:", f)
    assert rate >= 0.98, failures


def test_perturbed_original_answers_are_rejected() -> None:
    samples = _originals()[::3]
    accepted = []
    for task, s in samples:
        bad = task.perturb(s, s.answer, random.Random(0))
        if task.verify(s, bad).correct:
            accepted.append((s.origin, s.answer, bad))
    assert not accepted, accepted[:5]


ACCEPT = [
    ("\\frac{1}{2}", "0.5"),
    ("\\frac{1}{2}", "1/2"),
    ("\\dfrac{1}{2}", "\\frac12"),
    ("2\\sqrt{2}", "\\sqrt{8}"),
    ("2\\sqrt{2}", "sqrt(8)"),
    ("2\\sqrt{2}", "2*sqrt(2)"),
    ("2\\sqrt{2}", "2√2"),
    ("14\\pi", "14π"),
    ("14\\pi", "14*pi"),
    ("4\\pi", "12.566370614359172"),
    ("\\frac{7}{24}", "0.2916666666666667"),
    ("\\frac{\\sqrt{3}}{4\\sqrt{2}-3}", "\\frac{\\sqrt{3}(4\\sqrt{2}+3)}{23}"),
    ("\\dfrac{1+\\sqrt{5}}{2}", "(1+sqrt(5))/2"),
    ("\\sqrt 2+\\sqrt 5", "\\sqrt{5}+\\sqrt{2}"),
    ("50^\\circ", "50 degrees"),
    ("50^{\\circ}", "50°"),
    ("3\\text{ cm}", "3"),
    ("240\\text{ ways.}", "240"),
    ("(18, -18)", "(18,-18)"),
    ("(-2,5)", "\\left( -2, 5\\right)"),
    ("31,250", "31250"),
    ("48,\\!048", "48048"),
    ("\\frac{1}{29,\\!322,\\!216}", "1/29322216"),
    ("10\\%", "10%"),
    ("10\\%", "0.1"),
    ("\\$675", "675"),
    ("\\text{CBAD}", "CBAD"),
    ("C", "(C)"),
    ("12,9", "9, 12"),
    ("k=3", "3"),
    ("0.56 = 56\\%", "0.56"),
    ("a+b", "b+a"),
    ("1000000", "10^6"),
    ("5", "\\boxed{5}"),
]
REJECT = [
    ("\\frac{1}{2}", "\\frac{1}{3}"),
    ("1000", "1001"),
    ("4\\pi", "12.57"),  # a rounded decimal is not the exact answer
    ("\\frac{7}{24}", "0.29"),
    ("(18, -18)", "(-18, 18)"),
    ("(-2,5)", "(5,-2)"),
    ("\\text{CBAD}", "CBDA"),
    ("C", "D"),
    ("12,9", "12"),
    ("-\\frac{\\sqrt{3}}{2}", "\\frac{\\sqrt{3}}{2}"),
    ("n", "n+1"),
    ("5", ""),
    ("5", "five-ish"),
]


@pytest.mark.parametrize(("gold", "given"), ACCEPT)
def test_equivalent_spellings_accepted(gold: str, given: str) -> None:
    ok, detail = equivalent(gold, given)
    assert ok, detail


@pytest.mark.parametrize(("gold", "given"), REJECT)
def test_different_answers_rejected(gold: str, given: str) -> None:
    ok, detail = equivalent(gold, given)
    assert not ok and detail


def test_huge_answers_are_not_evaluated() -> None:
    t = time.perf_counter()
    for given in ("10^{10^{10}}", "2^{100000000}", "99999999!", "9**(9**9)", "9^9^9", "((3!)!)!"):
        ok, detail = equivalent("5", given)
        assert not ok and "too large" in detail
    assert time.perf_counter() - t < 2


def test_works_in_threads() -> None:
    pairs = ACCEPT[:12]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda p: equivalent(*p)[0], pairs * 3))
    assert all(results)
