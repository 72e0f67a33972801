"""Samples per second of every SymBench task's generator (with its solver, which every
generated sample runs) at complexity 5 and 10.

    python benchmarks/generate.py [--seconds 0.5] [--tasks all]
"""

from __future__ import annotations

import argparse
import time

from symbench.core import select_tasks


def rate(task, complexity: int, budget_s: float) -> float:  # type: ignore[no-untyped-def]
    n, start, seed = 0, time.perf_counter(), 0
    while True:
        task.generate(complexity, seed)
        n += 1
        seed += 1
        elapsed = time.perf_counter() - start
        if elapsed >= budget_s and n >= 3:
            return n / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=0.5, help="time budget per cell")
    ap.add_argument("--tasks", default="all")
    args = ap.parse_args()
    tasks = select_tasks(args.tasks)
    print(f"{'task':32} {'c=5 samples/s':>14} {'c=10 samples/s':>15}")
    slowest = (float("inf"), "")
    for t in tasks:
        r5, r10 = rate(t, 5, args.seconds), rate(t, 10, args.seconds)
        slowest = min(slowest, (r10, t.id))
        print(f"{t.id:32} {r5:14.1f} {r10:15.1f}")
    print(f"{len(tasks)} tasks; slowest at complexity 10: {slowest[1]} ({slowest[0]:.1f}/s)")


if __name__ == "__main__":
    main()
