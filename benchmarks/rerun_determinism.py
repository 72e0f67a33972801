"""Do greedy reruns of the embedded task model give the same text? Batched vs one slot.

    python benchmarks/rerun_determinism.py [--model qwen-coder] [--n 16] [--tokens 128]
        [--tasks navigate,date_understanding,web_of_lies,letters] [--json FILE]

The same N SymBench questions (generated, test split, complexity 1, seeds 0..) are sent
twice to `local:<model>` through llama.cpp with 8 slots (steer's default concurrency: the
N requests in flight together, so llama.cpp batches them) and twice with 1 slot (one
request at a time), greedy, with no response cache. It prints, for each engine setting,
how many of the N answers were identical in both passes, how many the two settings agree
on, and the wall time of each pass with the ratio 1 slot / 8 slots. This is the measure
behind the README's "Reruns" paragraph and the Makefile's TASK_CONCURRENCY (one slot: 15
of 16 identical in three runs on the reference machine; 8 slots: 11-12 of 16).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def questions(tasks: list[str], n: int) -> list[str]:
    """N questions, round-robin over `tasks`, from each task's generator."""
    from symbench import get_task

    return [
        get_task(tasks[i % len(tasks)]).generate(1, seed=i // len(tasks)).question for i in range(n)
    ]


def one_pass(model: Any, prompts: list[str], tokens: int, width: int) -> tuple[list[str], float]:
    """Send every prompt, `width` at once; (texts in prompt order, wall seconds)."""

    def ask(q: str) -> str:
        comp = model.complete([{"role": "user", "content": q}], max_tokens=tokens)
        if not comp.ok:
            raise SystemExit(f"the model failed: {comp.error}")
        return comp.text

    start = time.monotonic()
    with ThreadPoolExecutor(width) as pool:
        texts = list(pool.map(ask, prompts))
    return texts, time.monotonic() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="qwen-coder")
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--tasks", default="navigate,date_understanding,web_of_lies,letters")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    from codesteer_cli.models.registry import get_model

    prompts = questions(args.tasks.split(","), args.n)
    runs: dict[str, list[list[str]]] = {}
    times: dict[str, list[float]] = {}
    for label, slots in (("8 slots", 8), ("1 slot", 1)):
        model = get_model(f"local:{args.model}", cache=False, concurrency=slots)
        model.complete([{"role": "user", "content": "Hi"}], max_tokens=1)  # load first
        for _ in range(2):
            texts, wall = one_pass(model, prompts, args.tokens, 8)
            runs.setdefault(label, []).append(texts)
            times.setdefault(label, []).append(wall)

    def differ(a: list[str], b: list[str]) -> list[int]:
        return [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]

    differs = {k: differ(*v) for k, v in runs.items()}
    across = args.n - len(differ(runs["8 slots"][0], runs["1 slot"][0]))
    result = {
        "n": args.n,
        "rerun_identical": {k: args.n - len(d) for k, d in differs.items()},
        "rerun_differs_at": differs,
        "1 slot vs 8 slots (first passes)": across,
        "wall_s": times,
        "slowdown_1_over_8": sum(times["1 slot"]) / sum(times["8 slots"]),
    }
    for label, n_same in result["rerun_identical"].items():
        walls = " / ".join(f"{t:.1f}" for t in times[label])
        where = ", ".join(map(str, differs[label])) or "none"
        print(f"{label:8}  reruns identical {n_same}/{args.n}   wall {walls} s   differ: {where}")
    print(f"1 slot and 8 slots agree on {across}/{args.n}")
    print(f"1 slot / 8 slots wall time: {result['slowdown_1_over_8']:.2f}x")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
