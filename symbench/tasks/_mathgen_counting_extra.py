"""More problem families of math_counting_probability: seatings in a row (bitmask
dynamic programming over who is seated and who sat last) and counting integers by
divisibility (inclusion-exclusion over the divisors' lcms)."""

from __future__ import annotations

import itertools
import math
import random
from functools import cache, reduce
from typing import Any

import sympy

from symbench.tasks._mathtask import pick_kind

_NUMW = "zero one two three four five six seven eight nine ten eleven twelve".split()  # noqa: SIM905


# --- arrangements in a row ----------------------------------------------------------------
_NAMES = ["Ann", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivo"]


def row_build(kn: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
    n = rng.randint(max(3, kn["count"]), min(8, kn["count"] + 2))
    names = _NAMES[:n]
    free = list(range(n))
    rng.shuffle(free)
    rules, text_rules = [], []
    for kind in rng.choices(["together", "apart", "notend", "seat", "before"], k=kn["steps"]):
        if kind in ("together", "apart", "before") and len(free) >= 2:
            a, b = free.pop(), free.pop()
            rules.append([kind, a, b])
            text_rules.append(
                {
                    "together": f"{names[a]} and {names[b]} must sit next to each other",
                    "apart": f"{names[a]} and {names[b]} must not sit next to each other",
                    "before": f"{names[a]} must sit somewhere to the left of {names[b]}",
                }[kind]
            )
        elif kind in ("notend", "seat") and free:
            a = free.pop()
            seat = rng.randint(1, n)
            rules.append([kind, a, seat])
            text_rules.append(
                f"{names[a]} must not sit in either end seat"
                if kind == "notend"
                else f"{names[a]} must sit in seat {seat} (seats are numbered 1 to {n} from left)"
            )
    text = (
        f"{_NUMW[n].capitalize()} people, {', '.join(names[:-1])} and {names[-1]}, sit in a "
        f"row of {n} seats. In how many ways can they be seated if "
        f"{'; '.join(text_rules)}?"
    )
    return text, {"n": n, "rules": rules}


def row_solve(p: dict[str, Any]) -> Any:
    n, rules = p["n"], [tuple(r) for r in p["rules"]]
    partner = {}
    for kind, a, b in rules:
        if kind == "together":
            partner[a], partner[b] = b, a
    apart = {(a, b) for kind, a, b in rules if kind == "apart"}
    apart |= {(b, a) for a, b in apart}
    before = {b: a for kind, a, b in rules if kind == "before"}
    seats = {a: s - 1 for kind, a, s in rules if kind == "seat"}
    notend = {a for kind, a, _ in rules if kind == "notend"}

    @cache
    def count(mask: int, last: int) -> int:
        pos = bin(mask).count("1")
        if pos == n:
            return 1
        need = partner.get(last)
        total = 0
        for x in range(n):
            if mask >> x & 1 or need is not None and not mask >> need & 1 and x != need:
                continue
            q = partner.get(x)
            if q is not None and mask >> q & 1 and q != last:
                continue
            if (last, x) in apart or x in before and not mask >> before[x] & 1:
                continue
            if seats.get(x, pos) != pos or x in notend and pos in (0, n - 1):
                continue
            total += count(mask | 1 << x, x)
        return total

    return sympy.Integer(count(0, -1)) or None


# --- divisibility -------------------------------------------------------------------------
def divis_build(kn: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
    limit = rng.randint(10 ** (1 + kn["count"] // 2), 3 * 10 ** (1 + kn["count"] // 2))
    kind = pick_kind(rng, ["or", "or_not", "exactly_one", "all_not"], kn["steps"] - 1)
    ndiv = 3 if kind in ("or_not", "all_not") else 2
    divs = sorted(rng.sample(range(2, 4 + kn["scale"] // 4), ndiv))
    a, b = divs[0], divs[1]
    cond = {
        "or": f"divisible by {a} or by {b} (or both)",
        "or_not": f"divisible by {a} or by {b}, but not by {divs[-1]}",
        "exactly_one": f"divisible by exactly one of {a} and {b}",
        "all_not": f"divisible by both {a} and {b} but not by {divs[-1]}",
    }[kind]
    return f"How many integers from 1 to {limit}, inclusive, are {cond}?", {
        "limit": limit,
        "kind": kind,
        "divs": divs,
    }


def divis_holds(kind: str, flags: tuple[bool, ...]) -> bool:
    a, b = flags[0], flags[1]
    return {
        "or": a or b,
        "or_not": (a or b) and not flags[-1],
        "exactly_one": a != b,
        "all_not": a and b and not flags[-1],
    }[kind]


def divis_solve(p: dict[str, Any]) -> Any:
    divs, limit = p["divs"], p["limit"]
    m = len(divs)

    def lcm_of(idx: tuple[int, ...]) -> int:
        return reduce(math.lcm, (divs[i] for i in idx), 1)

    total = 0  # numbers whose set of dividing divisors is exactly S, by inclusion-exclusion
    for flags in itertools.product((False, True), repeat=m):
        if not divis_holds(p["kind"], flags):
            continue
        s = tuple(i for i in range(m) if flags[i])
        others = [i for i in range(m) if not flags[i]]
        for r in range(len(others) + 1):
            for extra in itertools.combinations(others, r):
                total += (-1) ** r * (limit // lcm_of(s + extra))
    return sympy.Integer(total) or None
