"""permutations_combinations: put labelled books on a shelf, positions 1..n from left to
right, so that every stated constraint holds. Any order satisfying all constraints is
correct.

Constraints (structured as [kind, book, other]): `left` (book somewhere left of other,
not necessarily next to it), `right`, `adjacent` (next to each other, either side),
`position` (book in position other), `not_position`. The original release's constraint
sentences are parsed into the same structure, so one checker serves both.

Complexity -> knobs: `books` 5 -> 9 and `max_solutions` 40 -> 8. The generator hides
a random order, adds random constraints true of it until at most `max_solutions` orders
remain (first blindly, until fewer than 400 orders remain and can be listed, then only
constraints that cut the list); more books therefore need more constraints. The solver
is a backtracking search that places books left to right and prunes with every
constraint as soon as it can be decided.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.core import Sample, Task, ilerp, origin_of, read_json, register, sample_dirs

PATTERNS = (
    (r"Book (\w) must be to the left of book (\w)", "left"),
    (r"Book (\w) must be to the right of book (\w)", "right"),
    (r"Book (\w) must be adjacent to book (\w)", "adjacent"),
    (r"Book (\w) must be placed in position (\d+)", "position"),
    (r"Book (\w) cannot be placed in position (\d+)", "not_position"),
)


KINDS = ("left", "right", "adjacent", "position", "not_position")


def sentence(c: list[Any]) -> str:
    kind, a, b = c
    return {
        "left": f"Book {a} must be to the left of book {b}.",
        "right": f"Book {a} must be to the right of book {b}.",
        "adjacent": f"Book {a} must be adjacent to book {b}.",
        "position": f"Book {a} must be placed in position {b}.",
        "not_position": f"Book {a} cannot be placed in position {b}.",
    }[kind]


def holds(c: list[Any], pos: dict[str, int]) -> bool:
    """Whether constraint c holds for 1-based positions `pos` of the books."""
    kind, a, b = c
    if kind == "left":
        return pos[a] < pos[b]
    if kind == "right":
        return pos[a] > pos[b]
    if kind == "adjacent":
        return abs(pos[a] - pos[b]) == 1
    if kind == "position":
        return pos[a] == int(b)
    return pos[a] != int(b)


def search(items: list[str], constraints: list[list[Any]], limit: int) -> list[list[str]]:
    """Up to `limit` valid orders, by backtracking over positions 1..n."""
    n = len(items)
    fixed_pairs = {(a, int(b)) for k, a, b in constraints if k == "position"}
    fixed = dict(fixed_pairs)
    taken = {p: a for a, p in fixed_pairs}
    if len(fixed) != len(fixed_pairs) or len(taken) != len(fixed_pairs):
        return []  # one book in two places, or two books in one place
    banned = {(a, int(b)) for k, a, b in constraints if k == "not_position"}
    need_before: dict[str, list[str]] = {x: [] for x in items}  # x needs these placed first
    partners: dict[str, list[str]] = {x: [] for x in items}
    for k, a, b in constraints:
        if k == "left":
            need_before[b].append(a)
        elif k == "right":
            need_before[a].append(b)
        elif k == "adjacent":
            partners[a].append(b)
            partners[b].append(a)
    found: list[list[str]] = []
    order: list[str] = []
    pos: dict[str, int] = {}

    def ok(x: str, p: int) -> bool:
        if taken.get(p, x) != x or fixed.get(x, p) != p or (x, p) in banned:
            return False
        if any(a not in pos for a in need_before[x]):
            return False
        if any(o in pos and pos[o] != p - 1 for o in partners[x]):
            return False
        # the last placed book, if its adjacent partner is still missing, needs it now
        return not order or all(o in pos or o == x for o in partners[order[-1]])

    def place() -> None:
        if len(found) >= limit:
            return
        p = len(order) + 1
        if p > n:
            found.append(list(order))
            return
        pending = [o for o in partners[order[-1]] if o not in pos] if order else []
        choices = [taken[p]] if p in taken else pending[:1] if pending else items
        for x in choices:
            if x not in pos and ok(x, p):
                order.append(x)
                pos[x] = p
                place()
                order.pop()
                del pos[x]

    place()
    return found


def parse_order(answer: str) -> list[str]:
    """`["A", "B"]`, `[A, B]`, `A, B` or `A B` -> ["A", "B"] (labels are upper-cased)."""
    return [t.upper() for t in re.findall(r"[A-Za-z0-9]+", answer)]


@register
class PermutationsCombinations(Task):
    id = "permutations_combinations"
    split = "unseen"
    family = "logic_game"
    description = "order books on a shelf under left-of / adjacent / position constraints"
    answer_format = (
        "Give the books from position 1 to the last inside <<< >>> as a list, "
        'e.g. <<<["C", "A", "B"]>>>.'
    )
    original_paths = ("permutations_and_combinations",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {"books": ilerp(complexity, 5, 9), "max_solutions": ilerp(complexity, 40, 8)}

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        items = list(string.ascii_uppercase[: knobs["books"]])
        hidden = rng.sample(items, len(items))
        where = {x: i + 1 for i, x in enumerate(hidden)}
        constraints: list[list[Any]] = []

        def draw() -> list[Any]:
            while True:
                kind = rng.choices(KINDS, [4, 4, 3, 1, 4])[0]
                a, b = rng.sample(items, 2)
                if kind == "position":
                    b = where[a]
                elif kind == "not_position":
                    b = rng.choice([p for p in range(1, len(items) + 1) if p != where[a]])
                c = [kind, a, b]
                if holds(c, where) and c not in constraints:
                    return c

        # Phase 1: constrain blindly until the valid orders can be listed (< 400).
        constraints.extend(draw() for _ in range(len(items) + 1))
        orders = search(items, constraints, 400)
        while len(orders) >= 400:
            constraints.extend(draw() for _ in range(3))
            orders = search(items, constraints, 400)
        # Phase 2: keep only constraints that cut the list, until it is short enough.
        while len(orders) > knobs["max_solutions"]:
            c = draw()
            kept = [o for o in orders if holds(c, {x: i + 1 for i, x in enumerate(o)})]
            if len(kept) < len(orders):
                constraints.append(c)
                orders = kept
        return self._question(items, constraints), {"items": items, "constraints": constraints}

    def _question(self, items: list[str], constraints: list[list[Any]]) -> str:
        n = len(items)
        rules = "\n".join(f"{i}. {sentence(c)}" for i, c in enumerate(constraints, 1))
        return (
            f"A librarian has to place {n} books, labelled {', '.join(items)}, on a shelf "
            f"with positions 1 to {n} from left to right, one book per position. 'Left of' "
            "and 'right of' mean anywhere to that side, not necessarily next to it; "
            f"'adjacent' means in neighbouring positions.\n\nConstraints:\n{rules}\n\n"
            f"Find an arrangement that satisfies every constraint (any one will do).\n"
            f"{self.answer_format}"
        )

    def solve(self, sample: Sample) -> str:
        found = search(sample.data["items"], sample.data["constraints"], 1)
        if not found:
            raise ValueError("no arrangement satisfies the constraints")
        return "<<<[" + ", ".join(f'"{x}"' for x in found[0]) + "]>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        items = sample.data["items"]
        order = parse_order(answer)
        if sorted(order) != sorted(items):
            return 0.0, f"{order} must list each of {items} exactly once"
        pos = {x: i + 1 for i, x in enumerate(order)}
        for i, c in enumerate(sample.data["constraints"], 1):
            if not holds(c, pos):
                return 0.0, f"constraint {i} fails: {sentence(c)}"
        return 1.0, f"all {len(sample.data['constraints'])} constraints hold"

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        order = parse_order(answer_text.strip()[3:-3])
        pairs = [(i, j) for i in range(len(order)) for j in range(i + 1, len(order))]
        rng.shuffle(pairs)
        for i, j in pairs:
            trial = list(order)
            trial[i], trial[j] = trial[j], trial[i]
            text = "<<<[" + ", ".join(f'"{x}"' for x in trial) + "]>>>"
            if not self.verify(sample, text).correct:
                return text
        return "<<<[" + ", ".join(f'"{x}"' for x in order[:-1]) + "]>>>"

    def size(self, sample: Sample) -> float:
        return float(len(sample.data["items"]) + len(sample.data["constraints"]))

    def import_original(self, root: Path) -> Iterator[Sample]:
        for d in sample_dirs(root / "permutations_and_combinations"):
            sol = read_json(d / "solution.json")
            constraints = []
            for line in sol["constraints_text"].strip().splitlines():
                for pattern, kind in PATTERNS:
                    m = re.search(pattern, line)
                    if m:
                        b = int(m.group(2)) if kind.endswith("position") else m.group(2)
                        constraints.append([kind, m.group(1), b])
                        break
                else:
                    raise ValueError(f"{d.name}: unknown constraint {line!r}")
            yield Sample(
                self.id,
                (d / "question.txt").read_text(encoding="utf-8"),
                {"items": list(sol["items"]), "constraints": constraints},
                "<<<[" + ", ".join(f'"{x}"' for x in sol["correct_solution"]) + "]>>>",
                "test",
                None,
                None,
                origin_of(root, d),
            )
