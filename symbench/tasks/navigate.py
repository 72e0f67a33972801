"""navigate: follow walking instructions (steps and turns); do you end where you started?

Complexity -> knobs: `moves` (instructions before the walk is closed) grows from 2 to 16
and `max_step` from 3 to 25; `mode` is "fixed" (always facing forward, sidesteps) up to
complexity 3, then alternates with "turning" (steps forward plus turns) and from 7 also
"mixed" (turns and steps in all four relative directions). Half the walks return to the
start; the others are a closed walk with one step count changed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.core import Sample, Task, ilerp, register
from symbench.tasks._bbh import YES_NO_FORMAT, bbh_examples, bbh_origin, yes_no, yes_no_text

# Relative directions as (forward, right) unit vectors; turns as quarter turns clockwise.
DIRS = {"forward": (1, 0), "right": (0, 1), "backward": (-1, 0), "left": (0, -1)}
TURNS = {"right": 1, "around": 2, "left": 3}
_STEP = re.compile(r"^Take (\d+) steps?(?: (forward|backward|left|right))?$")
_TURN = re.compile(r"^Turn (left|right|around)$")


def walk(moves: list[list[Any]]) -> tuple[int, int]:
    """Final (north, east) position starting at the origin facing north.

    A move is ["step", direction, n] (relative to the way you face, without turning) or
    ["turn", "left" | "right" | "around"]."""
    y = x = 0
    heading = 0  # quarter turns clockwise from north
    for mv in moves:
        if mv[0] == "turn":
            heading = (heading + TURNS[mv[1]]) % 4
            continue
        f, r = DIRS[mv[1]]
        n = int(mv[2])
        for _ in range(heading):  # rotate the relative vector clockwise into the world
            f, r = -r, f
        y, x = y + f * n, x + r * n
    return y, x


def _close(moves: list[list[Any]], mode: str, rng: random.Random) -> list[list[Any]]:
    """Moves that bring the walker from the end of `moves` back to the start."""
    y, x = walk(moves)
    heading = 0
    for mv in moves:
        if mv[0] == "turn":
            heading = (heading + TURNS[mv[1]]) % 4
    out: list[list[Any]] = []
    legs = [(0 if y < 0 else 2, abs(y)), (1 if x < 0 else 3, abs(x))]  # world headings
    rng.shuffle(legs)
    for want, n in legs:
        if n == 0:
            continue
        rel = (want - heading) % 4
        if mode == "turning" or (mode == "mixed" and rng.random() < 0.5):
            if rel:
                out.append(["turn", {1: "right", 2: "around", 3: "left"}[rel]])
                heading = want
            out.append(["step", "forward", n])
        else:
            out.append(["step", ("forward", "right", "backward", "left")[rel], n])
    return out


def render(mv: list[Any], mode: str) -> str:
    if mv[0] == "turn":
        return f"Turn {mv[1]}."
    word = "step" if mv[2] == 1 else "steps"
    if mode == "turning" and mv[1] == "forward":
        return f"Take {mv[2]} {word}."
    return f"Take {mv[2]} {word} {mv[1]}."


@register
class Navigate(Task):
    id = "navigate"
    split = "seen"
    family = "bbh"
    description = "decide whether step and turn instructions lead back to the start"
    answer_format = YES_NO_FORMAT
    original_paths = ("BIG-Bench-Hard/bbh/navigate.json",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        modes = ["fixed"] if complexity <= 3 else ["fixed", "turning"]
        if complexity >= 7:
            modes.append("mixed")
        return {
            "moves": ilerp(complexity, 2, 16),
            "max_step": ilerp(complexity, 3, 25),
            "modes": modes,
        }

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        mode = rng.choice(knobs["modes"])
        moves: list[list[Any]] = []
        for _ in range(knobs["moves"]):
            if mode != "fixed" and rng.random() < 0.35:
                moves.append(["turn", rng.choice(list(TURNS))])
            else:
                way = "forward" if mode == "turning" else rng.choice(list(DIRS))
                moves.append(["step", way, rng.randint(1, knobs["max_step"])])
        moves += _close(moves, mode, rng)
        if mode == "fixed":
            rng.shuffle(moves)
        if rng.random() < 0.5:  # a near miss: change one step count
            steps = [i for i, mv in enumerate(moves) if mv[0] == "step"] or [None]
            i = rng.choice(steps)
            if i is None:
                moves.append(["step", "forward", rng.randint(1, knobs["max_step"])])
            else:
                delta = rng.choice([d for d in (-2, -1, 1, 2) if moves[i][2] + d >= 1])
                moves[i] = ["step", moves[i][1], moves[i][2] + delta]
        data = {"mode": mode, "moves": moves}
        return self._question(data), data

    def _question(self, data: dict[str, Any]) -> str:
        mode = data["mode"]
        rules = (
            "You start at a point facing some direction. 'Turn left/right/around' changes "
            "the way you face without moving. 'Take N steps' moves N steps the way you "
            "face; 'Take N steps forward/backward/left/right' moves N steps in that "
            "direction relative to the way you face now, without turning. Every step has "
            "the same length."
        )
        if mode == "fixed":
            rules += " You never turn: keep facing the same way throughout."
        body = " ".join(render(mv, mode) for mv in data["moves"])
        return (
            f"{rules}\nInstructions: {body}\n"
            f"After following all the instructions, are you back at the starting point?\n"
            f"{self.answer_format}"
        )

    def solve(self, sample: Sample) -> str:
        return f"<<<{yes_no_text(walk(sample.data['moves']) == (0, 0))}>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        end = walk(sample.data["moves"])
        want = end == (0, 0)
        if yes_no(answer) == want:
            return 1.0, "correct"
        where = "the start" if want else f"{end[0]} steps ahead, {end[1]} to the right"
        return 0.0, f"the walk ends at {where} (relative to the start and first heading)"

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        want = walk(sample.data["moves"]) == (0, 0)
        return f"<<<{rng.choice([yes_no_text(not want), 'unclear'])}>>>"

    def size(self, sample: Sample) -> float:
        return len(sample.data["moves"])

    def import_original(self, root: Path) -> Iterator[Sample]:
        for i, ex in enumerate(bbh_examples(root, "navigate")):
            data = parse_instructions(ex["input"])
            question = ex["input"] + "\n" + self.answer_format
            answer, origin = f"<<<{ex['target']}>>>", bbh_origin("navigate", i)
            yield Sample(self.id, question, data, answer, "test", None, None, origin)


def parse_instructions(text: str) -> dict[str, Any]:
    """Moves from a BBH navigate question (or our own instructions line)."""
    body = text.split("\n")[0]
    if "?" in body:
        body = body.split("?", 1)[1]
    if body.strip().startswith("You start"):
        body = text.split("Instructions:", 1)[1].split("\n")[0]
    fixed = "Always face forward." in body
    moves: list[list[Any]] = []
    for sentence in body.replace("Always face forward.", "").split("."):
        s = sentence.strip()
        if not s:
            continue
        if m := _STEP.match(s):
            moves.append(["step", m.group(2) or "forward", int(m.group(1))])
        elif m := _TURN.match(s):
            moves.append(["turn", m.group(1)])
        else:
            raise ValueError(f"unknown instruction {s!r}")
    turns = any(mv[0] == "turn" for mv in moves)
    sidesteps = any(mv[0] == "step" and mv[1] != "forward" for mv in moves)
    mode = "fixed" if fixed or not turns else ("mixed" if sidesteps else "turning")
    return {"mode": mode, "moves": moves}
