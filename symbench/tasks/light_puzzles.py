"""light_puzzles: a grid of lights, buttons that toggle given cells, and a sequence of
presses; the answer is the grid after all presses.

Complexity -> knobs: the grid side grows from 2 (c=1) to 7 (c=10), the number of buttons
from 1 to 5 and the number of presses from 1 to 10. Each button toggles between 2 and
side*side/2 distinct cells (positions are 1-based row, column).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.core import Sample, Task, ilerp, origin_of, read_json, register, sample_dirs
from symbench.tasks._numbers import tokens

_N = re.compile(r"Given n=(\d+)")
_BUTTON = re.compile(r"^Button ([A-Z]) controls the lights at (.+)$", re.MULTILINE)
_POS = re.compile(r'\[\s*"?(\d+)"?\s*,\s*"?(\d+)"?\s*\]')
_ROUND = re.compile(r"^Round (\d+): Button ([A-Z])\s*$", re.MULTILINE)


def final_grid(data: dict[str, Any]) -> list[int]:
    """Apply the presses in order (each toggles its button's cells); flattened row-major."""
    grid = [row[:] for row in data["grid"]]
    for name in data["presses"]:
        for r, c in data["buttons"][name]:
            grid[r - 1][c - 1] ^= 1
    return [v for row in grid for v in row]


@register
class LightPuzzles(Task):
    id = "light_puzzles"
    split = "seen"
    family = "logic_game"
    description = "apply a sequence of button presses that toggle lights on a grid"
    answer_format = (
        "Return the final grid row by row as one comma-separated list of 0s and 1s inside "
        "<<< >>>, e.g. <<<1,0,0,1>>> for a 2*2 grid whose first row is 1 0 and second 0 1."
    )
    original_paths = ("light_puzzles_dataset",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {
            "side": ilerp(complexity, 2, 7),
            "buttons": ilerp(complexity, 1, 5),
            "presses": complexity,
        }

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        n = knobs["side"]
        cells = [[r, c] for r in range(1, n + 1) for c in range(1, n + 1)]
        names = [chr(65 + i) for i in range(knobs["buttons"])]
        data = {
            "grid": [[rng.randint(0, 1) for _ in range(n)] for _ in range(n)],
            "buttons": {b: rng.sample(cells, rng.randint(2, n * n // 2)) for b in names},
            "presses": [rng.choice(names) for _ in range(knobs["presses"])],
        }
        return self._question(data), data

    def _question(self, data: dict[str, Any]) -> str:
        n = len(data["grid"])
        grid = "\n".join("".join(map(str, row)) for row in data["grid"])
        buttons = "\n".join(
            f"Button {b} toggles the lights at " + ", ".join(f"({r}, {c})" for r, c in cells)
            for b, cells in data["buttons"].items()
        )
        presses = "\n".join(f"Press {i}: button {b}" for i, b in enumerate(data["presses"], 1))
        return (
            f"A {n}*{n} grid of lights is shown row by row; 1 is a light that is on and 0 one "
            "that is off. Pressing a button toggles every light it controls (on becomes off, "
            "off becomes on) and leaves the others alone; several buttons may control the "
            "same light. Positions are written (row, column), counted from 1 at the top-left."
            f"\nInitial grid:\n{grid}\n\n{buttons}\n\n"
            f"The buttons are pressed in this order:\n{presses}\n\n"
            f"What does the grid look like after the last press?\n{self.answer_format}"
        )

    def solve(self, sample: Sample) -> str:
        return "<<<" + ",".join(map(str, final_grid(sample.data))) + ">>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        want = final_grid(sample.data)
        bits = "".join(tokens(answer))
        if set(bits) - {"0", "1"}:
            raise ValueError("the grid may contain only 0 and 1")
        if len(bits) != len(want):
            return 0.0, f"expected {len(want)} lights, got {len(bits)}"
        n = len(sample.data["grid"])
        wrong = [i for i, (g, w) in enumerate(zip(bits, want, strict=True)) if int(g) != w]
        if not wrong:
            return 1.0, "grid matches"
        r, c = divmod(wrong[0], n)
        return 0.0, f"{len(wrong)} lights wrong, first at ({r + 1}, {c + 1})"

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        bits = final_grid(sample.data)
        bits[rng.randrange(len(bits))] ^= 1
        return "<<<" + ",".join(map(str, bits)) + ">>>"

    def size(self, sample: Sample) -> float:
        return len(sample.data["grid"]) ** 2 + len(sample.data["presses"])

    def import_original(self, root: Path) -> Iterator[Sample]:
        for d in sample_dirs(root / "light_puzzles_dataset"):
            question = (d / "question.txt").read_text(encoding="utf-8")
            m = _N.search(question)
            if not m:
                raise ValueError(f"{d.name}: no grid size")
            n = int(m.group(1))
            rows = re.findall(rf"^([01]{{{n}}})\s*$", question, re.MULTILINE)
            buttons = {
                b: [[int(r), int(c)] for r, c in _POS.findall(cells)]
                for b, cells in _BUTTON.findall(question)
            }
            rounds = sorted((int(i), b) for i, b in _ROUND.findall(question))
            if len(rows) != n or not rounds or any(b not in buttons for _, b in rounds):
                raise ValueError(f"{d.name}: cannot read the grid, buttons or rounds")
            if [i for i, _ in rounds] != list(range(1, len(rounds) + 1)):
                raise ValueError(f"{d.name}: rounds are not numbered 1..{len(rounds)}")
            if any(not 1 <= v <= n for cells in buttons.values() for p in cells for v in p):
                raise ValueError(f"{d.name}: a button controls a cell outside the grid")
            data = {
                "grid": [[int(ch) for ch in row] for row in rows],
                "buttons": buttons,
                "presses": [b for _, b in rounds],
            }
            ref = read_json(d / "solution.json")["solution"]
            yield Sample(
                self.id,
                question,
                data,
                "<<<" + ",".join(str(int(v)) for v in ref) + ">>>",
                "test",
                None,
                None,
                origin_of(root, d),
            )
