"""math_geometry: each family's solver on hand-computed cases; ordered pairs, radicals
and pi answers verify in other forms; degenerate problems are refused."""

from __future__ import annotations

import sympy
from sympy import Rational, pi, sqrt

from symbench.core import Sample, get_task
from symbench.tasks import _mathgen_geometry as fam

TASK = get_task("math_geometry")


def test_right_triangle_3_4_5() -> None:
    def solve(kind: str):
        return fam.tri_solve({"a": 3, "b": 4, "kind": kind})

    assert solve("hyp") == 5
    assert solve("area_from_hyp") == 6
    assert solve("altitude") == Rational(12, 5)
    assert solve("inradius") == 1
    assert solve("median") == sqrt(4**2 + Rational(3, 2) ** 2)  # from the vertex opposite leg 3


def test_polygon_area_perimeter_and_degenerate() -> None:
    square = [[0, 0], [2, 0], [2, 2], [0, 2]]
    assert fam.poly_solve({"points": square, "kind": "area"}) == 4
    assert fam.poly_solve({"points": square, "kind": "perimeter"}) == 8
    tri = [[0, 0], [4, 0], [0, 3]]
    assert fam.poly_solve({"points": tri, "kind": "perimeter"}) == 12
    collinear = [[0, 0], [1, 1], [2, 2], [0, 3]]
    assert fam.poly_solve({"points": collinear, "kind": "area"}) is None


def test_circle_values() -> None:
    def solve(kind: str, theta: int = 90, n: int = 4):
        return sympy.simplify(fam.circle_solve({"r": 2, "theta": theta, "n": n, "kind": kind}))

    assert solve("arc") == pi
    assert solve("sector") == pi
    assert solve("chord") == 2 * sqrt(2)
    assert solve("segment") == pi - 2
    assert solve("outside") == 4 * pi - 8  # inscribed square has diagonal 4, area 8
    assert solve("chord", theta=60) == 2


def test_angles_and_lines() -> None:
    assert fam.angle_solve({"n": 6, "kind": "regular"}) == 120
    assert fam.angle_solve({"n": 4, "kind": "missing", "given": [90, 90, 100]}) == 80
    assert (
        fam.angle_solve({"n": 4, "kind": "missing", "given": [170, 170, 100]}) is None
    )  # would be -80
    assert fam.angle_solve({"n": 5, "kind": "triangle", "k": 2, "d": 20}) == 60  # A = 40
    assert fam.angle_solve({"n": 5, "kind": "arith", "d": 10}) == 88  # 88+98+...+128 = 540
    base = {"P": [0, 0], "Q": [3, 4], "l1": [1, 1, -3], "l2": [1, -1, -1]}
    assert fam.line_solve({**base, "kind": "distance"}) == 5
    assert fam.line_solve({**base, "kind": "intersect"}) == (2, 1)
    assert fam.line_solve({**base, "kind": "pointline"}) == 3 / sqrt(2)
    # x + y = 3 and x - y = 1 meet the x-axis at 3 and 1; apex (2, 1): area 1
    assert fam.line_solve({**base, "kind": "triangle"}) == 1
    parallel = {**base, "l2": [2, 2, 5], "kind": "intersect"}
    assert fam.line_solve(parallel) is None


def test_solids() -> None:
    p = {"r": 3, "h": 4, "s": 5}
    assert fam.solid_solve({**p, "kind": "cylinder"}) == 36 * pi
    assert fam.solid_solve({**p, "kind": "cone"}) == 12 * pi  # height 4 from slant 5
    assert fam.solid_solve({**p, "kind": "sphere"}) == 36 * pi
    assert fam.solid_solve({**p, "kind": "capsule"}) == 24 * pi + 36 * pi
    assert fam.solid_solve({**p, "kind": "hollow"}) == 24 * pi


def _sample(answer: str) -> Sample:
    return Sample(TASK.id, "q", {"family": "lines", "params": {}, "answer": answer}, "")


def test_answer_forms() -> None:
    pair = _sample("(\\frac{3}{2}, -4)")
    for form in ("(3/2, -4)", "(1.5, -4)", "\\left( \\frac{3}{2}, -4 \\right)", "(\\dfrac32,-4)"):
        assert TASK.verify(pair, f"<<<{form}>>>").correct, form
    for form in ("(-4, 3/2)", "(3/2, 4)", "3/2"):
        assert not TASK.verify(pair, f"<<<{form}>>>").correct, form
    rad = _sample("\\frac{13 \\sqrt{2}}{2}")
    for form in ("13/sqrt(2)", "\\frac{13}{\\sqrt{2}}", "6.5\\sqrt{2}", "9.192388155425117"):
        assert TASK.verify(rad, f"<<<{form}>>>").correct, form
    assert not TASK.verify(rad, "<<<9.19>>>").correct
    circ = _sample("- \\frac{25}{4} + \\frac{25 \\pi}{12}")
    for form in ("25\\pi/12 - 25/4", "\\frac{25(\\pi - 3)}{12}", "25*(pi-3)/12"):
        assert TASK.verify(circ, f"<<<{form}>>>").correct, form
    assert not TASK.verify(circ, "<<<25*(pi-3)/13>>>").correct


def test_solver_recomputes_from_parameters() -> None:
    s = TASK.generate(8, 4)
    tampered = Sample(s.task, s.question, {**s.data, "answer": "0"}, "")
    assert TASK.solve(tampered) == s.answer


def test_imported_sample_has_no_solver() -> None:
    s = Sample(TASK.id, "q", {"answer": "5"}, "<<<5>>>", origin="MATH/train/geometry/1.json")
    try:
        TASK.solve(s)
    except ValueError as exc:
        assert "imported" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("solve must refuse imported MATH problems")
