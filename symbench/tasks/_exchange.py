"""Shared engine of the "exchange" games: stocks of named items and methods that consume
some items and produce others, applied in a fixed cyclic order until none applies.

Used by string_synthesis (blocks), string_splitting (machines and parts) and
synthesis_decomposition (crops and products). A method is `{"in": {item: n}, "out":
{item: n}}`. Two schedules exist, both written once here and described in words by
`schedule_text` for the question text:

- "once": visit methods 1, 2, ..., k, 1, 2, ... in turn; a visited method runs one time
  if its inputs are in stock, otherwise it is skipped; stop as soon as no method can run.
- "exhaust": visit methods 1..k in turn; a visited method runs again and again while its
  inputs are in stock; after a full pass over all methods in which nothing ran, stop.
"""

from __future__ import annotations

import re
from typing import Any

from symbench.answers import clean

Method = dict[str, dict[str, int]]

SCHEDULES = ("once", "exhaust")
MAX_RUNS = 100_000


class NoEnd(ValueError):
    """The methods keep running past the step limit (the generator redraws)."""


def can_run(stock: dict[str, int], method: Method) -> bool:
    return all(stock.get(k, 0) >= n for k, n in method["in"].items())


def run_method(stock: dict[str, int], method: Method) -> None:
    for k, n in method["in"].items():
        stock[k] = stock.get(k, 0) - n
    for k, n in method["out"].items():
        stock[k] = stock.get(k, 0) + n


def simulate(
    initial: dict[str, int], methods: list[Method], schedule: str, limit: int = MAX_RUNS
) -> tuple[dict[str, int], int]:
    """Final stock and the number of method runs, following `schedule` exactly."""
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}")
    stock = dict(initial)
    runs = 0
    if schedule == "once":
        i = 0
        while any(can_run(stock, m) for m in methods):
            m = methods[i % len(methods)]
            if can_run(stock, m):
                run_method(stock, m)
                runs += 1
                if runs > limit:
                    raise NoEnd(f"more than {limit} runs")
            i += 1
        return stock, runs
    changed = True
    while changed:
        changed = False
        for m in methods:
            while can_run(stock, m):
                run_method(stock, m)
                runs += 1
                changed = True
                if runs > limit:
                    raise NoEnd(f"more than {limit} runs")
    return stock, runs


def join_words(parts: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def schedule_text(schedule: str, k: int) -> str:
    """The procedure in words, for the question text."""
    seq = ", ".join(str(i) for i in range(1, k + 1))
    if schedule == "once":
        return (
            f"The methods are visited in the fixed order {seq}, then again from "
            f"method 1, and so on. When a method is visited it is carried out exactly once "
            f"if everything it needs is available, and skipped otherwise; then the next "
            f"method is visited. The process stops as soon as none of the {k} methods can "
            f"be carried out any more."
        )
    return (
        f"The methods are visited in the fixed order {seq}, then again from "
        f"method 1, and so on. When a method is visited it is carried out repeatedly, as "
        f"many times in a row as its inputs allow, before moving on to the next method. "
        f"The process stops after a complete pass over methods 1 to {k} in which no "
        f"method could be carried out."
    )


def final_vector(data: dict[str, Any]) -> list[int]:
    stock, _ = simulate(data["initial"], data["methods"], data["schedule"])
    return [stock.get(k, 0) for k in data["order"]]


def parse_counts(answer: str, n: int) -> list[int]:
    """n non-negative integers from text like `1 0 3`, `[1, 0, 3]` or `["1", "0", "3"]`."""
    v = clean(answer)
    if re.search(r"\d\s*\.\s*\d", v):
        raise ValueError("counts must be whole numbers")
    nums = [int(x) for x in re.findall(r"-?\d+", v)]
    if len(nums) != n:
        raise ValueError(f"expected {n} counts, found {len(nums)} in {answer!r}")
    return nums


def check_counts(data: dict[str, Any], answer: str) -> tuple[float, str]:
    want = final_vector(data)
    got = parse_counts(answer, len(want))
    if got == want:
        return 1.0, "exact"
    wrong = [
        f"{k}: expected {w}, got {g}"
        for k, w, g in zip(data["order"], want, got, strict=True)
        if w != g
    ]
    return 0.0, "; ".join(wrong)


def perturb_counts(data: dict[str, Any], rng) -> list[int]:
    vec = final_vector(data)
    i = rng.randrange(len(vec))
    vec[i] = vec[i] + 1 if vec[i] == 0 or rng.random() < 0.5 else vec[i] - 1
    return vec
