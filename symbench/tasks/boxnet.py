"""boxnet: a grid of agents, one per square, passes coloured boxes to matching targets.

Rules (one rule set for question, solver and verifier): square (r, c) is named by its
centre [r+0.5, c+0.5] and holds one agent. A plan is a list of steps; each step maps
agents to at most one action each: `move(box_X, square[a, b])` passes a box of colour X
from the agent's square to an edge-adjacent square, `move(box_X, target_X)` puts it
into a same-coloured target in the agent's square (box and target both disappear).
Actions in a step act on the state at the start of that step (what an agent passes on
arrives for the next step). Score: the fraction of boxes placed; an illegal action is
ignored, reported with its step number, and keeps the score below 1. No step limit.

Complexity -> knobs: the grid grows from 1x2 to 4x6 (original release: 1x2 ... 4x8) and
the boxes from 2 colours x 1 box to 5 colours x up to 3 boxes; boxes and targets are
dropped on uniformly random squares (several may share a square), as in the original.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.answers import parse_literal
from symbench.core import Sample, Task, read_json, register

COLOURS = ("blue", "red", "green", "purple", "orange")
_GRIDS = {1: (1, 2), 2: (1, 3), 3: (2, 2), 4: (2, 3), 5: (2, 4),
          6: (3, 3), 7: (3, 4), 8: (4, 4), 9: (4, 5), 10: (4, 6)}  # fmt: skip
_BOXES = {1: (2, 1, 1), 2: (3, 1, 1), 3: (3, 1, 2), 4: (3, 1, 2), 5: (4, 1, 2),
          6: (4, 1, 2), 7: (4, 1, 3), 8: (5, 1, 3), 9: (5, 1, 3), 10: (5, 2, 3)}  # fmt: skip
Cell = tuple[int, int]


def key(cell: Cell) -> str:
    return f"{cell[0] + 0.5}_{cell[1] + 0.5}"


def name(cell: Cell) -> str:
    return f"[{cell[0] + 0.5}, {cell[1] + 0.5}]"


def _cells(rows: int, cols: int) -> list[Cell]:
    return [(r, c) for r in range(rows) for c in range(cols)]


def _dist(a: Cell, b: Cell) -> int:
    return abs(a[0] - b[0]) + abs(a[1] - b[1])


def plan_boxnet(rows: int, cols: int, grid: dict[str, list[str]]) -> list[dict[str, str]]:
    """Pair each box with a same-coloured target (least total distance), then each step
    every agent handles the box in its square with the most work left: puts it into its
    target when it is there, else passes it one square along a shortest route (toward
    the less crowded neighbour)."""
    boxes: list[list[Any]] = []  # [cell, colour, target cell]
    for colour in sorted({i[4:] for v in grid.values() for i in v if i.startswith("box_")}):
        src = [c for c in _cells(rows, cols) for i in grid[key(c)] if i == f"box_{colour}"]
        dst = [c for c in _cells(rows, cols) for i in grid[key(c)] if i == f"target_{colour}"]
        if len(dst) < len(src):
            raise ValueError(f"fewer {colour} targets than boxes")
        if len(src) <= 6:
            best = min(
                itertools.permutations(dst, len(src)),
                key=lambda p: sum(_dist(a, b) for a, b in zip(src, p, strict=True)),
            )
        else:  # greedy nearest pairing for large colour groups
            best, free = [], list(dst)
            for a in src:
                b = min(free, key=lambda t, a=a: _dist(a, t))
                free.remove(b)
                best.append(b)
        boxes += [[a, colour, b] for a, b in zip(src, best, strict=True)]
    plan: list[dict[str, str]] = []
    while boxes:
        load = Counter(b[0] for b in boxes)
        at_start = {cell: [b for b in boxes if b[0] == cell] for cell in _cells(rows, cols)}
        step: dict[str, str] = {}
        for cell, here in at_start.items():
            if not here:
                continue
            b = max(here, key=lambda b: _dist(b[0], b[2]))  # the most work left first
            if b[2] == cell:
                step[f"Agent{name(cell)}"] = f"move(box_{b[1]}, target_{b[1]})"
                boxes.remove(b)
                continue
            (r, c), (tr, tc) = cell, b[2]
            options = []
            if tr != r:
                options.append((r + (1 if tr > r else -1), c))
            if tc != c:
                options.append((r, c + (1 if tc > c else -1)))
            nxt = min(options, key=lambda n: load[n])
            load[nxt] += 1
            step[f"Agent{name(cell)}"] = f"move(box_{b[1]}, square{name(nxt)})"
            b[0] = nxt
        plan.append(step)
    return plan


_NUM = re.compile(r"-?\d+(?:\.\d+)?")
_MOVE = re.compile(r"^\s*move\s*\(\s*box_([a-z]+)\s*,\s*(.+?)\s*\)\s*$", re.IGNORECASE)


def _cell_of(text: str, rows: int, cols: int) -> Cell | None:
    nums = [float(x) for x in _NUM.findall(text)]
    if len(nums) != 2 or any(x < 0 or x % 1 != 0.5 for x in nums):
        return None
    cell = (int(nums[0]), int(nums[1]))
    return cell if 0 <= cell[0] < rows and 0 <= cell[1] < cols else None


def simulate(rows: int, cols: int, grid: dict[str, list[str]], plan: Any):
    """Returns (boxes placed, total boxes, list of problems naming their step)."""
    state = {k: Counter(v) for k, v in grid.items()}
    total = sum(n for v in state.values() for i, n in v.items() if i.startswith("box_"))
    if isinstance(plan, dict):
        plan = [plan]
    if not isinstance(plan, list | tuple):
        raise ValueError("the plan must be a list of {agent: action} steps")
    placed, problems = 0, []
    for k, step in enumerate(plan, 1):
        if not isinstance(step, dict):
            problems.append(f"step {k}: not a dictionary of agent actions")
            continue
        start = {c: Counter(v) for c, v in state.items()}
        acting: set[Cell] = set()
        for agent, action in step.items():
            cell = _cell_of(str(agent), rows, cols)
            m = _MOVE.match(str(action))
            if cell is None:
                problems.append(f"step {k}: no agent {agent!r} on this grid")
                continue
            if cell in acting:
                problems.append(f"step {k}: agent {name(cell)} is given two actions")
                continue
            acting.add(cell)
            if m is None:
                problems.append(f"step {k}: {agent}: cannot read action {action!r}")
                continue
            colour, dest = m.group(1).lower(), m.group(2).strip().lower()
            box = f"box_{colour}"
            if start[key(cell)][box] < 1:
                problems.append(f"step {k}: {agent}: no {box} in square {name(cell)}")
            elif dest.startswith("target"):
                if dest != f"target_{colour}":
                    problems.append(f"step {k}: {agent}: {box} cannot go into {dest}")
                elif start[key(cell)][dest] < 1:
                    problems.append(f"step {k}: {agent}: no {dest} in square {name(cell)}")
                else:
                    state[key(cell)][box] -= 1
                    state[key(cell)][dest] -= 1
                    placed += 1
            else:
                to = _cell_of(dest, rows, cols)
                if to is None or _dist(cell, to) != 1:
                    problems.append(f"step {k}: {agent}: {dest} is not a square next to it")
                else:
                    state[key(cell)][box] -= 1
                    state[key(to)][box] += 1
    return placed, total, problems


@register
class BoxNet(Task):
    id = "boxnet"
    split = "seen"
    family = "planning"
    description = "plan per-step actions of grid agents that pass coloured boxes to targets"
    answer_format = (
        "Give the plan inside <<< >>> as a JSON list with one dictionary per step, mapping "
        'agents to actions, e.g. <<<[{"Agent[0.5, 0.5]": "move(box_blue, square[0.5, 1.5])", '
        '"Agent[1.5, 0.5]": "move(box_red, target_red)"}, '
        '{"Agent[0.5, 1.5]": "move(box_blue, target_blue)"}]>>>.'
    )
    original_paths = ("BoxNet1_dataset",)
    partial_credit = True

    def knobs(self, complexity: int) -> dict[str, Any]:
        rows, cols = _GRIDS[complexity]
        colours, lo, hi = _BOXES[complexity]
        return {"rows": rows, "cols": cols, "colours": colours, "per_colour": [lo, hi]}

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        rows, cols = knobs["rows"], knobs["cols"]
        cells = _cells(rows, cols)
        grid: dict[str, list[str]] = {key(c): [] for c in cells}
        for colour in COLOURS[: knobs["colours"]]:
            for _ in range(rng.randint(*knobs["per_colour"])):
                grid[key(rng.choice(cells))].append(f"box_{colour}")
                grid[key(rng.choice(cells))].append(f"target_{colour}")
        data = {"rows": rows, "cols": cols, "grid": grid}
        return self._question(data), data

    def _question(self, data: dict[str, Any]) -> str:
        rows, cols, grid = data["rows"], data["cols"], data["grid"]
        lines = []
        for cell in _cells(rows, cols):
            items = ", ".join(grid[key(cell)]) or "nothing"
            lines.append(f"- square{name(cell)} (Agent{name(cell)}): {items}")
        return (
            f"A field of {rows} x {cols} squares has one agent standing in every square. "
            "A square is named by its centre: square[r+0.5, c+0.5] is row r, column c "
            "(both from 0), and its agent is Agent[r+0.5, c+0.5]. Squares hold coloured "
            "boxes and coloured targets:\n" + "\n".join(lines) + "\n\n"
            "Plan the agents' work in steps so that every box ends in a target of its own "
            "colour. In one step each agent may do at most one action, and only with a box "
            "that is in its own square at the start of the step:\n"
            "- move(box_X, square[a, b]) passes a box of colour X to a square next to its "
            "own (one row or one column away, inside the field);\n"
            "- move(box_X, target_X) puts a box of colour X into a target of colour X in the "
            "same square; both are then done and gone.\n"
            "All actions of a step happen together: a box passed on can be handled by the "
            "next agent from the following step on. Leave out agents with nothing to do.\n"
            "Scoring: the share of boxes placed in targets; an invalid action does nothing "
            "and rules out full marks.\n"
            f"{self.answer_format}"
        )

    def solve(self, sample: Sample) -> str:
        d = sample.data
        return f"<<<{json.dumps(plan_boxnet(d['rows'], d['cols'], d['grid']))}>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        d = sample.data
        placed, total, problems = simulate(d["rows"], d["cols"], d["grid"], parse_literal(answer))
        score = placed / total
        if problems:
            score = min(score, (total - 1) / total)
        detail = f"placed {placed}/{total} boxes"
        if problems:
            detail += f"; {len(problems)} invalid action(s): " + "; ".join(problems[:5])
        return score, detail

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        plan = parse_literal(answer_text.strip().removeprefix("<<<").removesuffix(">>>"))
        last = plan[-1]  # the last step places the last box(es): drop one of its actions
        last.pop(rng.choice(sorted(last)))
        return f"<<<{json.dumps([s for s in plan if s])}>>>"

    def size(self, sample: Sample) -> float:
        grid = sample.data["grid"]
        return len(grid) + sum(i.startswith("box_") for v in grid.values() for i in v)

    def import_original(self, root: Path) -> Iterator[Sample]:
        base = root / "BoxNet1_dataset"
        groups = [p for p in base.iterdir() if p.is_dir() and p.name.startswith("env_pg_state_")]
        for group in sorted(groups, key=lambda p: [int(x) for x in p.name.split("_")[3:]]):
            rows, cols = (int(x) for x in group.name.split("_")[3:])
            runs = [p for p in group.iterdir() if p.is_dir()]
            for run in sorted(runs, key=lambda p: int(p.name.removeprefix("pg_state"))):
                grid = read_json(run / f"{run.name}.json")
                data = {"rows": rows, "cols": cols, "grid": {k: list(v) for k, v in grid.items()}}
                sample = Sample(self.id, self._question(data), data, "", "test", None, None)
                yield Sample(
                    self.id,
                    sample.question,
                    data,
                    self.solve(sample),
                    "test",
                    None,
                    None,
                    f"BoxNet1_dataset/{group.name}/{run.name}",
                )
