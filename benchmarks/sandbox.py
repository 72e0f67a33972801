"""Latency of the code sandbox in every isolation mode this machine offers.

For each mode: median and p95 wall time of running `print(1)` (target: median under
60 ms), and the overhead of a 0.5 s CPU-bound snippet over its own 0.5 s.

    python benchmarks/sandbox.py [--runs 40]
"""

from __future__ import annotations

import argparse
import statistics
import time

from codesteer_cli.sandbox.executor import MODES, Executor, Limits, detect_isolation

BUSY = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5:\n    pass\n"


def _p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()
    print(f"{'mode':8} {'print(1) median':>16} {'p95':>8} {'0.5 s CPU: overhead':>20}")
    for mode in MODES:
        if detect_isolation(mode).mode != mode:
            print(f"{mode:8} not available here ({detect_isolation(mode).reason})")
            continue
        ex = Executor(Limits(wall_s=10), workers=1, isolation=mode)
        ex.run("print(1)")  # warm the page cache
        quick = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            r = ex.run("print(1)")
            quick.append(time.perf_counter() - t0)
            assert r.stdout.strip() == "1", r
        busy = []
        for _ in range(max(3, args.runs // 8)):
            t0 = time.perf_counter()
            ex.run(BUSY)
            busy.append(time.perf_counter() - t0 - 0.5)
        med = 1000 * statistics.median(quick)
        print(
            f"{mode:8} {med:13.1f} ms {1000 * _p95(quick):6.1f} ms "
            f"{1000 * statistics.median(busy):17.1f} ms   "
            f"[print(1) median < 60 ms: {'OK' if med < 60 else 'MISSED'}]"
        )


if __name__ == "__main__":
    main()
