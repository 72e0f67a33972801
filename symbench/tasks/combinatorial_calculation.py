"""combinatorial_calculation: put + - * / and parentheses between numbers kept in their
given order so that the expression equals a target.

Any expression is accepted that uses the numbers exactly once each in the given order,
only binary + - * / and balanced parentheses (no unary minus, no gluing digits into
bigger numbers), and evaluates exactly (fractions) to the target. Answers are read with
`ast` and evaluated node by node; nothing is ever `eval`-ed.

Complexity -> knobs: `count` 3 -> 7 numbers (digits 1-9), `target_max` 20 -> 200. The
generator evaluates a random expression tree over the numbers and uses its value as the
target when it is an integer in [`target_min`, `target_max`]; the solver finds an
expression from the numbers and target alone (interval dynamic programming with a
targeted search from the target down).
"""

from __future__ import annotations

import ast
import json
import random
import re
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

from symbench.core import Sample, Task, ilerp, origin_of, read_json, register, sample_dirs

OPS = ("+", "-", "*", "/")
_SYNONYMS = {"×": "*", "x": "*", "X": "*", "·": "*", "÷": "/", "−": "-", "–": "-"}
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def apply(op: str, a: Fraction, b: Fraction) -> Fraction | None:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    return a / b if b else None


def tokens_of(answer: str) -> list[str]:
    """Tokens of `[6, "/", 2, "+", 7]`, `[6, /, 2, +, 7]` or `6/2+7` (`= target` dropped)."""
    text = answer.strip()
    if text.startswith("[") and text.endswith("]"):
        items = [t.strip().strip("\"'").strip() for t in text[1:-1].split(",")]
        if items and items[-1] == "":
            items.pop()
        if any(t == "" for t in items):
            raise ValueError("empty item in the list (every operator must be written)")
    else:
        text = text.split("=")[0]
        items = re.findall(r"\d+|\S", text)
    out = []
    for t in items:
        t = _SYNONYMS.get(t, t)
        if not (t.isdigit() or t in OPS or t in "()"):
            raise ValueError(f"{t!r} is not a number, an operator (+ - * /) or a parenthesis")
        out.append(t)
    if len(out) > 200:
        raise ValueError("expression too long")
    return out


def evaluate(tokens: list[str]) -> tuple[Fraction, list[int]]:
    """Exact value and the numbers, left to right, of a token list (binary ops only)."""
    tree = ast.parse(" ".join(tokens), mode="eval").body
    numbers: list[int] = []

    def walk(node: ast.AST) -> Fraction:
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            left, right = walk(node.left), walk(node.right)
            value = apply(_BINOPS[type(node.op)], left, right)
            if value is None:
                raise ZeroDivisionError("division by zero")
            return value
        if isinstance(node, ast.Constant) and type(node.value) is int:
            numbers.append(node.value)
            return Fraction(node.value)
        raise ValueError(f"not allowed in the expression: {ast.unparse(node)!r}")

    return walk(tree), numbers


def find_expression(numbers: list[int], target: Fraction) -> list[str] | None:
    """Tokens of an expression over `numbers` (in order) worth `target`, or None."""
    n = len(numbers)
    memo: dict[tuple[int, int], dict[Fraction, list[str]]] = {}

    def wrap(t: list[str]) -> list[str]:
        return t if len(t) == 1 else ["(", *t, ")"]

    def values(i: int, j: int) -> dict[Fraction, list[str]]:
        if (i, j) in memo:
            return memo[i, j]
        if j - i == 1:
            out = {Fraction(numbers[i]): [str(numbers[i])]}
        else:
            out = {}
            for k in range(i + 1, j):
                for a, ta in values(i, k).items():
                    for b, tb in values(k, j).items():
                        for op in OPS:
                            v = apply(op, a, b)
                            if v is not None and v not in out:
                                out[v] = [*wrap(ta), op, *wrap(tb)]
        memo[i, j] = out
        return out

    failed: set[tuple[int, int, Fraction]] = set()

    def reach(i: int, j: int, t: Fraction) -> list[str] | None:
        """Targeted search: enumerate the shorter side of each split, ask the longer
        side for the one value that would complete the target."""
        if j - i <= 4:
            return values(i, j).get(t)
        if (i, j, t) in failed:
            return None
        for k in range(i + 1, j):
            if k - i <= j - k:
                for a, ta in values(i, k).items():
                    needs = {
                        "+": t - a,
                        "-": a - t,
                        "*": t / a if a else None,
                        "/": a / t if t else None,
                    }
                    for op, need in needs.items():
                        if need is not None and (op != "/" or need) and (tb := reach(k, j, need)):
                            return [*wrap(ta), op, *wrap(tb)]
            else:
                for b, tb in values(k, j).items():
                    needs = {
                        "+": t - b,
                        "-": t + b,
                        "*": t / b if b else None,
                        "/": t * b if b else None,
                    }
                    for op, need in needs.items():
                        if need is not None and (ta := reach(i, k, need)):
                            return [*wrap(ta), op, *wrap(tb)]
        failed.add((i, j, t))
        return None

    return reach(0, n, Fraction(target))


def strip_parens(tokens: list[str]) -> list[str]:
    """Drop parentheses that do not change the value (for a tidier reference answer)."""
    i = 0
    while i < len(tokens):
        if tokens[i] == "(":
            depth, j = 0, i
            while True:
                depth += {"(": 1, ")": -1}.get(tokens[j], 0)
                if depth == 0:
                    break
                j += 1
            trial = tokens[:i] + tokens[i + 1 : j] + tokens[j + 1 :]
            try:
                if evaluate(trial)[0] == evaluate(tokens)[0]:
                    tokens = trial
                    continue
            except ZeroDivisionError:
                pass
        i += 1
    return tokens


def render(tokens: list[str]) -> str:
    return "<<<[" + ", ".join(t if t.isdigit() else json.dumps(t) for t in tokens) + "]>>>"


@register
class CombinatorialCalculation(Task):
    id = "combinatorial_calculation"
    split = "unseen"
    family = "logic_game"
    description = "insert + - * / and parentheses between ordered numbers to hit a target"
    answer_format = (
        "Answer inside <<< >>> with the expression as a list of its tokens, the numbers in "
        'the given order, e.g. <<<[6, "/", 2, "+", 7]>>> for 6/2+7 or '
        '<<<[4, "*", "(", 6, "-", 3, ")"]>>> for 4*(6-3).'
    )
    original_paths = ("combinatorial_calculation",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {
            "count": ilerp(complexity, 3, 7),
            "target_min": 10,
            "target_max": ilerp(complexity, 20, 200),
        }

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        while True:
            numbers = [rng.randint(1, 9) for _ in range(knobs["count"])]
            value = self._random_value(numbers, rng)
            ok = value is not None and value.denominator == 1
            if ok and knobs["target_min"] <= value <= knobs["target_max"]:
                target = int(value)
                return self._question(numbers, target), {"numbers": numbers, "target": target}

    @staticmethod
    def _random_value(numbers: list[int], rng: random.Random) -> Fraction | None:
        vals: list[Fraction | None] = [Fraction(x) for x in numbers]
        while len(vals) > 1:
            k = rng.randrange(len(vals) - 1)
            a, b = vals[k], vals[k + 1]
            v = apply(rng.choice("++--**/"), a, b) if a is not None and b is not None else None
            vals[k : k + 2] = [v]
        return vals[0]

    def _question(self, numbers: list[int], target: int) -> str:
        nums = ", ".join(map(str, numbers))
        return (
            f"You are given {len(numbers)} numbers in a fixed order: {nums}. Place the "
            "operators + (add), - (subtract), * (multiply) and / (divide, exactly, "
            "fractions allowed) and any parentheses between them so that the expression "
            f"equals {target}. Keep the numbers in this order, use each exactly once, do "
            "not join digits into larger numbers and do not put a minus sign in front of a "
            f"number.\n{self.answer_format}"
        )

    def solve(self, sample: Sample) -> str:
        tokens = find_expression(sample.data["numbers"], Fraction(sample.data["target"]))
        if tokens is None:
            raise ValueError("no expression reaches the target")
        return render(strip_parens(tokens))

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        numbers, target = sample.data["numbers"], Fraction(sample.data["target"])
        tokens = tokens_of(answer)
        used = [int(t) for t in tokens if t.isdigit()]
        if used != numbers:
            return 0.0, f"numbers used are {used}, but must be {numbers} in this order"
        depth = 0
        for t in tokens:
            depth += {"(": 1, ")": -1}.get(t, 0)
            if depth < 0:
                return 0.0, "unbalanced parentheses"
        if depth:
            return 0.0, "unbalanced parentheses"
        try:
            value, seen = evaluate(tokens)
        except SyntaxError:
            return 0.0, f"not a valid expression: {' '.join(tokens)}"
        if seen != numbers:
            return 0.0, f"numbers read as {seen}, but must be {numbers}"
        if value != target:
            return 0.0, f"{' '.join(tokens)} = {value}, not {target}"
        return 1.0, f"{' '.join(tokens)} = {target}"

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        tokens = tokens_of(answer_text.strip()[3:-3])
        target = Fraction(sample.data["target"])
        spots = [i for i, t in enumerate(tokens) if t in OPS]
        rng.shuffle(spots)
        for i in spots:
            for op in rng.sample(OPS, len(OPS)):
                trial = tokens[:i] + [op] + tokens[i + 1 :]
                try:
                    if evaluate(trial)[0] != target:
                        return render(trial)
                except ZeroDivisionError:
                    continue
        return render([*tokens, "+", "1"])

    def size(self, sample: Sample) -> float:
        return len(sample.data["numbers"]) + len(str(sample.data["target"])) / 2

    def import_original(self, root: Path) -> Iterator[Sample]:
        for d in sample_dirs(root / "combinatorial_calculation"):
            sol = read_json(d / "solution.json")
            yield Sample(
                self.id,
                (d / "question.txt").read_text(encoding="utf-8"),
                {"numbers": [int(x) for x in sol["numbers"]], "target": int(sol["target"])},
                render([str(t) for t in sol["solution"]]),
                "test",
                None,
                None,
                origin_of(root, d),
            )
