"""Problem families of math_geometry; every answer is computed exactly with sympy.

Knobs (see `_mathtask.math_knobs`): `steps` picks longer chains (a leg before an area,
a sector minus a triangle, a point-line distance, composite solids), `count` adds
vertices / sides, `scale` makes lengths and coordinates bigger.
"""

from __future__ import annotations

import math
import random
import re
from fractions import Fraction
from typing import Any

import sympy
from sympy import Rational, pi, sqrt

from symbench.tasks._mathtask import Family, pick_kind


# --- right triangles ----------------------------------------------------------------------
def tri_build(kn: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
    a, b = rng.randint(2, kn["scale"]), rng.randint(2, kn["scale"])
    kind = pick_kind(rng, ["hyp", "area_from_hyp", "altitude", "inradius", "median"], kn["steps"])
    c2 = a * a + b * b
    given = f"legs of lengths {a} and {b}"
    if kind in ("area_from_hyp", "inradius"):
        given = f"one leg of length {a} and a hypotenuse of length {sympy.latex(sqrt(c2))}"
    ask = {
        "hyp": "the length of the hypotenuse",
        "area_from_hyp": "the area of the triangle",
        "altitude": "the length of the altitude drawn to the hypotenuse",
        "inradius": "the radius of the circle inscribed in the triangle",
        "median": f"the length of the median drawn from the vertex opposite the leg of length {a}",
    }[kind]
    text = f"A right triangle has {given}. What is {ask}? Give it in simplest radical form."
    return text, {"a": a, "b": b, "kind": kind}


def tri_solve(p: dict[str, Any]) -> Any:
    a, b = sympy.Integer(p["a"]), sympy.Integer(p["b"])
    c = sqrt(a**2 + b**2)
    return {
        "hyp": c,
        "area_from_hyp": a * b / 2,
        "altitude": sympy.radsimp(a * b / c),
        "inradius": sympy.radsimp((a + b - c) / 2),
        "median": sqrt(b**2 + (a / 2) ** 2),
    }[p["kind"]]


# --- polygons on the coordinate plane -----------------------------------------------------
def poly_build(kn: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
    n, r = rng.randint(3, kn["count"] + 1), max(3, kn["scale"] // 3)
    pts = sorted({(rng.randint(-r, r), rng.randint(-r, r)) for _ in range(n)})
    cx = Fraction(sum(x for x, _ in pts), len(pts))
    cy = Fraction(sum(y for _, y in pts), len(pts))
    order = sorted(pts, key=lambda q: (math.atan2(q[1] - cy, q[0] - cx), q))
    kind = rng.choice(["area", "perimeter"] if kn["steps"] >= 3 else ["area"])
    if kind == "perimeter":
        order = order[:4]  # at most four radicals to add
    names = "ABCDEFGH"[: len(order)]
    verts = ", ".join(f"{nm}({x}, {y})" for nm, (x, y) in zip(names, order, strict=True))
    what = "area" if kind == "area" else "perimeter (in simplest radical form)"
    shape = "Triangle" if len(order) == 3 else "Polygon"
    text = f"{shape} {names} has vertices {verts}, in this order. What is its {what}?"
    return text, {"points": [list(q) for q in order], "kind": kind}


def poly_solve(p: dict[str, Any]) -> Any:
    """Shoelace area / sum of side lengths of a star-shaped polygon listed by angle."""
    pts = [tuple(q) for q in p["points"]]
    n = len(pts)
    if n < 3:
        return None
    cx, cy = Fraction(sum(x for x, _ in pts), n), Fraction(sum(y for _, y in pts), n)
    for i in range(n):
        (x0, y0), (x1, y1), (x2, y2) = pts[i - 1], pts[i], pts[(i + 1) % n]
        if (x1 - x0) * (y2 - y1) - (y1 - y0) * (x2 - x1) == 0:
            return None  # collinear neighbours: not a proper n-gon
        if (x1 - cx) * (y2 - cy) - (y1 - cy) * (x2 - cx) <= 0:
            return None  # not strictly turning around the centre: may self-intersect
    if p["kind"] == "area":
        twice = sum(pts[i - 1][0] * pts[i][1] - pts[i][0] * pts[i - 1][1] for i in range(n))
        return Rational(abs(twice), 2)
    sides = (
        sqrt((pts[i][0] - pts[i - 1][0]) ** 2 + (pts[i][1] - pts[i - 1][1]) ** 2) for i in range(n)
    )
    return sympy.Add(*sides)


# --- circles ------------------------------------------------------------------------------
def circle_build(kn: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
    r = rng.randint(2, kn["scale"] // 2 + 6)
    theta = rng.choice([30, 45, 60, 90, 120, 135, 150])
    n = rng.choice([3, 4, 6])
    kind = pick_kind(rng, ["arc", "sector", "chord", "segment", "outside"], kn["steps"])
    if kind == "chord":
        theta = rng.choice([30, 60, 90, 120, 150])  # no nested radicals
    shape = {3: "an equilateral triangle", 4: "a square", 6: "a regular hexagon"}[n]
    ask = {
        "arc": f"the length of an arc with central angle {theta} degrees",
        "sector": f"the area of a sector with central angle {theta} degrees",
        "chord": f"the length of a chord subtending a central angle of {theta} degrees",
        "segment": (
            f"the area of the circular segment cut off by a chord subtending a central "
            f"angle of {theta} degrees (the region between the chord and the shorter arc)"
        ),
        "outside": f"the area inside the circle but outside {shape} inscribed in it",
    }[kind]
    text = f"A circle has radius {r}. What is {ask}? Give it exactly, in terms of pi if needed."
    return text, {"r": r, "theta": theta, "n": n, "kind": kind}


def circle_solve(p: dict[str, Any]) -> Any:
    r, t, n = sympy.Integer(p["r"]), Rational(p["theta"], 180) * pi, p["n"]
    tri = r**2 * sympy.sin(t) / 2
    return {
        "arc": r * t,
        "sector": r**2 * t / 2,
        "chord": 2 * r * sympy.sin(t / 2),
        "segment": r**2 * t / 2 - tri,
        "outside": pi * r**2 - n * r**2 * sympy.sin(2 * pi / n) / 2,
    }[p["kind"]]


# --- angles -------------------------------------------------------------------------------
def angle_build(kn: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
    n = rng.randint(5, 9 + kn["scale"] // 3)
    kind = pick_kind(rng, ["regular", "missing", "triangle", "arith"], kn["steps"])
    p: dict[str, Any] = {"n": n, "kind": kind}
    if kind == "regular":
        text = f"What is the measure, in degrees, of each interior angle of a regular {n}-gon?"
    elif kind == "missing":
        m = rng.randint(4, 4 + kn["count"])
        mean = 180 * (m - 2) // m
        p.update(n=m, given=[rng.randint(mean - 15, min(179, mean + 15)) for _ in range(m - 1)])
        text = (
            f"A convex polygon has {m} sides. {m - 1} of its interior angles measure "
            f"{', '.join(map(str, p['given']))} degrees. What is the measure, in degrees, "
            "of the remaining interior angle?"
        )
    elif kind == "triangle":
        p.update(k=rng.randint(2, 4), d=rng.randint(5, 40))
        text = (
            f"In triangle ABC, angle B is {p['k']} times angle A, and angle C is {p['d']} "
            "degrees more than angle A. What is the measure of angle C, in degrees?"
        )
    else:
        p.update(d=rng.randint(1, 10))
        text = (
            f"The interior angles of a convex polygon with {n} sides form an arithmetic "
            f"sequence with common difference {p['d']} degrees. What is the measure, in "
            "degrees, of the smallest angle?"
        )
    return text, p


def angle_solve(p: dict[str, Any]) -> Any:
    n = p["n"]
    if p["kind"] == "regular":
        return Rational(180 * (n - 2), n)
    if p["kind"] == "missing":
        rest = 180 * (n - 2) - sum(p["given"])
        return sympy.Integer(rest) if 0 < rest < 180 else None
    if p["kind"] == "triangle":  # A + kA + (A + d) = 180
        a = Rational(180 - p["d"], p["k"] + 2)
        return a + p["d"] if a > 0 else None
    # n*a + d*n(n-1)/2 = 180(n-2)
    a = (180 * (n - 2) - Rational(p["d"] * n * (n - 1), 2)) / n
    return a if a > 0 and a + p["d"] * (n - 1) < 180 else None


# --- lines and points ---------------------------------------------------------------------
def line_build(kn: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
    r = kn["scale"] // 2 + 3

    def v() -> int:
        return rng.randint(-r, r)

    kind = pick_kind(rng, ["distance", "pointline", "intersect", "triangle"], kn["steps"])
    p = {"kind": kind, "P": [v(), v()], "Q": [v(), v()], "l1": [v() or 1, v() or 1, v()]}
    p["l2"] = [v() or 2, v() or 3, v()]

    def line(c: list[int]) -> str:
        terms = [f"{c[0]}x", f"{c[1]}y", str(c[2])] if c[2] else [f"{c[0]}x", f"{c[1]}y"]
        text = " + ".join(terms).replace("+ -", "- ")
        return re.sub(r"(?<![\d])1([xy])", r"\1", text) + " = 0"

    text = {
        "distance": f"What is the distance between the points {tuple(p['P'])} and {tuple(p['Q'])}?",
        "pointline": (
            f"What is the distance from the point {tuple(p['P'])} to the line ${line(p['l1'])}$?"
        ),
        "intersect": (
            f"At what point do the lines ${line(p['l1'])}$ and ${line(p['l2'])}$ intersect? "
            "Give your answer as an ordered pair."
        ),
        "triangle": (
            f"What is the area of the triangle bounded by the lines ${line(p['l1'])}$, "
            f"${line(p['l2'])}$ and the x-axis?"
        ),
    }[kind]
    return text + " Express your answer in simplest form.", p


def line_solve(p: dict[str, Any]) -> Any:
    (a1, b1, c1), (a2, b2, c2) = p["l1"], p["l2"]
    if p["kind"] == "distance":
        d = sympy.Point(*p["P"]).distance(sympy.Point(*p["Q"]))
        return d or None
    if p["kind"] == "pointline":
        d = sympy.Abs(a1 * p["P"][0] + b1 * p["P"][1] + c1) / sqrt(a1**2 + b1**2)
        return sympy.radsimp(d) or None
    det = a1 * b2 - a2 * b1  # Cramer's rule for a1 x + b1 y = -c1, a2 x + b2 y = -c2
    if det == 0:
        return None
    px, py = Rational(-c1 * b2 + c2 * b1, det), Rational(-a1 * c2 + a2 * c1, det)
    if p["kind"] == "intersect":
        return (px, py)
    if a1 == 0 or a2 == 0:
        return None
    base = sympy.Abs(Rational(-c1, a1) - Rational(-c2, a2))
    area = base * sympy.Abs(py) / 2
    return area or None


# --- solids -------------------------------------------------------------------------------
def solid_build(kn: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
    r, h = rng.randint(2, kn["scale"] // 3 + 6), rng.randint(2, kn["scale"] // 2 + 6)
    kind = pick_kind(rng, ["cylinder", "cone", "sphere", "capsule", "hollow"], kn["steps"])
    slant = h + rng.randint(1, 5)
    text = {
        "cylinder": f"A right circular cylinder has radius {r} and height {h}. What is its volume?",
        "cone": (
            f"A right circular cone has base radius {r} and slant height {r + slant}. "
            "What is its volume?"
        ),
        "sphere": f"A sphere has surface area ${4 * r * r}\\pi$. What is its volume?",
        "capsule": (
            f"A solid consists of a right circular cylinder of radius {r} and height {h} "
            "with a hemisphere of the same radius attached to each end. What is its total "
            "surface area?"
        ),
        "hollow": (
            f"A cone of base radius {r} and height {h} is carved out of a cylinder with the "
            "same base and height (the cone's base is one end of the cylinder). What is the "
            "volume of the remaining solid?"
        ),
    }[kind]
    return f"{text} Express your answer in terms of pi.", {
        "r": r,
        "h": h,
        "s": r + slant,
        "kind": kind,
    }


def solid_solve(p: dict[str, Any]) -> Any:
    r, h, s = (sympy.Integer(p[k]) for k in ("r", "h", "s"))
    return {
        "cylinder": pi * r**2 * h,
        "cone": pi * r**2 * sqrt(s**2 - r**2) / 3,
        "sphere": Rational(4, 3) * pi * r**3,
        "capsule": 2 * pi * r * h + 4 * pi * r**2,
        "hollow": pi * r**2 * h * Rational(2, 3),
    }[p["kind"]]


FAMILIES = (
    Family("right_triangle", tri_build, tri_solve),
    Family("polygon", poly_build, poly_solve),
    Family("circle", circle_build, circle_solve),
    Family("angles", angle_build, angle_solve),
    Family("lines", line_build, line_solve),
    Family("solids", solid_build, solid_solve),
)
