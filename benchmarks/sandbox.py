"""Latency of the code sandbox in every isolation mode this machine offers.

For each mode: median and p95 wall time of running `print(1)` through the Executor
(target: median under 60 ms), the overhead of a 0.5 s CPU-bound snippet over its own
0.5 s, and, in the same run, a plain `python -I -c 'print(1)'` subprocess as the
baseline (the ratio is what the sandbox costs on this machine at this load).

    python benchmarks/sandbox.py [--runs 40]
"""

from __future__ import annotations

import argparse
import logging
import resource
import statistics
import subprocess
import sys
import time

from codesteer_cli.sandbox import MODES, Executor, Limits
from codesteer_cli.sandbox.isolation import _candidate

BUSY = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5:\n    pass\n"


def _p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


def _cpu() -> float:
    """CPU seconds of all finished children (the sandbox's processes included): a cost
    that, unlike wall time, hardly depends on how busy the machine is."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _plain(runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-c", "print(1)"], capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()
    logging.getLogger("codesteer.sandbox").setLevel(logging.ERROR)  # none's warnings
    print(
        f"{'mode':11} {'print(1) median':>16} {'p95':>8} {'plain python':>13} {'ratio':>6} "
        f"{'CPU/run':>8} {'plain CPU':>9} {'0.5 s CPU: overhead':>20}"
    )
    for mode in MODES:
        if mode != "none":
            iso, why = _candidate(mode)
            if iso is None:
                print(f"{mode:11} not available here ({why})")
                continue
        ex = Executor(Limits(wall_s=10), workers=1, isolation=mode)
        ex.run("print(1)")  # warm the page cache
        quick, plain, cpu, plain_cpu = [], [], 0.0, 0.0
        for _ in range(args.runs):  # interleaved with the baseline: the same load for both
            c0, t0 = _cpu(), time.perf_counter()
            r = ex.run("print(1)")
            quick.append(time.perf_counter() - t0)
            c1 = _cpu()
            cpu += c1 - c0
            assert r.stdout.strip() == "1", r
            plain.append(_plain(1))
            plain_cpu += _cpu() - c1
        busy = []
        for _ in range(max(3, args.runs // 8)):
            t0 = time.perf_counter()
            ex.run(BUSY)
            busy.append(time.perf_counter() - t0 - 0.5)
        med, base = 1000 * statistics.median(quick), 1000 * statistics.median(plain)
        print(
            f"{mode:11} {med:13.1f} ms {1000 * _p95(quick):6.1f} ms {base:10.1f} ms "
            f"{med / base:6.2f} {1000 * cpu / args.runs:5.1f} ms "
            f"{1000 * plain_cpu / args.runs:6.1f} ms {1000 * statistics.median(busy):17.1f} ms   "
            f"[print(1) median < 60 ms: {'OK' if med < 60 else 'MISSED'}]"
        )


if __name__ == "__main__":
    main()
