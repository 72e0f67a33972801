"""path_plan: waypoints for a robot in a walled square among coloured boxes.

Rules (one rule set for question, solver and verifier, all in exact arithmetic): the
robot drives in straight segments between consecutive waypoints, must stay strictly
inside the walls (0 < x < size, 0 < y < size), must start and end exactly at the given
points, must enter the required boxes in the given order (there are points of the path,
in travel order, inside each of them), and must never touch a forbidden box. Boxes are
closed rectangles: touching the boundary counts as entering. Other boxes are free.

Complexity -> knobs: the area grows from 8 to 11 units, boxes from 3 to 8, the
instruction from 1 required + 1 forbidden box to 4 required + 3 forbidden boxes.
Boxes have integer corners and keep at least 1 unit apart; start and goal lie on the
half-unit lattice outside every box. The solver searches the half-unit lattice (8-way
moves, one layer per required box entered), then straightens the path greedily.
"""

from __future__ import annotations

import random
import re
from collections import deque
from fractions import Fraction
from typing import Any

from symbench.answers import parse_literal
from symbench.core import Sample, Task, ilerp, register

COLOURS = ("red", "green", "blue", "yellow", "purple", "orange", "pink", "brown", "grey", "cyan")
Num = int | Fraction
Point = tuple[Num, Num]


def clip(p: Point, q: Point, box: list[Num]) -> tuple[Fraction, Fraction] | None:
    """Parameter interval [t0, t1] of segment p->q inside the closed box, or None."""
    (px, py), (qx, qy) = p, q
    x0, x1, y0, y1 = box
    dx, dy = qx - px, qy - py
    t0, t1 = Fraction(0), Fraction(1)
    for pk, qk in ((-dx, px - x0), (dx, x1 - px), (-dy, py - y0), (dy, y1 - py)):
        if pk == 0:
            if qk < 0:
                return None
        else:
            r = Fraction(qk) / pk
            if pk < 0:
                t0 = max(t0, r)
            else:
                t1 = min(t1, r)
            if t0 > t1:
                return None
    return t0, t1


def route_problem(d: dict[str, Any], path: list[Point]) -> str | None:
    """None when the path obeys every rule, else what is wrong."""
    size, boxes = d["size"], d["boxes"]
    if len(path) < 2:
        return "a path needs at least the start and the goal"
    if path[0] != tuple(d["start"]) or path[-1] != tuple(d["goal"]):
        return f"the path must run from {tuple(d['start'])} to {tuple(d['goal'])}"
    for i, p in enumerate(path):
        if not (0 < p[0] < size and 0 < p[1] < size):
            return f"waypoint {i + 1} {_show(p)} is not strictly inside the walls"
    for i in range(len(path) - 1):
        for colour in d["avoid"]:
            if clip(path[i], path[i + 1], boxes[colour]) is not None:
                return (
                    f"segment {i + 1} ({_show(path[i])} to {_show(path[i + 1])}) touches {colour}"
                )
    seg, t = 0, Fraction(0)  # earliest moment of the path in each required box, in order
    for colour in d["visit"]:
        for j in range(seg, len(path) - 1):
            iv = clip(path[j], path[j + 1], boxes[colour])
            lo = t if j == seg else Fraction(0)
            if iv is not None and iv[1] >= lo:
                seg, t = j, max(iv[0], lo)
                break
        else:
            return f"the path does not enter the {colour} box at its turn"
    return None


def _show(p: Point) -> str:
    return f"({_num(p[0])}, {_num(p[1])})"


def _num(x: Num) -> str:
    x = Fraction(x)
    return str(x.numerator) if x.denominator == 1 else str(float(x))


def find_path(d: dict[str, Any]) -> list[Point] | None:
    """Breadth-first search over (half-unit lattice point, required boxes entered)."""
    n = 2 * d["size"]  # lattice coordinates are doubled: u = 2x
    boxes = {c: [2 * v for v in b] for c, b in d["boxes"].items()}
    avoid = [boxes[c] for c in d["avoid"]]
    visit = [boxes[c] for c in d["visit"]]
    blocked = {(u, v) for r in avoid for u in range(r[0], r[1] + 1) for v in range(r[2], r[3] + 1)}
    which = {  # lattice point -> index of the required box it lies in
        (u, v): i
        for i, r in enumerate(visit)
        for u in range(r[0], r[1] + 1)
        for v in range(r[2], r[3] + 1)
    }
    start, goal = _doubled(d["start"]), _doubled(d["goal"])
    first = (start, 1 if which.get(start) == 0 else 0)
    prev: dict[Any, Any] = {first: None}
    queue, end = deque([first]), (goal, len(visit))
    steps = [(a, b) for a in (-1, 0, 1) for b in (-1, 0, 1) if a or b]
    nbrs: dict[tuple[int, int], list[tuple[int, int]]] = {}
    while queue and end not in prev:
        node = queue.popleft()
        p, k = node
        if p not in nbrs:
            nbrs[p] = [
                q
                for q in ((p[0] + a, p[1] + b) for a, b in steps)
                if 0 < q[0] < n and 0 < q[1] < n and q not in blocked
            ]
        for q in nbrs[p]:
            nxt = (q, k + 1 if which.get(q) == k else k)
            if nxt not in prev:
                prev[nxt] = node
                queue.append(nxt)
    if end not in prev:
        return None
    chain, node = [], end
    while node is not None:
        chain.append(node)
        node = prev[node]
    chain.reverse()
    # keep the start, the goal and every point where a required box is entered
    keep = [0] + [i for i in range(1, len(chain)) if chain[i][1] > chain[i - 1][1]]
    keep.append(len(chain) - 1)
    pts = [c[0] for c in chain]
    out = [pts[0]]
    for a, b in zip(keep, keep[1:], strict=False):
        i = a
        while i < b:
            j = i + 1
            while j < b and all(clip(pts[i], pts[j + 1], r) is None for r in avoid):
                j += 1
            if pts[j] != out[-1]:
                out.append(pts[j])
            i = j
    return [(Fraction(x, 2), Fraction(y, 2)) for x, y in out]


_NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def parse_path(answer: str) -> list[Point]:
    """A list of (x, y) pairs; numbers are read exactly from the text."""
    value = parse_literal(answer)
    if not isinstance(value, list | tuple) or not all(
        isinstance(p, list | tuple) and len(p) == 2 for p in value
    ):
        raise ValueError("expected a list of [x, y] waypoints")
    nums = [Fraction(x) for x in _NUM.findall(answer)]
    if len(nums) != 2 * len(value):
        raise ValueError("each waypoint must be two plain numbers")
    return [(nums[2 * i], nums[2 * i + 1]) for i in range(len(value))]


def render_path(path: list[Point]) -> str:
    return "[" + ", ".join(f"[{_num(x)}, {_num(y)}]" for x, y in path) + "]"


@register
class PathPlan(Task):
    id = "path_plan"
    split = "seen"
    family = "planning"
    description = "plan waypoints through and around coloured boxes in a walled area"
    answer_format = (
        "Give the waypoints from the start to the goal as a list of [x, y] pairs inside "
        "<<< >>>, e.g. <<<[[0.5, 0.5], [2, 3.5], [7.5, 7.5]]>>>."
    )
    original_paths = ()  # the original release has no data file for this task

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {
            "size": ilerp(complexity, 8, 11),
            "boxes": ilerp(complexity, 3, 8),
            "visit": ilerp(complexity, 1, 4),
            "avoid": ilerp(complexity, 1, 3),
        }

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        size = knobs["size"]
        while True:
            boxes: list[list[int]] = []
            for _ in range(200):
                if len(boxes) == knobs["boxes"]:
                    break
                w, h = rng.randint(1, 3), rng.randint(1, 3)
                x, y = rng.randint(1, size - 1 - w), rng.randint(1, size - 1 - h)
                b = [x, x + w, y, y + h]
                # keep every pair of boxes at least 1 unit apart
                if all(max(b[0] - o[1], o[0] - b[1], b[2] - o[3], o[2] - b[3]) >= 1 for o in boxes):
                    boxes.append(b)
            if len(boxes) < knobs["boxes"]:
                continue
            colours = rng.sample(COLOURS, len(boxes))
            named = dict(zip(colours, boxes, strict=True))
            order = rng.sample(colours, knobs["visit"] + knobs["avoid"])
            taken = {
                (u, v)
                for b in boxes
                for u in range(2 * b[0], 2 * b[1] + 1)
                for v in range(2 * b[2], 2 * b[3] + 1)
            }
            lattice = [(u, v) for u in range(1, 2 * size) for v in range(1, 2 * size)]
            free = [p for p in lattice if p not in taken]
            (su, sv), (gu, gv) = rng.sample(free, 2)
            data = {
                "size": size,
                "boxes": named,
                "start": [_half(su), _half(sv)],
                "goal": [_half(gu), _half(gv)],
                "visit": order[: knobs["visit"]],
                "avoid": order[knobs["visit"] :],
            }
            if find_path(data) is not None:
                return self._question(data), data

    def _question(self, d: dict[str, Any]) -> str:
        s = d["size"]
        listing = "\n".join(
            f"- {c} box: x from {b[0]} to {b[1]}, y from {b[2]} to {b[3]}"
            for c, b in d["boxes"].items()
        )
        visit = ", then the ".join(d["visit"])
        avoid = " or the ".join(d["avoid"])
        return (
            f"A robot drives in a square area enclosed by walls on the lines x = 0, x = {s}, "
            f"y = 0 and y = {s}. Coloured boxes (closed rectangles, boundary included) "
            f"stand in the area:\n{listing}\n\n"
            f"The robot starts at {_show(_pt(d['start']))} and must stop at "
            f"{_show(_pt(d['goal']))}. Instruction: enter the {visit} box, in this order, "
            f"and never touch the {avoid} box.\n"
            "The path is made of straight segments joining consecutive waypoints; the first "
            "waypoint must be the start and the last the goal, exactly. Every point of the "
            f"path must lie strictly inside the walls (0 < x < {s} and 0 < y < {s}). "
            "A box is entered when some point of the path lies in it; touching its "
            "boundary counts. The required boxes must be entered in the given order (passing "
            "a required box out of turn is allowed, and so is crossing a box the instruction "
            "does not name); no point of the path may lie in a forbidden box, not even on "
            "its boundary. Coordinates may be integers or decimals and are taken exactly.\n"
            f"{self.answer_format}"
        )

    def solve(self, sample: Sample) -> str:
        path = find_path(sample.data)
        if path is None:
            raise ValueError("no path exists")
        return f"<<<{render_path(path)}>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        path = parse_path(answer)
        problem = route_problem(_exact(sample.data), path)
        return (0.0, problem) if problem else (1.0, f"valid path with {len(path)} waypoints")

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        path = parse_path(answer_text.strip().removeprefix("<<<").removesuffix(">>>"))
        b = sample.data["boxes"][rng.choice(sample.data["avoid"])]
        centre = (Fraction(b[0] + b[1], 2), Fraction(b[2] + b[3], 2))
        path.insert(rng.randint(1, len(path) - 1), centre)  # a detour through a forbidden box
        return f"<<<{render_path(path)}>>>"

    def size(self, sample: Sample) -> float:
        d = sample.data
        return len(d["boxes"]) + len(d["visit"]) + len(d["avoid"]) + d["size"]


def _half(u: int) -> int | float:
    """u/2 as a JSON number: 7 -> 3.5, 8 -> 4."""
    return u // 2 if u % 2 == 0 else u / 2


def _doubled(p: list[Any]) -> tuple[int, int]:
    u, v = 2 * Fraction(str(p[0])), 2 * Fraction(str(p[1]))
    if u.denominator != 1 or v.denominator != 1:
        raise ValueError("the solver needs start and goal on the half-unit lattice")
    return int(u), int(v)


def _pt(p: list[Any]) -> Point:
    return (Fraction(str(p[0])), Fraction(str(p[1])))


def _exact(d: dict[str, Any]) -> dict[str, Any]:
    out = dict(d)
    out["start"], out["goal"] = _pt(d["start"]), _pt(d["goal"])
    return out
