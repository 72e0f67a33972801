"""Problem families of math_counting_probability; every answer is computed exactly.

Knobs (see `_mathtask.math_knobs`): `steps` adds conditions / harder events, `count`
adds objects (people, dice, cards, coins, divisors), `scale` makes numbers bigger.
"""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction
from typing import Any

import sympy

from symbench.tasks._mathgen_counting_extra import divis_build, divis_solve, row_build, row_solve
from symbench.tasks._mathtask import Family, pick_kind

_NUMW = "zero one two three four five six seven eight nine ten eleven twelve".split()  # noqa: SIM905


def _rat(x: Fraction | int) -> sympy.Rational:
    x = Fraction(x)
    return sympy.Rational(x.numerator, x.denominator)


# --- committees ---------------------------------------------------------------------------
def committee_build(kn: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
    men, women = rng.randint(3, 5 + kn["count"]), rng.randint(3, 5 + kn["count"])
    k = rng.randint(3, min(men + women - 2, 3 + kn["count"] // 2))
    kinds = rng.sample(["min_women", "max_men", "apart", "include"], min(4, kn["steps"]))
    p = {"men": men, "women": women, "k": k, "min_women": 0, "max_men": k}
    p.update(apart=False, include=False)
    rules = []
    for kind in kinds:
        if kind == "min_women":
            p["min_women"] = rng.randint(1, min(women, k - 1))
            rules.append(f"at least {p['min_women']} of its members must be women")
        elif kind == "max_men":
            p["max_men"] = rng.randint(1, min(men, k - 1))
            rules.append(f"at most {p['max_men']} of its members may be men")
        elif kind == "apart":
            p["apart"] = True
            rules.append(
                "Adam (one of the men) and Beth (one of the women) refuse to serve together"
            )
        else:
            p["include"] = True
            rules.append("Carol (one of the women, not Beth) must be on the committee")
    text = (
        f"A club has {men} men and {women} women. A committee of {k} members is to be "
        f"chosen, where {'; '.join(rules) if rules else 'any members may be chosen'}. "
        "In how many ways can the committee be chosen?"
    )
    return text, p


def committee_solve(p: dict[str, Any]) -> Any:
    # Named people: Adam (man), Beth and Carol (women); the rest are anonymous.
    special = [("m", "Adam"), ("w", "Beth"), ("w", "Carol")]
    rest_m, rest_w, total = p["men"] - 1, p["women"] - 2, 0
    for chosen in itertools.product((0, 1), repeat=3):
        if p["apart"] and chosen[0] and chosen[1] or p["include"] and not chosen[2]:
            continue
        sm = sum(c for c, s in zip(chosen, special, strict=True) if s[0] == "m")
        sw = sum(chosen) - sm
        r = p["k"] - sum(chosen)
        for i in range(r + 1):  # empty when the named people alone exceed k
            if sw + i >= p["min_women"] and sm + r - i <= p["max_men"]:
                total += math.comb(rest_w, i) * math.comb(rest_m, r - i)
    return sympy.Integer(total) if total > 0 else None


# --- dice ---------------------------------------------------------------------------------
def dice_build(kn: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
    n = rng.randint(2, kn["count"] if kn["count"] > 2 else 2)
    sides = rng.choice([s for s in (4, 6, 8, 10, 12, 20) if s <= max(6, kn["scale"] // 2)])
    kind = pick_kind(rng, ["eq", "max", "ge", "distinct", "mult", "given"], kn["steps"] + 1)
    lo, hi = n, n * sides
    p = {"n": n, "sides": sides, "kind": kind, "t": rng.randint(lo, hi), "q": rng.randint(3, 7)}
    p["v"] = rng.randint(1, sides)
    event = {
        "eq": f"the sum of the numbers rolled is exactly {p['t']}",
        "ge": f"the sum of the numbers rolled is at least {p['t']}",
        "max": f"the largest number rolled is exactly {p['v']}",
        "distinct": "all the dice show different numbers",
        "mult": f"the sum of the numbers rolled is a multiple of {p['q']}",
        "given": f"the sum is at least {p['t']}, given that at least one die shows {p['v']}",
    }[kind]
    text = (
        f"{_NUMW[n].capitalize()} fair {sides}-sided dice, each with faces numbered 1 to "
        f"{sides}, are rolled. What is the probability that {event}? Express your answer "
        "as a common fraction."
    )
    return text, p


def dice_solve(p: dict[str, Any]) -> Any:
    n, s, t, v = p["n"], p["sides"], p["t"], p["v"]
    # dist[(total, seen_v)] = number of outcomes
    dist: dict[tuple[int, bool], int] = {(0, False): 1}
    for _ in range(n):
        new: dict[tuple[int, bool], int] = {}
        for (tot, seen), c in dist.items():
            for f in range(1, s + 1):
                key = (tot + f, seen or f == v)
                new[key] = new.get(key, 0) + c
        dist = new
    outcomes = s**n
    kind = p["kind"]
    if kind == "max":
        fav = v**n - (v - 1) ** n
    elif kind == "distinct":
        fav = math.perm(s, n)
    elif kind == "given":
        cond = sum(c for (_, seen), c in dist.items() if seen)
        fav, outcomes = sum(c for (tot, seen), c in dist.items() if seen and tot >= t), cond
    else:
        test = {"eq": lambda x: x == t, "ge": lambda x: x >= t, "mult": lambda x: x % p["q"] == 0}
        fav = sum(c for (tot, _), c in dist.items() if test[kind](tot))
    return _rat(Fraction(fav, outcomes)) if 0 < fav < outcomes else None


# --- cards --------------------------------------------------------------------------------
def cards_build(kn: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
    k = rng.randint(2, 1 + kn["count"])
    kind = pick_kind(rng, ["hearts", "ace", "suit", "ranks", "both"], kn["steps"])
    p = {"k": k, "kind": kind, "h": rng.randint(0, min(k, 3)), "a": rng.randint(0, min(k, 2))}
    event = {
        "hearts": f"exactly {p['h']} of them are hearts",
        "ace": "at least one of them is an ace",
        "suit": "all of them are of the same suit",
        "ranks": "no two of them have the same rank",
        "both": f"exactly {p['h']} of them are hearts and exactly {p['a']} are aces",
    }[kind]
    text = (
        f"{_NUMW[k].capitalize()} cards are dealt at random, without replacement, from a "
        "standard 52-card deck (4 suits: hearts, diamonds, clubs, spades; 13 ranks each, "
        f"one of which is the ace). What is the probability that {event}? Express your "
        "answer as a common fraction."
    )
    return text, p


def cards_solve(p: dict[str, Any]) -> Any:
    k, kind = p["k"], p["kind"]
    total = math.comb(52, k)
    if kind == "suit":
        fav = 4 * math.comb(13, k)
    elif kind == "ranks":
        fav = math.comb(13, k) * 4**k
    else:
        # categories: ace of hearts (1), other hearts (12), other aces (3), rest (36)
        fav = 0
        for ah in (0, 1):
            for oh in range(k - ah + 1):
                for oa in range(k - ah - oh + 1):
                    rest = k - ah - oh - oa
                    hearts, aces = ah + oh, ah + oa
                    ok = {
                        "hearts": hearts == p["h"],
                        "ace": aces >= 1,
                        "both": hearts == p["h"] and aces == p["a"],
                    }[kind]
                    if ok:
                        fav += (
                            math.comb(1, ah)
                            * math.comb(12, oh)
                            * math.comb(3, oa)
                            * math.comb(36, rest)
                        )
    return _rat(Fraction(fav, total)) if 0 < fav < total else None


# --- coins --------------------------------------------------------------------------------
def coins_build(kn: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
    n = rng.randint(3, 4 + 2 * kn["count"])
    biased = kn["steps"] >= 2 and rng.random() < 0.6
    num, den = (rng.randint(1, 4), 5) if biased else (1, 2)
    kind = pick_kind(rng, ["exact", "atleast", "norun", "atleast_first"], kn["steps"])
    p = {"n": n, "num": num, "den": den, "kind": kind, "h": rng.randint(1, n - 1)}
    p["r"] = rng.randint(2, 3)
    coin = "A fair coin" if not biased else f"A coin that lands heads with probability {num}/{den}"
    event = {
        "exact": f"heads comes up exactly {p['h']} times",
        "atleast": f"heads comes up at least {p['h']} times",
        "norun": f"there are never {p['r']} heads in a row",
        "atleast_first": f"the first flip is tails and heads comes up at least {p['h']} times",
    }[kind]
    text = (
        f"{coin} is flipped {n} times, independently. What is the probability that {event}? "
        "Express your answer as a common fraction."
    )
    return text, p


def coins_solve(p: dict[str, Any]) -> Any:
    ph = Fraction(p["num"], p["den"])
    # state: (heads so far, current run of heads, first flip was tails)
    states: dict[tuple[int, int, bool], Fraction] = {(0, 0, False): Fraction(1)}
    for i in range(p["n"]):
        new: dict[tuple[int, int, bool], Fraction] = {}
        for (h, run, ft), pr in states.items():
            for head, q in ((True, ph), (False, 1 - ph)):
                key = (h + head, run + 1 if head else 0, ft or (i == 0 and not head))
                if p["kind"] == "norun" and key[1] >= p["r"]:
                    continue
                new[key] = new.get(key, Fraction(0)) + pr * q
        states = new
    test = {
        "exact": lambda h, ft: h == p["h"],
        "atleast": lambda h, ft: h >= p["h"],
        "norun": lambda h, ft: True,
        "atleast_first": lambda h, ft: ft and h >= p["h"],
    }[p["kind"]]
    prob = sum((pr for (h, _, ft), pr in states.items() if test(h, ft)), Fraction(0))
    return _rat(prob) if 0 < prob < 1 else None


FAMILIES = (
    Family("committee", committee_build, committee_solve),
    Family("dice", dice_build, dice_solve),
    Family("cards", cards_build, cards_solve),
    Family("coins", coins_build, coins_solve),
    Family("row", row_build, row_solve),
    Family("divisibility", divis_build, divis_solve),
)
