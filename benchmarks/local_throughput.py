"""Both local engines × both embedded models at 1, 4, 8, 16 concurrent requests.

    python benchmarks/local_throughput.py [--tokens 128] [--levels 1,4,8,16]
        [--models smollm2,qwen-coder] [--engines llama.cpp,transformers] [--rounds 1]
        [--contention] [--json FILE]

For each (model, engine), in a process of its own (so its peak memory is its own): at
each level N, N threads send one request each at the same moment (a different prompt
asking for a long answer, greedy, `--tokens` new tokens at most). It reports aggregate
tokens/s (generated tokens / wall time), time to first token (the wall time of N
concurrent 1-token requests: prompt processing plus one step, as a request that arrives
with N others sees it) and the process's peak RSS. Ratios are to our transformers path
(`local:<model>@transformers`, batched `generate`) at the same level, in the same run.
The last lines say which engine wins at steer's concurrency (8) and whether each
model's default engine (`engine_choice` in providers/embedded.py) is that one.

`--contention` measures the cores shared with the sandbox: a CPU-bound snippet (the
kind of code the sandbox runs) timed alone and while the default engine serves 8
requests, and the engine's tok/s with and without the snippet running, for llama.cpp on
2 threads with passive waits (the default), on 1 thread, and with spinning waits.
Run it on an idle machine (`uptime` is printed: the load changes the figures 2-4x).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TOPICS = [
    "a lighthouse keeper",
    "the history of bridges",
    "a robot learning to paint",
    "how volcanoes form",
    "a journey across a desert",
    "the life of honeybees",
    "a city under the sea",
    "the invention of the printing press",
    "a chess tournament",
    "why the sky is blue",
    "a winter in the mountains",
    "the first flight to the moon",
    "a lost dog finding home",
    "how computers store numbers",
    "a market in an old town",
    "the water cycle",
]
ENGINES = ("llama.cpp", "transformers")
MODELS = ("smollm2", "qwen-coder")
STEER_CONCURRENCY = 8
SNIPPET = "s = 0\nfor i in range(2_000_000):\n    s += i * i % 7\nprint(s)\n"


_WAVES = iter(range(1 << 30))


def prompt(i: int, wave_no: int = 0) -> list[dict[str, str]]:
    """Request i of a wave; the wave number up front keeps llama.cpp's prompt cache from
    serving a prompt it processed in an earlier wave (transformers has none)."""
    topic = TOPICS[i % 16]
    return [{"role": "user", "content": f"[{wave_no}] Write a long, detailed essay about {topic}."}]


def wave(model: Any, n: int, tokens: int) -> tuple[float, int, int, float]:
    """n concurrent requests: (aggregate tokens/s, tokens generated, failures, wall s)."""
    results: list[Any] = [None] * n
    barrier = threading.Barrier(n + 1)
    wave_no = next(_WAVES)

    def call(i: int) -> None:
        barrier.wait()
        results[i] = model.complete(prompt(i, wave_no), max_tokens=tokens, temperature=0.0)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.monotonic()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    failed = sum(1 for r in results if not r.ok)
    generated = sum(r.usage.tokens_out or 0 for r in results if r.ok)
    return generated / wall, generated, failed, wall


def measure(
    model: Any, levels: list[int], tokens: int, rounds: int, ttft: bool = False
) -> dict[int, dict]:
    """Per level: tok_s, tokens, failed, generate_calls (transformers), ttft_s."""
    wave(model, 1, 8)  # warm-up
    out: dict[int, dict] = {}
    for n in levels:
        calls_before = getattr(model, "generate_calls", None)
        runs = [wave(model, n, tokens) for _ in range(rounds)]
        calls = getattr(model, "generate_calls", None)
        out[n] = {
            "tok_s": statistics.median(r[0] for r in runs),
            "tokens": int(statistics.median(r[1] for r in runs)),
            "failed": sum(r[2] for r in runs),
            "generate_calls": None if calls is None else (calls - calls_before) / rounds,
        }
        if ttft:
            out[n]["ttft_s"] = wave(model, n, 1)[3]
    return out


def peak_rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child(name: str, engine: str, levels: list[int], tokens: int, rounds: int) -> dict:
    from codesteer_cli.models import get_model

    start = time.monotonic()
    model = get_model(f"local:{name}@{engine}", concurrency=max(levels))
    ready = time.monotonic() - start
    rows = measure(model, levels, tokens, rounds, ttft=True)
    return {
        "model": name,
        "engine": engine,
        "info": model.engine_info(),
        "ready_s": ready,
        "peak_rss_mb": peak_rss_mb(),
        "levels": {str(n): r for n, r in rows.items()},
    }


def contention_child(name: str, engine: str, tokens: int) -> dict:
    """Snippet alone, engine alone, both together (8 requests)."""
    from codesteer_cli.models import get_model

    model = get_model(f"local:{name}@{engine}", concurrency=STEER_CONCURRENCY)
    wave(model, 1, 8)

    def snippet() -> float:
        t = time.monotonic()
        subprocess.run([sys.executable, "-c", SNIPPET], check=True, capture_output=True)
        return time.monotonic() - t

    alone = statistics.median(snippet() for _ in range(3))
    engine_alone = wave(model, STEER_CONCURRENCY, tokens)[0]
    during: list[float] = []
    stop = threading.Event()

    def keep_running() -> None:
        while not stop.is_set():
            during.append(snippet())

    runner = threading.Thread(target=keep_running)
    runner.start()
    engine_during = wave(model, STEER_CONCURRENCY, tokens)[0]
    stop.set()
    runner.join()
    return {
        "snippet_alone_s": alone,
        "snippet_during_s": statistics.median(during) if during else float("nan"),
        "engine_alone_tok_s": engine_alone,
        "engine_during_tok_s": engine_during,
        "info": model.engine_info(),
    }


def run_child(args: list[str], env: dict[str, str] | None = None) -> dict | None:
    cmd = [sys.executable, __file__, *args]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=3600
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        print(f"  {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-1500:]}")
        return None
    return json.loads(lines[-1])


def report(results: list[dict], levels: list[int]) -> None:
    from codesteer_cli.models.providers.embedded import MODELS as CATALOG
    from codesteer_cli.models.providers.embedded import choose_engine

    by = {(r["model"], r["engine"]): r for r in results}
    head = " ".join(f"{n:>7}" for n in levels)
    print(f"\naggregate tok/s ({'/'.join(map(str, levels))} concurrent)")
    print(f"{'model':<11} {'engine':<13} {head}   peak RSS  ready")
    for r in results:
        cells = " ".join(f"{r['levels'][str(n)]['tok_s']:>7.1f}" for n in levels)
        fails = sum(r["levels"][str(n)]["failed"] for n in levels)
        note = f"  {fails} failed" if fails else ""
        print(
            f"{r['model']:<11} {r['engine']:<13} {cells}   {r['peak_rss_mb']:>6.0f} MB"
            f" {r['ready_s']:>5.1f}s{note}"
        )
    print("\ntime to first token, s (N concurrent 1-token requests)")
    for r in results:
        cells = " ".join(f"{r['levels'][str(n)]['ttft_s']:>7.2f}" for n in levels)
        print(f"{r['model']:<11} {r['engine']:<13} {cells}")
    print("\nratio to our transformers path (aggregate tok/s, same level)")
    for r in results:
        base = by.get((r["model"], "transformers"))
        if base is None or r["engine"] == "transformers":
            continue
        cells = " ".join(
            f"{r['levels'][str(n)]['tok_s'] / base['levels'][str(n)]['tok_s']:>6.2f}x"
            for n in levels
        )
        print(f"{r['model']:<11} {r['engine']:<13} {cells}")
    print(f"\nat steer's concurrency ({STEER_CONCURRENCY}):")
    for name in dict.fromkeys(r["model"] for r in results):
        rows = [r for r in results if r["model"] == name and str(STEER_CONCURRENCY) in r["levels"]]
        if not rows:
            continue
        best = max(rows, key=lambda r: r["levels"][str(STEER_CONCURRENCY)]["tok_s"])
        default = choose_engine(CATALOG[name], STEER_CONCURRENCY)
        verdict = "matches" if default == best["engine"] or len(rows) < 2 else "DIFFERS"
        print(f"  {name}: fastest {best['engine']}; default {default} ({verdict})")


def contention(tokens: int) -> None:
    print("\ncores shared with sandboxed code (local:smollm2, 8 concurrent requests)")
    cols = f"{'code alone':>10} {'code during':>12} {'tok/s alone':>12} {'tok/s with code':>16}"
    print(f"{'setting':<34} {cols}")
    configs = [
        ("llama.cpp, 2 threads, passive", "llama.cpp", {}),
        ("llama.cpp, 1 thread (cores-1)", "llama.cpp", {"CODESTEER_THREADS": "1"}),
        ("llama.cpp, 2 threads, spinning", "llama.cpp", {"OMP_WAIT_POLICY": "ACTIVE"}),
        ("transformers (adaptive threads)", "transformers", {}),
    ]
    for label, engine, env in configs:
        r = run_child(["--contention-child", "smollm2", engine, "--tokens", str(tokens)], env)
        if r is None:
            continue
        print(
            f"{label:<34} {r['snippet_alone_s']:>9.2f}s {r['snippet_during_s']:>11.2f}s"
            f" {r['engine_alone_tok_s']:>12.1f} {r['engine_during_tok_s']:>16.1f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tokens", type=int, default=128, help="max new tokens per request")
    ap.add_argument("--levels", default="1,4,8,16", help="concurrency levels")
    ap.add_argument("--rounds", type=int, default=1, help="runs per level (median)")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--contention", action="store_true", help="also the shared-cores test")
    ap.add_argument("--json", help="write every figure here")
    ap.add_argument("--child", nargs=2, metavar=("MODEL", "ENGINE"), help=argparse.SUPPRESS)
    ap.add_argument("--contention-child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    levels = sorted({int(x) for x in args.levels.split(",")})
    if args.child:
        print(json.dumps(child(*args.child, levels, args.tokens, args.rounds)))
        return
    if args.contention_child:
        print(json.dumps(contention_child(*args.contention_child, args.tokens)))
        return

    load = os.getloadavg()
    print(
        f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at "
        f"start; {args.tokens} new tokens per request, greedy; levels {levels}"
    )
    results = []
    for name in args.models.split(","):
        for engine in args.engines.split(","):
            print(f"  measuring local:{name}@{engine} ...", flush=True)
            cmd = ["--child", name, engine, "--levels", args.levels, "--tokens", str(args.tokens)]
            r = run_child([*cmd, "--rounds", str(args.rounds)])
            if r is not None:
                results.append(r)
    report(results, levels)
    if args.contention:
        contention(args.tokens)
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
