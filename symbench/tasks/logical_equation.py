"""logical_equation: give every letter a different number from a list so that a system of
sums, differences, multiples and comparisons holds.

Complexity -> knobs: letters grow from 5 (c=1) to 15 (c=10) and the largest number in
the list from 30 to 120. The generator ties all letters together with a random tree of
letters-1 equations (sum, difference, multiple), then adds random constraints (also
comparisons) until the solver proves the assignment unique. The verifier accepts any
assignment that satisfies every constraint and uses each listed number once.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

from symbench.answers import extract_answer
from symbench.core import Sample, Task, ilerp, origin_of, read_json, register, sample_dirs
from symbench.tasks._numbers import exact, integer, tokens

FACTORS = [Fraction(k, 10) for k in range(11, 50)]  # multiples 1.1 .. 4.9
_KINDS = (("sum", 0.35), ("diff", 0.3), ("mul", 0.25), ("gt", 0.1))
_LINE = re.compile(
    r"^\s*(?:(?P<sa>[A-Z])\s*\+\s*(?P<sb>[A-Z])\s*=\s*(?P<sv>-?\d+)"
    r"|(?P<da>[A-Z])\s*-\s*(?P<db>[A-Z])\s*=\s*(?P<dv>-?\d+)"
    r"|(?P<ma>[A-Z])\s*=\s*(?P<mf>\d+(?:\.\d+)?)\s*\*?\s*(?P<mb>[A-Z])"
    r"|(?P<ga>[A-Z])\s*>\s*(?P<gb>[A-Z])|(?P<la>[A-Z])\s*<\s*(?P<lb>[A-Z]))\s*$"
)
_HEAD = re.compile(
    r"There are (\d+) letters ([A-Z](?:, [A-Z])*), each representing one of the numbers "
    r"(-?\d+(?:, -?\d+)*)\."
)


def render_constraint(c: list) -> str:
    kind, a, b = c[0], c[1], c[2]
    if kind == "sum":
        return f"{a} + {b} = {c[3]}"
    if kind == "diff":
        return f"{a} - {b} = {c[3]}"
    if kind == "mul":
        return f"{a} = {c[3]}{b}"
    return f"{a} > {b}"


def parse_constraint(line: str) -> list:
    m = _LINE.match(line)
    if not m:
        raise ValueError(f"unknown constraint {line!r}")
    g = m.groupdict()
    if g["sa"]:
        return ["sum", g["sa"], g["sb"], int(g["sv"])]
    if g["da"]:
        return ["diff", g["da"], g["db"], int(g["dv"])]
    if g["ma"]:
        return ["mul", g["ma"], g["mb"], g["mf"]]
    if g["ga"]:
        return ["gt", g["ga"], g["gb"]]
    return ["gt", g["lb"], g["la"]]


def holds(c: list, x: int, y: int) -> bool:
    """Whether constraint c holds with its first letter = x and second letter = y."""
    kind = c[0]
    if kind == "sum":
        return x + y == c[3]
    if kind == "diff":
        return x - y == c[3]
    if kind == "mul":
        return x == exact(c[3]) * y
    return x > y


def solutions(letters: list[str], values: list[int], cons: list[list], limit: int = 2):
    """Up to `limit` assignments (dicts) satisfying every constraint; each value used as
    often as it is listed. Backtracking on the letter with the fewest candidates."""
    stock = Counter(values)
    distinct = sorted(stock)
    touching: dict[str, list[tuple[list, bool]]] = {x: [] for x in letters}
    for c in cons:
        touching[c[1]].append((c, True))
        touching[c[2]].append((c, False))
    assign: dict[str, int] = {}
    found: list[dict[str, int]] = []

    def candidates(x: str) -> list[int]:
        out = []
        for v in distinct:
            if not stock[v]:
                continue
            for c, first in touching[x]:
                other = c[2] if first else c[1]
                if other == x:
                    ok = holds(c, v, v)
                elif other in assign:
                    w = assign[other]
                    ok = holds(c, v, w) if first else holds(c, w, v)
                else:
                    continue
                if not ok:
                    break
            else:
                out.append(v)
        return out

    def search() -> bool:
        if len(assign) == len(letters):
            found.append(dict(assign))
            return len(found) >= limit
        best, best_c = None, None
        for x in letters:
            if x not in assign:
                cs = candidates(x)
                if best_c is None or len(cs) < len(best_c):
                    best, best_c = x, cs
                    if len(cs) <= 1:
                        break
        for v in best_c:
            assign[best] = v
            stock[v] -= 1
            if search():
                return True
            stock[v] += 1
            del assign[best]
        return False

    search()
    return found


@register
class LogicalEquation(Task):
    id = "logical_equation"
    split = "seen"
    family = "logic_game"
    description = "assign distinct listed numbers to letters so that equations/inequalities hold"
    answer_format = (
        "Return the values of the letters in alphabetical order as a list inside <<< >>>, "
        "e.g. <<<[4, 9, 1]>>> means A = 4, B = 9 and C = 1."
    )
    original_paths = ("logical_equation",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {"letters": ilerp(complexity, 5, 15), "max_value": ilerp(complexity, 30, 120)}

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        n, top = knobs["letters"], knobs["max_value"]
        letters = [chr(65 + i) for i in range(n)]
        while True:
            values: list[int] = []
            while len(values) < n:
                if values and rng.random() < 0.4:
                    f = rng.choice(FACTORS)
                    v = f * rng.choice(values)
                    if v.denominator != 1 or v > top:
                        continue
                    v = int(v)
                else:
                    v = rng.randint(1, top)
                if v not in values:
                    values.append(v)
            values.sort()
            hidden = dict(zip(letters, rng.sample(values, n), strict=True))
            order = rng.sample(letters, n)
            cons: list[list] = []
            for i in range(1, n):  # a random tree of equations ties every letter together
                while True:
                    pair = (order[i], rng.choice(order[:i]))
                    c = self._random_constraint(pair, hidden, rng, equation=True)
                    if c is not None:
                        cons.append(c)
                        break
            while len(cons) < 2 * n:
                if len(solutions(letters, values, cons)) == 1:
                    rng.shuffle(cons)
                    data = {"letters": letters, "values": values, "constraints": cons}
                    return self._question(data), data
                c = self._random_constraint(rng.sample(letters, 2), hidden, rng)
                if c is not None and c not in cons:
                    cons.append(c)

    def _random_constraint(self, pair, hidden, rng, equation=False) -> list | None:
        kinds = _KINDS[:3] if equation else _KINDS
        kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        a, b = pair
        x, y = hidden[a], hidden[b]
        if kind == "sum":
            return ["sum", *sorted((a, b)), x + y]
        if kind == "diff":
            return ["diff", a, b, x - y]
        if kind == "gt":
            return ["gt", a, b] if x > y else ["gt", b, a]
        if x < y:
            a, b, x, y = b, a, y, x
        f = Fraction(x, y)
        return ["mul", a, b, f"{float(f):.1f}"] if f in FACTORS else None

    def _question(self, data: dict[str, Any]) -> str:
        letters, values = data["letters"], data["values"]
        lines = "\n".join(
            f"{i}. {render_constraint(c)}" for i, c in enumerate(data["constraints"], 1)
        )
        return (
            f"Each of the {len(letters)} letters {', '.join(letters)} stands for one of the "
            f"numbers {', '.join(map(str, values))}; every number is used by exactly one "
            "letter. Find values for the letters so that all of these conditions hold:\n"
            f"{lines}\n"
            "Here X + Y = n and X - Y = n are ordinary sums and differences, X = 2.5Y means "
            "X is 2.5 times Y, and X > Y means X is larger than Y.\n"
            f"{self.answer_format}"
        )

    def solve(self, sample: Sample) -> str:
        d = sample.data
        found = solutions(d["letters"], d["values"], d["constraints"], limit=1)
        if not found:
            raise ValueError("no assignment satisfies the constraints")
        return "<<<[" + ", ".join(str(found[0][x]) for x in d["letters"]) + "]>>>"

    def _parse(self, sample: Sample, answer: str) -> dict[str, int]:
        letters = sample.data["letters"]
        pairs = re.findall(r"\b([A-Z])\s*[:=]\s*([-+]?[\d./]+)", answer)
        if pairs:
            got = {x: integer(exact(v), x) for x, v in pairs}
            if sorted(got) != letters:
                raise ValueError(f"expected values for {', '.join(letters)}")
            return got
        vals = [integer(exact(t)) for t in tokens(answer)]
        if len(vals) != len(letters):
            raise ValueError(f"expected {len(letters)} values, got {len(vals)}")
        return dict(zip(letters, vals, strict=True))

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        got = self._parse(sample, answer)
        want = Counter(sample.data["values"])
        if Counter(got.values()) != want:
            return 0.0, "the values are not the listed numbers, each used once"
        for c in sample.data["constraints"]:
            if not holds(c, got[c[1]], got[c[2]]):
                return 0.0, f"constraint {render_constraint(c)} fails"
        return 1.0, "all constraints hold"

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        letters = sample.data["letters"]
        got = self._parse(sample, extract_answer(answer_text).value or "")
        pairs = [(a, b) for a in letters for b in letters if a < b and got[a] != got[b]]
        rng.shuffle(pairs)
        for a, b in pairs:
            bad = dict(got, **{a: got[b], b: got[a]})
            if any(not holds(c, bad[c[1]], bad[c[2]]) for c in sample.data["constraints"]):
                break
        return "<<<[" + ", ".join(str(bad[x]) for x in letters) + "]>>>"

    def size(self, sample: Sample) -> float:
        return len(sample.data["letters"]) + len(sample.data["constraints"])

    def import_original(self, root: Path) -> Iterator[Sample]:
        for d in sample_dirs(root / "logical_equation"):
            question = (d / "question.txt").read_text(encoding="utf-8")
            head = _HEAD.search(question)
            if not head:
                raise ValueError(f"{d.name}: cannot read the letters and numbers")
            letters = head.group(2).split(", ")
            values = sorted(int(v) for v in head.group(3).split(", "))
            if int(head.group(1)) != len(letters) or len(values) != len(letters):
                raise ValueError(f"{d.name}: letter and number counts differ")
            lines = re.findall(r"^\d+\.\s*(.+?)\s*$", question, re.MULTILINE)
            data = {
                "letters": letters,
                "values": values,
                "constraints": [parse_constraint(x) for x in lines],
            }
            ref = read_json(d / "solution.json")
            yield Sample(
                self.id,
                question,
                data,
                f"<<<{list(ref)}>>>",
                "test",
                None,
                None,
                origin_of(root, d),
            )
