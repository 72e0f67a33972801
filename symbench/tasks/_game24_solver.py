"""The search behind `symbench.tasks.game24`: an expression over exactly the given
numbers with + - * / and parentheses that is worth a target, found with exact values.

`find` is target-directed: split the numbers into a part S whose every value is
enumerated (memoized) and the rest C, and ask for the value C must make under each
operator. Up to `COMPLETE` numbers it tries every split (a complete search); with more it
splits off one number at a time, most promising first, under a node budget.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from itertools import combinations

BUDGET = 400  # calls of the recursive search (4+ numbers) before it gives up
COMPLETE = 5  # up to this many numbers the search tries every split


Num = int | Fraction  # exact values; whole ones are kept as int (much faster to hash)


def _q(a: Num, b: Num) -> Num:
    """a / b exactly (b != 0), as an int when whole."""
    if type(a) is int and type(b) is int:
        return a // b if a % b == 0 else Fraction(a, b)
    r = Fraction(a) / b
    return r.numerator if r.denominator == 1 else r


def _w(r: Num) -> Num:
    return r.numerator if type(r) is Fraction and r.denominator == 1 else r


@lru_cache(maxsize=8192)
def values(nums: tuple[Num, ...]) -> dict[Num, str]:
    """Every value the (sorted) numbers can make, using each once, with one expression."""
    if len(nums) == 1:
        return {nums[0]: str(nums[0])}
    out: dict[Num, str] = {}
    seen = set()
    n = len(nums)
    for mask in range(1, 1 << n, 2):  # masks holding index 0: each unordered split once
        if mask == (1 << n) - 1:
            continue
        a = tuple(nums[i] for i in range(n) if mask >> i & 1)
        b = tuple(nums[i] for i in range(n) if not mask >> i & 1)
        if (a, b) in seen:
            continue
        seen.add((a, b))
        for x, ex in values(a).items():
            for y, ey in values(b).items():
                for v, e in _combine(x, ex, y, ey):
                    out.setdefault(v, e)
    return out


def _combine(x: Num, ex: str, y: Num, ey: str) -> list[tuple[Num, str]]:
    res = [(_w(x + y), f"({ex}+{ey})"), (_w(x * y), f"({ex}*{ey})")]
    res += [(_w(x - y), f"({ex}-{ey})"), (_w(y - x), f"({ey}-{ex})")]
    if y:
        res.append((_q(x, y), f"({ex}/{ey})"))
    if x:
        res.append((_q(y, x), f"({ey}/{ex})"))
    return res


def find(numbers: list[int], target: int, budget: int = BUDGET) -> str | None:
    """An expression over exactly `numbers` worth `target`, or None (also on budget)."""
    return _find(tuple(sorted(numbers)), target, budget)


@lru_cache(maxsize=512)
def _find(numbers: tuple[int, ...], target: int, budget: int) -> str | None:
    failed: set[tuple[tuple[Num, ...], Num]] = set()
    calls = [0]

    def rec(nums: tuple[Num, ...], t: Num) -> str | None:
        if len(nums) <= 3:
            return values(nums).get(t)
        if (nums, t) in failed:
            return None
        calls[0] += 1
        if calls[0] > budget:
            raise TimeoutError
        n = len(nums)
        if n > COMPLETE:
            for x, rest, need, fmt in _peels(nums, t):
                ec = rec(rest, need)
                if ec is not None:
                    return fmt.format(s=str(x), c=ec)
            failed.add((nums, t))
            return None
        for k in range(1, n // 2 + 1):
            done = set()
            for idx in combinations(range(n), k):
                s = tuple(nums[i] for i in idx)
                if s in done:
                    continue
                done.add(s)
                c = tuple(nums[i] for i in range(n) if i not in idx)
                for v, es in values(s).items():
                    if v == 0 and t == 0:  # zero times anything
                        return f"({es}*({'+'.join(map(str, c))}))"
                    for need, fmt in _needs(v, t):
                        ec = rec(c, need)
                        if ec is not None:
                            return fmt.format(s=es, c=ec)
        failed.add((nums, t))
        return None

    try:
        return rec(numbers, target)
    except TimeoutError:
        return None


def _peels(nums: tuple[Num, ...], t: Num) -> list[tuple[Num, tuple, Num, str]]:
    """Ways to split one number x off: (x, rest, value the rest must make, template),
    most promising first: whole positive values near the sum of the rest, which the rest
    can usually make by adding up and then adjusting."""
    out = []
    for i, x in enumerate(nums):
        if i and nums[i - 1] == x:
            continue
        rest = nums[:i] + nums[i + 1 :]
        total = sum(rest)
        for need, fmt in _needs(x, t):
            score = (type(need) is not int or need <= 0, abs(need - total))
            out.append((score, len(out), x, rest, need, fmt))
    out.sort(key=lambda e: e[:2])
    return [e[2:] for e in out]


def _needs(v: Num, t: Num) -> list[tuple[Num, str]]:
    """For a part worth v, the value the other part c needs for `v op c` to make t."""
    out = [(_w(t - v), "({s}+{c})"), (_w(v - t), "({s}-{c})"), (_w(t + v), "({c}-{s})")]
    if v:
        out += [(_q(t, v), "({s}*{c})"), (_w(t * v), "({c}/{s})")]
        if t:
            out.append((_q(v, t), "({s}/{c})"))
    return out
