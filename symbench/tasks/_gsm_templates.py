"""Word-problem templates for gsm_hard. Each template gets (rng, stages, digits, small)
and returns (question text, program); the program lists the arithmetic steps
[op, a, b] (operands: number strings or `#i`, the result of step i) in the order the
story implies. Values are tracked exactly while building, to keep amounts positive and
shares whole."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from fractions import Fraction


def _words(text: str) -> list[str]:
    return text.split()


PEOPLE = _words("Amara Basil Celine Dmitri Esme Felix Greta Hector Ingrid Jonah Keiko Lucas")
GOODS = [
    ("notebooks", "notebook"),
    ("lamps", "lamp"),
    ("chairs", "chair"),
    ("mugs", "mug"),
    ("backpacks", "backpack"),
    ("kettles", "kettle"),
    ("jackets", "jacket"),
    ("puzzles", "puzzle"),
    ("blankets", "blanket"),
    ("printers", "printer"),
]


class Prog:
    """Arithmetic steps with their exact values."""

    def __init__(self) -> None:
        self.steps: list[list[str]] = []
        self.vals: list[Fraction] = []

    def val(self, a: str | int | Fraction) -> Fraction:
        if isinstance(a, str) and a.startswith("#"):
            return self.vals[int(a[1:])]
        return Fraction(a)

    def op(self, op: str, a: str | int, b: str | int) -> str:
        x, y = self.val(a), self.val(b)
        self.vals.append({"+": x + y, "-": x - y, "*": x * y, "/": x / y}[op])
        self.steps.append([op, str(a), str(b)])
        return f"#{len(self.steps) - 1}"

    def total(self, refs: list[str]) -> str:
        acc = refs[0]
        for r in refs[1:]:
            acc = self.op("+", acc, r)
        return acc


def num(rng: random.Random, digits: int) -> int:
    return rng.randint(10 ** (digits - 1) if digits > 1 else 2, 10**digits - 1)


def shopping(rng: random.Random, stages: int, digits: int, small: int) -> tuple[str, Prog]:
    p, who = Prog(), rng.choice(PEOPLE)
    parts, lines = [], []
    for plural, single in rng.sample(GOODS, stages):
        q, price = num(rng, small), num(rng, digits)
        parts.append(f"{q} {plural if q != 1 else single} at ${price} each")
        lines.append(p.op("*", q, price))
    cost = p.total(lines)
    text = f"{who} buys {', '.join(parts[:-1]) + ' and ' if len(parts) > 1 else ''}{parts[-1]}."
    if stages >= 2:
        pct = rng.choice([5, 10, 15, 20, 25, 30])
        text += f" The shop takes {pct}% off the whole bill."
        cost = p.op("-", cost, p.op("/", p.op("*", cost, pct), 100))
    if rng.random() < 0.5:
        return text + f" How many dollars does {who} pay?", p
    step = 10 ** max(1, len(str(int(p.val(cost)))) - 1)
    bill = (int(p.val(cost)) // step + rng.randint(1, 3)) * step
    p.op("-", bill, cost)
    return text + f" {who} pays with ${bill}. How much change, in dollars, comes back?", p


def factory(rng: random.Random, stages: int, digits: int, small: int) -> tuple[str, Prog]:
    p, lines, parts = Prog(), [], []
    for i in range(stages):
        m, r, h = num(rng, small), 20 * num(rng, max(1, digits - 1)), rng.randint(2, 16)
        parts.append(
            f"Hall {i + 1} has {m} machines that each make {r} bolts an hour and "
            f"run {h} hours a day."
        )
        lines.append(p.op("*", p.op("*", m, r), h))
    days, pct = rng.randint(2, 30), rng.choice(range(5, 45, 5))
    good = p.op("*", p.total(lines), days)
    good = p.op("-", good, p.op("/", p.op("*", good, pct), 100))
    return (
        f"A factory makes bolts. {' '.join(parts)} Over {days} days, {pct}% of all bolts "
        f"made fail inspection. How many bolts pass inspection in those days?"
    ), p


def interest(rng: random.Random, stages: int, digits: int, small: int) -> tuple[str, Prog]:
    p, who = Prog(), rng.choice(PEOPLE)
    start, rate = num(rng, digits) * 10, rng.randint(2, 12)
    add = num(rng, max(1, digits - 2)) * 10 if stages > 1 else 0
    bal: str | int = start
    for _ in range(stages):
        bal = p.op("+", bal, p.op("/", p.op("*", bal, rate), 100))
        if add:
            bal = p.op("+", bal, add)
    extra = (
        f" and right after each year's interest is added {who} deposits ${add} more" if add else ""
    )
    years = "1 year" if stages == 1 else f"{stages} years"
    return (
        f"{who} puts ${start} into a savings account that adds {rate}% interest on the "
        f"balance at the end of every year{extra}. How many dollars are in the account "
        f"after {years}?"
    ), p


def sharing(rng: random.Random, stages: int, digits: int, small: int) -> tuple[str, Prog]:
    p, names = Prog(), rng.sample(PEOPLE, stages)
    cuts = [
        rng.choice([("frac", rng.randint(2, 5)), ("pct", rng.choice([10, 20, 25, 40, 50]))])
        for _ in names
    ]
    rest_n = rng.randint(2, 9)
    den = rest_n * math.prod(k if kind == "frac" else 100 // math.gcd(k, 100) for kind, k in cuts)
    total = den * max(1, num(rng, digits) // den + 1)
    left: str | int = total
    said = []
    for who, (kind, k) in zip(names, cuts, strict=True):
        if kind == "frac":
            said.append(f"{who} takes 1/{k} of what is left")
            left = p.op("-", left, p.op("/", left, k))
        else:
            said.append(f"{who} takes {k}% of what is left")
            left = p.op("-", left, p.op("/", p.op("*", left, k), 100))
    p.op("/", left, rest_n)
    return (
        f"A club shares out ${total}. In turn, {'; then '.join(said)}. The remainder is "
        f"split equally among {rest_n} members. How many dollars does each member "
        f"get?"
    ), p


def journey(rng: random.Random, stages: int, digits: int, small: int) -> tuple[str, Prog]:
    p, legs, parts = Prog(), [], []
    for _ in range(stages):
        v, t = num(rng, max(2, small + 1)), rng.randint(1, 9)
        parts.append(f"{t} hours at {v} km per hour")
        legs.append(p.op("*", v, t))
    done = p.total(legs)
    whole = int(p.val(done)) + num(rng, digits)
    p.op("-", whole, done)
    return (
        f"A cargo ship must sail {whole} km. So far it has sailed {'; then '.join(parts)}. "
        f"How many km does it still have to sail?"
    ), p


def warehouse(rng: random.Random, stages: int, digits: int, small: int) -> tuple[str, Prog]:
    p, days = Prog(), ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    boxes = num(rng, digits)
    stock: str | int = boxes
    said = []
    for day in days[:stages]:
        amount = rng.randint(1, max(1, int(p.val(stock)) // 3))
        if rng.random() < 0.5:
            said.append(f"on {day} {amount} boxes arrive")
            stock = p.op("+", stock, amount)
        else:
            said.append(f"on {day} {amount} boxes are shipped out")
            stock = p.op("-", stock, amount)
    per = num(rng, small)
    p.op("*", stock, per)
    return (
        f"A warehouse starts the week with {boxes} boxes; {', '.join(said)}. Each box "
        f"holds {per} cans. How many cans are in the warehouse after {days[stages - 1]}?"
    ), p


TEMPLATES: dict[str, Callable[[random.Random, int, int, int], tuple[str, Prog]]] = {
    "shopping": shopping,
    "factory": factory,
    "interest": interest,
    "sharing": sharing,
    "journey": journey,
    "warehouse": warehouse,
}
