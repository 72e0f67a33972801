"""new_operator: evaluate an expression built from newly defined binary operators.

Complexity -> knobs: the number of defined operators grows from 1 to 4 and the number of
operator applications in the expression (its nesting) from 1 to 6. Operands are 1..9;
definitions are small formulas in a and b with coefficients 1..5. Values are exact
fractions; the answer must equal the value (a decimal within 1e-5 relative passes).

Rules (one set for question, solver and verifier): in `a<op>b` the definition's a is the
left operand and b the right one; parentheses are evaluated first and operators written
in a row without parentheses are applied from left to right. The original release's
questions never say how such a chain associates (`(3~4)&5@6`), so for its samples the
verifier accepts either reading: left to right, `((3~4)&5)@6`, or right to left,
`(3~4)&(5@6)`. Generated questions state the rule, and only that reading passes.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

from symbench.core import Sample, Task, origin_of, read_json, register, sample_dirs
from symbench.tasks._numbers import close, exact, is_decimal, render, tokens

SYMBOLS = ("#", "@", "$", "&", "%", "~")
TEMPLATES = ("{p}*a+{q}*b", "{p}*a-{q}*b", "{p}*a*b", "(a+b)/b", "a*b-{p}", "{p}*(a-b)+b")
_OPS = [1, 1, 2, 2, 2, 3, 3, 3, 4, 4]
_APPS = [1, 2, 2, 3, 3, 4, 4, 5, 5, 6]
_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_]\w*)|(.))")
_DEFINE = re.compile(r"Define a(\S)b to be (.+?)\.?\s*$", re.MULTILINE)
_CALC = re.compile(r"Calculate (.+?)\.?\s*$", re.MULTILINE)
REL = 1e-5
# The sentence of a generated question that fixes the order; its absence leaves it open.
_LEFT_RULE = "applied from left to right"
ORDERS = ("left", "right")


class _Parser:
    """Recursive descent over a tiny language; never evaluates arbitrary text.

    Formulas: numbers, the names a and b, + - * /, unary minus, parentheses.
    Expressions: numbers, parentheses and the defined operator symbols, chained left to
    right (`order="left"`) or right to left (`order="right"`).
    """

    def __init__(
        self,
        text: str,
        names: dict[str, Fraction] | None = None,
        ops: dict[str, str] | None = None,
        order: str = "left",
    ):
        self.toks: list[str] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                break
            self.toks.append(m.group(0).strip())
            pos = m.end()
        self.toks = [t for t in self.toks if t]
        self.i, self.names, self.ops = 0, names or {}, ops or {}
        if order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
        self.order = order

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, want: str | None = None) -> str:
        t = self.peek()
        if t is None or (want is not None and t != want):
            raise ValueError(f"expected {want or 'more input'} at token {self.i + 1}")
        self.i += 1
        return t

    def done(self, value: Fraction) -> Fraction:
        if self.peek() is not None:
            raise ValueError(f"unexpected {self.peek()!r}")
        return value

    # arithmetic formulas in a and b
    def formula(self) -> Fraction:
        v = self.term()
        while self.peek() in ("+", "-"):
            v = v + self.term() if self.take() == "+" else v - self.term()
        return v

    def term(self) -> Fraction:
        v = self.unary()
        while self.peek() in ("*", "/"):
            if self.take() == "*":
                v *= self.unary()
            else:
                d = self.unary()
                if d == 0:
                    raise ZeroDivisionError("division by zero")
                v /= d
        return v

    def unary(self) -> Fraction:
        t = self.take()
        if t == "-":
            return -self.unary()
        if t == "(":
            v = self.formula()
            self.take(")")
            return v
        if t in self.names:
            return self.names[t]
        return exact(t)

    # expressions with the defined operators
    def expr(self) -> Fraction:
        v = self.atom()
        if self.order == "right" and self.peek() in self.ops:
            op = self.take()
            return apply(self.ops, op, v, self.expr())
        while self.peek() in self.ops:
            op = self.take()
            v = apply(self.ops, op, v, self.atom())
        return v

    def atom(self) -> Fraction:
        t = self.take()
        if t == "(":
            v = self.expr()
            self.take(")")
            return v
        if t == "-":
            return -exact(self.take())
        return exact(t)


def apply(ops: dict[str, str], op: str, a: Fraction, b: Fraction) -> Fraction:
    p = _Parser(ops[op], {"a": a, "b": b})
    return p.done(p.formula())


def evaluate(ops: dict[str, str], expression: str, order: str = "left") -> Fraction:
    p = _Parser(expression, ops=ops, order=order)
    return p.done(p.expr())


def readings(sample: Sample) -> tuple[str, ...]:
    """The chain orders a sample's question allows: `data["associativity"]` when set
    (`left`, or `unstated` for the original's questions), else the question's wording."""
    stated = sample.data.get("associativity")
    if stated is None:
        stated = "left" if _LEFT_RULE in sample.question else "unstated"
    return ("left",) if stated == "left" else ORDERS


def _tree(m: int, ops: list[str], rng: random.Random) -> str | tuple:
    if m == 0:
        return str(rng.randint(1, 9))
    k = rng.randint(0, m - 1)
    return (_tree(k, ops, rng), ops.pop(), _tree(m - 1 - k, ops, rng))


def _show(node: str | tuple, top: bool = True) -> str:
    if isinstance(node, str):
        return node
    text = f"{_show(node[0], False)}{node[1]}{_show(node[2], False)}"
    return text if top else f"({text})"


@register
class NewOperator(Task):
    id = "new_operator"
    split = "seen"
    family = "logic_game"
    description = "evaluate an expression under newly defined binary operators"
    answer_format = (
        "Return the exact value inside <<< >>>: an integer such as <<<42>>> or a fraction "
        "such as <<<-7/3>>> (a decimal with at least 6 significant digits is also accepted)."
    )
    original_paths = ("new_operator_dataset",)
    # The 100 three-operator samples (even numbers) were made by an evaluator that, after
    # the parentheses, applies only the first operator it finds (in a fixed symbol order)
    # and returns that: the stored value drops one of the two outer applications. E.g.
    # sample_0, (3~4)&5@6 with a~b=a*b, a&b=5a+5b, a@b=3ab: 12&5=85, 85@6=1530 (12&(5@6)
    # =510 read right to left); stored 90 = 5@6. Checked by hand for samples 0, 2, 4, 6;
    # sample_68 agrees only by coincidence (20&5 = 5). Neither chain order gives 90.
    known_bad = {
        f"new_operator_dataset/sample_{i}": "stored value skips one operator application "
        "(original evaluator bug); neither left-to-right nor right-to-left gives it"
        for i in range(0, 200, 2)
        if i != 68
    }

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {"operators": _OPS[complexity - 1], "applications": _APPS[complexity - 1]}

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        k, m = knobs["operators"], knobs["applications"]
        while True:
            symbols = rng.sample(SYMBOLS, k)
            forms = rng.sample(TEMPLATES, k)
            ops = {
                s: f.format(p=rng.randint(1, 5), q=rng.randint(1, 5))
                for s, f in zip(symbols, forms, strict=True)
            }
            use = symbols + [rng.choice(symbols) for _ in range(m - k)]
            rng.shuffle(use)
            expression = _show(_tree(m, use, rng))
            try:
                value = evaluate(ops, expression)
            except ZeroDivisionError:
                continue
            if abs(value.numerator) <= 10**6 and value.denominator <= 1000:
                data = {"operators": ops, "expression": expression}
                return self._question(data), data

    def _question(self, data: dict[str, Any]) -> str:
        defs = "\n".join(f"Define a{s}b = {f}." for s, f in data["operators"].items())
        return (
            "New binary operators are defined below. In a definition, a stands for the "
            "number on the left of the operator and b for the number on the right; the "
            "right-hand side is ordinary arithmetic (* multiplies, / divides exactly, "
            "multiplication and division before addition and subtraction).\n"
            f"{defs}\n"
            f"Evaluate {data['expression']}. Parts in parentheses are evaluated first; "
            f"operators written one after another without parentheses are {_LEFT_RULE}.\n"
            f"{self.answer_format}"
        )

    def solve(self, sample: Sample) -> str:
        value = evaluate(sample.data["operators"], sample.data["expression"])
        return f"<<<{render(value)}>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        ops, expression = sample.data["operators"], sample.data["expression"]
        wants: dict[str, Fraction] = {}
        for order in readings(sample):
            try:
                wants[order] = evaluate(ops, expression, order)
            except ZeroDivisionError:
                continue  # this reading divides by zero: it has no value to match
        if not wants:
            raise ZeroDivisionError("every reading of the expression divides by zero")
        items = tokens(answer.rsplit("=", 1)[-1])
        if len(items) != 1:
            raise ValueError(f"expected a single number, got {len(items)} items")
        got = exact(items[0])
        for order, want in wants.items():
            if close(got, want, is_decimal(items[0]), REL):
                way = "left to right" if order == "left" else "right to left"
                how = "" if len(set(wants.values())) == 1 else f" (chains read {way})"
                return 1.0, "value matches" + how
        shown = " or ".join(sorted({render(w) for w in wants.values()}))
        return 0.0, f"expected {shown}, got {items[0]}"

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        value = evaluate(sample.data["operators"], sample.data["expression"])
        return f"<<<{render(value + rng.choice([-2, -1, 1, 2, 10]))}>>>"

    def size(self, sample: Sample) -> float:
        expression = sample.data["expression"]
        return sum(expression.count(s) for s in sample.data["operators"]) + len(
            sample.data["operators"]
        )

    def import_original(self, root: Path) -> Iterator[Sample]:
        for d in sample_dirs(root / "new_operator_dataset"):
            question = (d / "question.txt").read_text(encoding="utf-8")
            ops = dict(_DEFINE.findall(question))
            calc = _CALC.search(question)
            if not ops or not calc:
                raise ValueError(f"{d.name}: cannot read the definitions or the expression")
            data = {
                "operators": ops,
                "expression": calc.group(1).strip(),
                "associativity": "unstated",  # the question does not say how chains read
            }
            evaluate(ops, data["expression"])  # fails loudly on an unreadable sample
            ref = read_json(d / "solution.json")["solution"]
            shown = str(int(ref)) if float(ref).is_integer() else repr(float(ref))
            yield Sample(
                self.id,
                question,
                data,
                f"<<<{shown}>>>",
                "test",
                None,
                None,
                origin_of(root, d),
            )
