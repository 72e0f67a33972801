"""boxlift: lift every box with a team of lifting robots, step by step, within a budget.

Rules (one rule set for question, solver and verifier): in each step every robot helps
with at most one box; a box is lifted in a step when the robots assigned to it have a
total capacity of at least its weight. Boxes are named by their weight (equal weights are
interchangeable), robots by their 0-based index. The plan must lift every box in at most
`budget` steps. Partial credit: the fraction of boxes (by count) lifted by legal
assignments within the budget; an illegal assignment (unknown box or robot, a robot used
twice in a step, too little capacity, a step past the budget) lifts nothing, is reported
with its step number, and keeps the score below 1.

Complexity -> knobs: boxes grow from 5 to 30, robots from 2 to 7, and weights and
capacities scale with the number of robots (as in the original release: boxes up to
100*(robots-2), robots 30-200). The budget is the solver's step count plus a slack of 2
(c <= 2), 1 (c <= 5) or 0. Imported originals get the original's budget: the step count
of first-fit decreasing with robots taken in index order, which the solver always meets.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.answers import parse_literal
from symbench.core import Sample, Task, ilerp, read_json, register

Plan = list[list[tuple[int, list[int]]]]


def _first_fit_plan(boxes: list[int], lifters: list[int]) -> Plan:
    """Heaviest box first; robots taken in index order until the box is covered."""
    left = sorted(boxes, reverse=True)
    plan: Plan = []
    while left:
        free = list(range(len(lifters)))
        step, keep = [], []
        for w in left:
            if free and sum(lifters[i] for i in free) >= w:
                used, total = [], 0
                while total < w:
                    used.append(free.pop(0))
                    total += lifters[used[-1]]
                step.append((w, sorted(used)))
            else:
                keep.append(w)
        if not step:
            raise ValueError("a box is heavier than all robots together")
        plan.append(step)
        left = keep
    return plan


def _best_fit_plan(boxes: list[int], lifters: list[int], order: str) -> Plan:
    """Each step: boxes in the given order, each taking the cheapest covering team
    (least total capacity, then fewest robots) among the robots still free."""
    n = len(lifters)
    teams = sorted(
        (sum(lifters[i] for i in range(n) if m >> i & 1), bin(m).count("1"), m)
        for m in range(1, 1 << n)
    )
    left = sorted(boxes, reverse=order != "light")
    plan: Plan = []
    while left:
        free = (1 << n) - 1
        step, keep = [], []
        for w in left:
            team = next((m for cap, _, m in teams if cap >= w and m & ~free == 0), None)
            if team is None:
                keep.append(w)
                continue
            free &= ~team
            step.append((w, [i for i in range(n) if team >> i & 1]))
        if not step:
            raise ValueError("a box is heavier than all robots together")
        plan.append(step)
        left = keep
    return plan


def plan_boxlift(boxes: list[int], lifters: list[int]) -> Plan:
    """The shortest of several complete plans (best-fit heavy/light first, first-fit)."""
    candidates = [
        _best_fit_plan(boxes, lifters, "heavy"),
        _best_fit_plan(boxes, lifters, "light"),
        _first_fit_plan(boxes, lifters),
    ]
    return min(candidates, key=len)


def render_plan(plan: Plan) -> str:
    lines = []
    for k, step in enumerate(plan, 1):
        inner = ", ".join(f"({w}, [{', '.join(map(str, team))}])" for w, team in step)
        lines.append(f"Step {k}: [{inner}]")
    return "\n".join(lines)


_STEP = re.compile(r"step\s*(\d+)\s*:", re.IGNORECASE)


def parse_plan(answer: str) -> list[list[Any]]:
    """`Step 1: [(w, [i, j]), ...]` lines; also a bare list of steps."""
    parts = _STEP.split(answer)
    if len(parts) == 1:
        steps = parse_literal(answer)
        if not isinstance(steps, list | tuple):
            raise ValueError("expected 'Step k: [...]' lines")
        return [list(s) for s in steps]
    out = []
    for body in parts[2::2]:
        body = body.strip().rstrip(",;").strip()
        value = parse_literal(body) if body else []
        if isinstance(value, tuple) and len(value) == 2 and not isinstance(value[0], tuple):
            value = [value]  # a single assignment written without the list brackets
        out.append(list(value))
    return out


def _whole(x: Any) -> Any:
    """3.0 -> 3 (harmless float spelling of a whole number); anything else unchanged."""
    return int(x) if isinstance(x, float) and x.is_integer() else x


def simulate(boxes: list[int], lifters: list[int], budget: int, steps: list[list[Any]]):
    """Returns (boxes lifted, list of problems, each naming its step)."""
    left = Counter(boxes)
    lifted, problems = 0, []
    if len(steps) > budget:
        problems.append(f"{len(steps)} steps given but the budget is {budget}")
    for k, step in enumerate(steps, 1):
        used: set[int] = set()
        for item in step:
            if not isinstance(item, list | tuple) or len(item) != 2:
                problems.append(f"step {k}: {item!r} is not (weight, [robots])")
                continue
            w, team = _whole(item[0]), item[1]
            team = [_whole(i) for i in (team if isinstance(team, list | tuple) else [team])]
            if k > budget:
                problems.append(f"step {k}: past the budget of {budget} steps")
                break
            if not isinstance(w, int) or left[w] <= 0:
                problems.append(f"step {k}: no box of weight {w!r} is left to lift")
            elif any(not isinstance(i, int) or not 0 <= i < len(lifters) for i in team):
                problems.append(f"step {k}: unknown robot in {team}")
            elif len(set(team)) != len(team) or used & set(team):
                problems.append(f"step {k}: a robot in {team} is used twice")
            elif sum(lifters[i] for i in team) < w:
                cap = sum(lifters[i] for i in team)
                problems.append(f"step {k}: robots {team} (capacity {cap}) cannot lift {w}")
            else:
                left[w] -= 1
                lifted += 1
                used |= set(team)
    return lifted, problems


@register
class BoxLift(Task):
    id = "boxlift"
    split = "seen"
    family = "planning"
    description = "assign lifting robots to boxes step by step, within a step budget"
    answer_format = (
        "Write one line per step inside <<< >>>, each listing (box weight, [robot indices]) "
        "pairs, e.g. <<<Step 1: [(50, [0, 2]), (30, [1])]\nStep 2: [(40, [0, 1])]>>>."
    )
    original_paths = ("BoxLift_dataset",)
    partial_credit = True

    def knobs(self, complexity: int) -> dict[str, Any]:
        robots = ilerp(complexity, 2, 7)
        s = max(1, robots - 2)
        return {
            "boxes": ilerp(complexity, 5, 30),
            "lifters": robots,
            "weight": [10 * s, 100 * s],
            "capacity": [30 + 10 * s, 40 + 30 * s],
            "slack": 2 if complexity <= 2 else 1 if complexity <= 5 else 0,
        }

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        lo, hi = knobs["capacity"]
        lifters = [rng.randint(lo, hi) for _ in range(knobs["lifters"])]
        wlo, whi = knobs["weight"]
        whi = min(whi, sum(lifters))
        boxes = [rng.randint(wlo, whi) for _ in range(knobs["boxes"])]
        budget = len(plan_boxlift(boxes, lifters)) + knobs["slack"]
        data = {"boxes": boxes, "lifters": lifters, "budget": budget}
        return self._question(data), data

    def _question(self, data: dict[str, Any]) -> str:
        return (
            "Boxes have to be lifted by a team of lifting robots.\n"
            f"Box weights: {data['boxes']}\n"
            f"Robot capacities (robot 0 first): {data['lifters']}\n\n"
            "The work happens in steps. In one step several boxes can be lifted at once: "
            "each box is given a group of robots, and it is lifted when the capacities of "
            "its group add up to at least its weight. A robot can join only one group per "
            "step, and a box, once lifted, is done. Robots are named by their index "
            "(0-based) and boxes by their weight (boxes of equal weight are "
            f"interchangeable). Lift every box in at most {data['budget']} steps.\n"
            "Scoring: the share of boxes lifted; an invalid assignment lifts nothing and "
            "rules out full marks.\n"
            f"{self.answer_format}"
        )

    def solve(self, sample: Sample) -> str:
        return f"<<<{render_plan(plan_boxlift(sample.data['boxes'], sample.data['lifters']))}>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        d = sample.data
        lifted, problems = simulate(d["boxes"], d["lifters"], d["budget"], parse_plan(answer))
        n = len(d["boxes"])
        score = lifted / n
        if problems:
            score = min(score, (n - 1) / n)
        detail = f"lifted {lifted}/{n} boxes within {d['budget']} steps"
        if problems:
            detail += "; " + "; ".join(problems[:5])
        return score, detail

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        steps = parse_plan(answer_text.strip().removeprefix("<<<").removesuffix(">>>"))
        k = rng.randrange(len(steps))
        steps[k].pop(rng.randrange(len(steps[k])))  # one box is never lifted
        plan = [[(w, list(t)) for w, t in s] for s in steps if s]
        return f"<<<{render_plan(plan)}>>>"

    def size(self, sample: Sample) -> float:
        return len(sample.data["boxes"]) + len(sample.data["lifters"])

    def import_original(self, root: Path) -> Iterator[Sample]:
        base = root / "BoxLift_dataset"
        groups = sorted(p for p in base.iterdir() if p.is_dir())
        for group in sorted(groups, key=lambda p: [int(x) for x in p.name.split("_")[1:]]):
            runs = [p for p in group.iterdir() if (p / "BoxLift.json").is_file()]
            for run in sorted(runs, key=lambda p: int(p.name.removeprefix("BoxLift"))):
                raw = read_json(run / "BoxLift.json")
                boxes, lifters = list(raw["boxes"]), list(raw["lifters"])
                budget = len(_first_fit_plan(boxes, lifters))
                data = {"boxes": boxes, "lifters": lifters, "budget": budget}
                sample = Sample(self.id, self._question(data), data, "", "test", None, None)
                yield Sample(
                    self.id,
                    sample.question,
                    data,
                    self.solve(sample),
                    "test",
                    None,
                    None,
                    f"BoxLift_dataset/{group.name}/{run.name}",
                )
