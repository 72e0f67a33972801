"""blocksworld: move top blocks between a fixed set of stacks to reach goal stacks.

Complexity -> knobs: the number of blocks grows from 3 (c=1) to 9 (c=10) and the number
of stacks from 3 to 5 (the original release has 2-4 blocks on 3-5 stacks). Blocks are
dealt onto random stacks in random order, for the start and for the goal.

Rules (question, solver and verifier alike): a move takes the top block of one stack
and puts it on top of another existing stack; there is no table and no new stack. The
goal lists stacks bottom to top; a stack it does not list must end empty. The solver is
a weighted A* over whole arrangements (heuristic: blocks not yet resting on their final
foundation); the verifier simulates the moves.
"""

from __future__ import annotations

import heapq
import random
import re
import string
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from symbench.core import Sample, Task, register

# complexity -> (blocks, stacks)
_LEVELS = {
    1: (3, 3),
    2: (3, 4),
    3: (4, 3),
    4: (4, 4),
    5: (5, 4),
    6: (6, 4),
    7: (6, 5),
    8: (7, 5),
    9: (8, 4),
    10: (9, 5),
}
BUDGET = 60_000  # states expanded before the planner gives up
_MOVE = re.compile(
    r"move\s+(?:block\s+)?([A-Za-z]\w*)\s+from\s+(?:stack\s*)?(\w+)\s+to\s+(?:stack\s*)?(\w+)",
    re.IGNORECASE,
)
State = tuple[tuple[str, ...], ...]
Move = tuple[str, int, int]


def full_goal(data: dict[str, Any]) -> State:
    """The goal for every stack: those the goal does not list must be empty."""
    goal = [tuple(s) for s in data["goal"]]
    return tuple(goal + [()] * (len(data["initial"]) - len(goal)))


def _misplaced(state: State, goal: State) -> int:
    """Blocks not on their final foundation: each needs at least one more move."""
    total = 0
    for s, g in zip(state, goal, strict=True):
        k = 0
        while k < len(s) and k < len(g) and s[k] == g[k]:
            k += 1
        total += len(s) - k
    return total


@lru_cache(maxsize=256)
def plan(initial: State, goal: State, budget: int = BUDGET) -> tuple[Move, ...] | None:
    """Moves (block, from, to), 0-based stacks, reaching `goal`; None over budget."""
    if initial == goal:
        # Nothing to do, but an answer needs at least one move: go somewhere and back.
        src = next(i for i, s in enumerate(initial) if s)
        dst = (src + 1) % len(initial)
        return ((initial[src][-1], src, dst), (initial[src][-1], dst, src))
    parent: dict[State, tuple[State, Move] | None] = {initial: None}
    cost = {initial: 0}
    heap = [(3 * _misplaced(initial, goal), 0, initial)]
    tie = 0
    while heap and budget > 0:
        _, _, state = heapq.heappop(heap)
        if state == goal:
            moves = []
            while parent[state] is not None:
                state, move = parent[state]
                moves.append(move)
            return tuple(moves[::-1])
        budget -= 1
        g = cost[state] + 1
        for i, src in enumerate(state):
            if not src:
                continue
            for j in range(len(state)):
                if j == i:
                    continue
                nxt = list(state)
                nxt[i] = src[:-1]
                nxt[j] = state[j] + (src[-1],)
                new = tuple(nxt)
                if new not in cost or g < cost[new]:
                    cost[new] = g
                    parent[new] = (state, (src[-1], i, j))
                    tie += 1
                    heapq.heappush(heap, (g + 3 * _misplaced(new, goal), tie, new))
    return None


def parse_moves(answer: str, n_stacks: int) -> list[Move]:
    """`Move B from 2 to 1` lines (also `stack2`, `;`/`,` separated) -> 0-based moves."""
    if re.fullmatch(r"\s*(?:none|no moves?(?: needed)?|\[\s*\])\s*", answer, re.IGNORECASE):
        return []
    leftover = _MOVE.sub(" ", answer)
    if re.search(r"[A-Za-z]", leftover):
        bad = leftover.strip().split("\n")[0][:60]
        raise ValueError(f"not a move in the form 'Move X from S to T': {bad!r}")
    moves = []
    for m in _MOVE.finditer(answer):
        block, a, b = m.group(1).upper(), m.group(2), m.group(3)
        for s in (a, b):
            if not s.isdigit() or not 1 <= int(s) <= n_stacks:
                raise ValueError(f"{m.group(0)!r}: stacks are numbered 1 to {n_stacks}")
        moves.append((block, int(a) - 1, int(b) - 1))
    if not moves:
        raise ValueError("no moves found")
    return moves


def simulate(initial: State, moves: list[Move]) -> tuple[State | None, str]:
    stacks = [list(s) for s in initial]
    for k, (block, a, b) in enumerate(moves, 1):
        if a == b:
            return None, f"move {k}: {block} from {a + 1} to itself"
        if not stacks[a] or stacks[a][-1] != block:
            top = stacks[a][-1] if stacks[a] else "nothing"
            return None, f"move {k}: {block} is not on top of stack {a + 1} (top: {top})"
        stacks[b].append(stacks[a].pop())
    return tuple(tuple(s) for s in stacks), ""


def _fmt(moves: tuple[Move, ...] | list[Move]) -> str:
    return "\n".join(f"Move {b} from {i + 1} to {j + 1}" for b, i, j in moves)


@register
class Blocksworld(Task):
    id = "blocksworld"
    split = "seen"
    family = "planning"
    description = "move top blocks between stacks until the stacks match the goal"
    answer_format = (
        "Give the moves in order inside <<< >>>, one per line, each as 'Move X from S to T' "
        "with S and T stack numbers, e.g. <<<Move B from 2 to 1\nMove A from 3 to 2>>>."
    )
    original_paths = ("Blocksworld_dataset",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        blocks, stacks = _LEVELS[complexity]
        return {"blocks": blocks, "stacks": stacks}

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        names = list(string.ascii_uppercase[: knobs["blocks"]])
        while True:
            deal = []
            for _ in range(2):
                stacks: list[list[str]] = [[] for _ in range(knobs["stacks"])]
                for b in rng.sample(names, len(names)):
                    stacks[rng.randrange(len(stacks))].append(b)
                deal.append(stacks)
            data = {"initial": deal[0], "goal": deal[1]}
            if deal[0] != deal[1] and plan(_state(deal[0]), full_goal(data)) is not None:
                return self._question(data), data

    def _question(self, data: dict[str, Any]) -> str:
        def show(stacks: list[list[str]]) -> str:
            return "\n".join(f"stack{i + 1}: {' '.join(s)}" for i, s in enumerate(stacks))

        n = len(data["initial"])
        return (
            f"Blocks are piled in {n} numbered stacks. Each stack is written from bottom to "
            f"top: in 'stack1: A B C', A rests at the bottom and C is on top.\n\n"
            f"Initial state:\n{show(data['initial'])}\n\nGoal state:\n{show(data['goal'])}\n\n"
            f"Find a sequence of moves that turns the initial state into the goal state. A "
            f"move picks up the top block of one stack (only a top block can move) and puts "
            f"it on top of a different stack. Only the {n} stacks above exist: there is no "
            f"table and no new stack can be started, though a stack may be left empty. At the "
            f"end every stack must match the goal exactly, and any stack the goal does not "
            f"list must be empty.\n{self.answer_format}"
        )

    def solve(self, sample: Sample) -> str:
        moves = plan(_state(sample.data["initial"]), full_goal(sample.data))
        if moves is None:
            raise ValueError("the planner found no plan within its budget")
        return f"<<<{_fmt(moves)}>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        initial = _state(sample.data["initial"])
        final, why = simulate(initial, parse_moves(answer, len(initial)))
        if final is None:
            return 0.0, why
        goal = full_goal(sample.data)
        if final != goal:
            wrong = [i + 1 for i, (a, b) in enumerate(zip(final, goal, strict=True)) if a != b]
            return 0.0, f"final stacks differ from the goal at stack(s) {wrong}"
        return 1.0, "goal reached"

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        # The plan's last move is the one that completes the goal: without it, it falls short.
        moves = parse_moves(answer_text.strip().removeprefix("<<<").removesuffix(">>>"), 99)
        block, a, b = moves[-1]
        if rng.random() < 0.5:
            return f"<<<{_fmt(moves[:-1] + [(block, a, (b + 1) % len(sample.data['initial']))])}>>>"
        return f"<<<{_fmt(moves[:-1]) or 'Move Z from 1 to 2'}>>>"

    def size(self, sample: Sample) -> float:
        d = sample.data
        return sum(map(len, d["initial"])) + len(d["initial"])

    def import_original(self, root: Path) -> Iterator[Sample]:
        base = root / "Blocksworld_dataset"

        def key(p: Path) -> tuple[int, ...]:
            return tuple(int(x) for x in p.name.split("_"))

        for d in sorted((p for p in base.iterdir() if p.is_dir()), key=key):
            data = read_task((d / "blocksworld_task.txt").read_text(encoding="utf-8"))
            stub = Sample(self.id, self._question(data), data, "", "test")
            yield Sample(
                self.id,
                stub.question,
                data,
                self.solve(stub),  # the release stores no plans: the planner makes one
                "test",
                None,
                None,
                f"Blocksworld_dataset/{d.name}",
            )


def _state(stacks: list[list[str]]) -> State:
    return tuple(tuple(s) for s in stacks)


def read_task(text: str) -> dict[str, Any]:
    """`Initial State:` / `Goal State:` sections of `stackN: A B` lines."""
    parts: dict[str, list[list[str]]] = {"initial": [], "goal": []}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.lower().startswith("initial state"):
            current = parts["initial"]
        elif line.lower().startswith("goal state"):
            current = parts["goal"]
        elif line:
            name, _, blocks = line.partition(":")
            if current is None or name.strip() != f"stack{len(current) + 1}":
                raise ValueError(f"unexpected line {raw!r}")
            current.append(blocks.split())
    if len(parts["goal"]) > len(parts["initial"]):
        raise ValueError("the goal lists more stacks than exist")
    return parts
