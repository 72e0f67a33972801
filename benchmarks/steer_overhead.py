"""The steering engine's own cost per turn: store writes, parsing, checkers, scoring.

Model latency and code runtime are excluded: a first run fills the response cache from
an instant stand-in model, then a second run replays every response from the store
(cache hits), and the time spent inside the sandbox is subtracted.
Targets: under 5 ms per turn; 1,000 episodes' store writes under 10 s.

    python benchmarks/steer_overhead.py [--samples 40]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from codesteer_cli.models.base import ChatModel, GenParams, RawReply
from codesteer_cli.models.cache import CachedModel
from codesteer_cli.runs.lifecycle import open_run
from codesteer_cli.runs.settings import EpisodeSettings, ExecutionSettings
from codesteer_cli.sandbox.executor import Executor, Limits
from codesteer_cli.steering import runner
from codesteer_cli.steering.episode import Models
from codesteer_cli.steering.record import EpisodeRecorder
from codesteer_cli.store import episodes, repo
from codesteer_cli.store.db import Store, resolve_url
from codesteer_cli.store.figures import turn_count
from symbench.core import get_task


class InstantModel(ChatModel):
    """Benchmark stand-in: answers at once (a guide that asks for code twice, a task
    model that prints a number, a checker that prints Correct)."""

    local = True
    default_concurrency = None

    def _request(self, messages: list[dict[str, str]], params: GenParams) -> RawReply:
        last = messages[-1]["content"]
        if last.startswith("Here is a question and a proposed answer"):
            text = "```python\nprint('Correct')\n```"
        elif "Decide how the task model should start" in last:
            text = "<<<Code>>>"
        elif "What should the task model do next" in last:
            rounds = sum(m["role"] == "assistant" for m in messages)
            text = "<<<Return Answer>>>" if rounds >= 2 else "<<<Check the factors again.>>>"
        else:
            text = (
                "Compute it.\n```python\nx = 1\nfor i in range(3):\n    x *= 7\n"
                "print(f'<<<{x}>>>')\n```"
            )
        return RawReply(text, 100, 20)


class TimedExecutor(Executor):
    """Adds up the time spent running code, to subtract it."""

    def __init__(self) -> None:
        super().__init__(Limits(wall_s=10))
        self.seconds = 0.0
        self._t = threading.Lock()

    def run(self, code, stdin="", limits=None):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            return super().run(code, stdin, limits)
        finally:
            with self._t:
                self.seconds += time.perf_counter() - t0


def _run(store: Store, name: str, n: int, ex: TimedExecutor) -> tuple[float, int]:
    model = CachedModel(InstantModel("bench:instant"), store)
    cfg = runner.SteerConfig(
        method="codesteer",
        tasks="number_multiply",
        complexity="4",
        limit=n,
        episode=EpisodeSettings(max_rounds=5),
        execution=ExecutionSettings(concurrency=2),
    )
    t0: list[float] = []

    def started(run: object) -> None:  # the run is open, its samples chosen: play starts
        ex.seconds = 0.0
        t0.append(time.perf_counter())

    models = Models(model, [model], executor=ex)
    result = runner.steer(store, cfg, name, models=models, on_open=started)
    wall = time.perf_counter() - t0[0]
    turns = turn_count(store, result.run.id)
    # sandbox time is spread over 2 worker threads running in parallel
    return wall - ex.seconds / cfg.execution.concurrency, turns


def store_writes(store: Store, n_episodes: int) -> float:
    """Seconds to write `n_episodes` episodes of 7 turns and 3 code runs each."""
    from codesteer_cli.models.base import Completion, Usage
    from codesteer_cli.sandbox.executor import ExecResult

    task = get_task("number_multiply")
    samples = [task.generate(6, 10_000 + i) for i in range(n_episodes)]
    repo.add_samples(store, samples)
    cfg = runner.SteerConfig(
        method="codesteer", tasks="number_multiply", complexity="6", limit=n_episodes
    )
    run = open_run(store, cfg, "writes", plan=lambda c, r: runner.STEER.plan(store, c, r, print))
    comp = Completion("x" * 800, Usage(900, 200, 1.0, 0.001), "bench:x")
    res = ExecResult("<<<42>>>\n", "", 0, False, 0.05, "bwrap")
    msgs = [{"role": "user", "content": "q" * 2000}]
    t0 = time.perf_counter()
    for ep, _ in run.todo:
        assert ep.id is not None
        rec = EpisodeRecorder(store, ep.id)
        for i in range(7):
            code = ("answer", "print(42)", res) if i % 2 else None
            rec.turn(["guide", "task"][i % 2], i // 2, msgs, comp, {"t": 0}, {"mode": "code"}, code)
        episodes.set_values(
            store, ep.id, status="finished", score=1.0, rounds=3, extra={"time": rec.tally.time}
        )
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--samples", type=int, default=40)
    ap.add_argument("--episodes", type=int, default=1000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        store = Store(resolve_url(str(Path(d) / "bench.db")))
        store.upgrade()
        ex = TimedExecutor()
        first, turns = _run(store, "fill", args.samples, ex)
        per_turn = []
        for k in range(3):
            engine_s, turns = _run(store, f"replay-{k}", args.samples, ex)
            per_turn.append(1000 * engine_s / turns)
        ms = statistics.median(per_turn)
        print(
            f"engine time per turn (replayed responses, code runtime excluded): "
            f"{ms:.2f} ms over {turns} turns [target < 5 ms] "
            f"{'OK' if ms < 5 else 'MISSED'}"
        )
        print(
            f"  runs: {', '.join(f'{x:.2f}' for x in per_turn)} ms/turn; first run with "
            f"cache misses: {1000 * first / turns:.2f} ms/turn"
        )
        w = store_writes(store, args.episodes)
        print(
            f"store writes for {args.episodes} episodes (7 turns + 3 code runs each): "
            f"{w:.2f} s [target < 10 s] {'OK' if w < 10 else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
