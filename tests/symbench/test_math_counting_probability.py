"""math_counting_probability: each family's exact solver agrees with brute force
enumeration and with hand-computed values; answers verify in other equivalent forms."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import sympy

from symbench.core import Sample, get_task
from symbench.tasks import _mathgen_counting as fam
from symbench.tasks._mathgen_counting_extra import divis_holds

TASK = get_task("math_counting_probability")


def test_hand_computed_values() -> None:
    # two dice summing to 7: 6/36
    assert fam.dice_solve(
        {"n": 2, "sides": 6, "kind": "eq", "t": 7, "q": 3, "v": 1}
    ) == sympy.Rational(1, 6)
    # three coin flips, exactly one head: 3/8
    p = {"n": 3, "num": 1, "den": 2, "kind": "exact", "h": 1, "r": 2}
    assert fam.coins_solve(p) == sympy.Rational(3, 8)
    # 5 cards all one suit: 4*C(13,5)/C(52,5) = 33/16660
    assert fam.cards_solve({"k": 5, "kind": "suit", "h": 0, "a": 0}) == sympy.Rational(33, 16660)
    # 1..100 divisible by 2 or 3: 50 + 33 - 16
    assert fam.divis_solve({"limit": 100, "kind": "or", "divs": [2, 3]}) == 67
    # 4 people, Ann and Ben together: 3! * 2 = 12
    assert fam.row_solve({"n": 4, "rules": [["together", 0, 1]]}) == 12


def test_committee_matches_brute_force() -> None:
    rng = random.Random(3)
    for _ in range(25):
        men, women = rng.randint(3, 6), rng.randint(3, 6)
        k = rng.randint(2, 5)
        p = {"men": men, "women": women, "k": k, "min_women": rng.randint(0, 2)}
        p.update(max_men=rng.randint(1, k), apart=rng.random() < 0.5, include=rng.random() < 0.5)
        people = [("m", i) for i in range(men)] + [("w", i) for i in range(women)]
        adam, beth, carol = ("m", 0), ("w", 0), ("w", 1)
        count = 0
        for team in itertools.combinations(people, k):
            w = sum(g == "w" for g, _ in team)
            if w < p["min_women"] or k - w > p["max_men"]:
                continue
            if p["apart"] and adam in team and beth in team or p["include"] and carol not in team:
                continue
            count += 1
        assert fam.committee_solve(p) == (count or None), p


def test_dice_and_coins_match_brute_force() -> None:
    for kind in ("eq", "ge", "max", "distinct", "mult", "given"):
        p = {"n": 3, "sides": 4, "kind": kind, "t": 8, "q": 3, "v": 2}
        rolls = list(itertools.product(range(1, 5), repeat=3))
        if kind == "given":
            pool = [r for r in rolls if 2 in r]
            fav = sum(sum(r) >= 8 for r in pool)
            want = Fraction(fav, len(pool))
        else:
            test = {
                "eq": lambda r: sum(r) == 8,
                "ge": lambda r: sum(r) >= 8,
                "max": lambda r: max(r) == 2,
                "distinct": lambda r: len(set(r)) == 3,
                "mult": lambda r: sum(r) % 3 == 0,
            }[kind]
            want = Fraction(sum(map(test, rolls)), len(rolls))
        assert fam.dice_solve(p) == sympy.Rational(want.numerator, want.denominator), kind
    for kind in ("exact", "atleast", "norun", "atleast_first"):
        p = {"n": 6, "num": 2, "den": 5, "kind": kind, "h": 3, "r": 2}
        total = Fraction(0)
        for flips in itertools.product((1, 0), repeat=6):
            pr = Fraction(1)
            for f in flips:
                pr *= Fraction(2, 5) if f else Fraction(3, 5)
            ok = {
                "exact": sum(flips) == 3,
                "atleast": sum(flips) >= 3,
                "norun": all(not (a and b) for a, b in zip(flips, flips[1:], strict=False)),
                "atleast_first": flips[0] == 0 and sum(flips) >= 3,
            }[kind]
            total += pr if ok else 0
        assert fam.coins_solve(p) == sympy.Rational(total.numerator, total.denominator), kind


def test_cards_match_brute_force_on_three_cards() -> None:
    deck = [(rank, suit) for rank in range(13) for suit in "hdcs"]  # rank 0 = ace
    hands = list(itertools.combinations(deck, 3))
    tests = {
        "hearts": lambda h: sum(s == "h" for _, s in h) == 1,
        "ace": lambda h: any(r == 0 for r, _ in h),
        "suit": lambda h: len({s for _, s in h}) == 1,
        "ranks": lambda h: len({r for r, _ in h}) == 3,
        "both": lambda h: sum(s == "h" for _, s in h) == 1 and sum(r == 0 for r, _ in h) == 1,
    }
    for kind, test in tests.items():
        want = Fraction(sum(map(test, hands)), len(hands))
        got = fam.cards_solve({"k": 3, "kind": kind, "h": 1, "a": 1})
        assert got == sympy.Rational(want.numerator, want.denominator), kind


def test_row_and_divisibility_match_brute_force() -> None:
    rng = random.Random(5)
    for _ in range(20):
        n = rng.randint(4, 6)
        people = list(range(n))
        rng.shuffle(people)
        rules = [["together", people[0], people[1]], ["apart", people[2], people[3]]]
        rules.append(
            rng.choice([["notend", people[-1], 1], ["seat", people[-1], rng.randint(1, n)]])
        )
        rules.append(["before", people[1], people[2]])
        count = 0
        for perm in itertools.permutations(range(n)):
            at = {x: i for i, x in enumerate(perm)}
            ok = abs(at[rules[0][1]] - at[rules[0][2]]) == 1
            ok &= abs(at[rules[1][1]] - at[rules[1][2]]) != 1
            kind, a, seat = rules[2]
            ok &= at[a] not in (0, n - 1) if kind == "notend" else at[a] == seat - 1
            ok &= at[rules[3][1]] < at[rules[3][2]]
            count += ok
        assert fam.row_solve({"n": n, "rules": rules}) == (count or None), rules
    for kind in ("or", "or_not", "exactly_one", "all_not"):
        p = {"limit": 997, "kind": kind, "divs": [4, 6, 9]}
        want = sum(divis_holds(kind, tuple(x % d == 0 for d in p["divs"])) for x in range(1, 998))
        assert fam.divis_solve(p) == (want or None), kind


def test_generated_answer_accepted_in_other_forms() -> None:
    s = Sample(TASK.id, "q", {"family": "dice", "params": {}, "answer": "\\frac{5}{36}"}, "")
    for form in ("5/36", "\\dfrac{5}{36}", "0.1388888888888889", "10/72"):
        assert TASK.verify(s, f"<<<{form}>>>").correct, form
    for form in ("0.14", "5/35", "36/5"):
        verdict = TASK.verify(s, f"<<<{form}>>>")
        assert not verdict.correct and verdict.detail, form


def test_solver_recomputes_from_parameters() -> None:
    s = TASK.generate(6, 11)
    tampered = Sample(s.task, s.question, {**s.data, "answer": "0"}, "")
    assert TASK.solve(tampered) == s.answer  # never reads the stored answer
