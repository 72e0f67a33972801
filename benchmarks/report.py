"""How fast `codesteer report` answers on a store with 100k turns.

Builds a realistic SQLite store (default: 5 steer runs × 2,000 test samples over 25 tasks
and 10 complexity levels = 10,000 episodes, 10 turns each = 100,000 turns with message
payloads, ~2 code executions per episode), then times the report: in-process (store →
aggregated tables → text) and as the real command in a fresh process.

    python benchmarks/report.py                 # build in a temp folder, time, print
    python benchmarks/report.py --db path.db    # keep the store
    python benchmarks/report.py --episodes 2000 # smaller
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

METHODS = ("codesteer", "only_question", "all_code", "all_text", "code_interpreter")
# Rough success level and code habit of each method, to make the numbers look like runs.
_SKILL = {
    "codesteer": (0.80, 0.75),
    "only_question": (0.50, 0.10),
    "all_code": (0.65, 0.95),
    "all_text": (0.48, 0.02),
    "code_interpreter": (0.62, 0.55),
}
_FILLER = (
    "Consider the constraints carefully. We enumerate candidates and check each one "
    "against every rule of the puzzle; the answer must be wrapped as <<<answer>>>. "
)


def _text(rng: random.Random, n: int) -> str:
    reps = n // len(_FILLER) + 1
    start = rng.randrange(len(_FILLER))
    return (_FILLER * reps)[start : start + n]


def build_store(
    path: Path,
    episodes: int = 10_000,
    turns_per_episode: int = 10,
    runs: int = 5,
    tasks: int = 25,
    payload: int = 1_200,
    seed: int = 0,
) -> dict[str, int]:
    """Write a migrated store at `path` with `episodes` episodes spread over `runs` runs."""
    from sqlalchemy import insert

    from codesteer_cli.reporting.compare import TASK_INFO
    from codesteer_cli.store.db import Store, resolve_url
    from codesteer_cli.store.models import (
        CodeExecutionRow,
        EpisodeRow,
        RunRow,
        SampleRow,
        TurnRow,
    )

    rng = random.Random(seed)
    store = Store(resolve_url(str(path)))
    store.upgrade()
    seen = [t for t, (sp, _) in TASK_INFO.items() if sp == "seen" and t != "sokoban"]
    unseen = [t for t, (sp, _) in TASK_INFO.items() if sp == "unseen"]
    n_unseen = min(len(unseen), max(1, tasks // 4))
    task_ids = seen[: tasks - n_unseen] + unseen[:n_unseen]
    per_run = episodes // runs
    n_samples = per_run
    now = datetime(2026, 11, 1, tzinfo=UTC)

    samples = []
    for i in range(n_samples):
        task = task_ids[i % len(task_ids)]
        cx = 1 + (i // len(task_ids)) % 10
        q = f"[{task} #{i} c{cx}] " + _text(rng, 600)
        samples.append(
            {
                "id": i + 1,
                "task": task,
                "split": "test",
                "complexity": cx,
                "seed": i,
                "origin": "generated",
                "question": q,
                "data": {"n": i},
                "answer": f"<<<{i}>>>",
                "content_hash": hashlib.sha256(f"{task}\x00{q}".encode()).hexdigest(),
                "created_at": now,
            }
        )
    run_rows, ep_rows, turn_rows, code_rows = [], [], [], []
    ep_id = turn_id = code_id = 0
    for r in range(runs):
        method = METHODS[r % len(METHODS)]
        skill, code_habit = _SKILL[method]
        run_id = r + 1
        started = now + timedelta(hours=r)
        run_rows.append(
            {
                "id": run_id,
                "name": f"bench-{method}-{r}",
                "kind": "steer",
                "status": "finished",
                "config": {
                    "method": method,
                    "task_model": "openai:gpt-4o",
                    "guide": "hf:codesteer-8b" if method == "codesteer" else None,
                    "tasks": task_ids,
                    "split": "test",
                    "max_rounds": 5,
                    "prompts": "default@1",
                },
                "code_version": "bench",
                "prompt_version": "default@1",
                "price_table_date": "2026-10-01",
                "started_at": started,
                "finished_at": started + timedelta(minutes=50),
                "summary": None,
                "error": None,
            }
        )
        for s in samples[:per_run]:
            ep_id += 1
            cx = s["complexity"]
            p = max(0.02, min(0.98, skill + 0.25 - 0.05 * cx))
            failed = rng.random() < 0.01
            solved = rng.random() < p
            score = (
                1.0
                if solved
                else (rng.random() * 0.8 if s["task"] in ("boxlift", "boxnet") else 0.0)
            )
            n_turns = turns_per_episode
            rounds = max(1, n_turns // 3)
            modes = ["code" if rng.random() < code_habit else "text" for _ in range(rounds)]
            ep_rows.append(
                {
                    "id": ep_id,
                    "run_id": run_id,
                    "sample_id": s["id"],
                    "repeat": 0,
                    "method": method,
                    "status": "failed" if failed else "finished",
                    "rounds": rounds,
                    "final_answer": "<<<x>>>",
                    "score": None if failed else score,
                    "text_score": None if failed else score,
                    "code_score": None if failed else 0.0,
                    "passed_by": "none" if not solved else rng.choice(["text", "code", "both"]),
                    "partial": 0 < score < 1,
                    "stop_reason": rng.choice(["return", "max_rounds", "terminate"]),
                    "error": "RateLimitError" if failed else None,
                    "extra": {"answer_modes": modes},
                    "started_at": started,
                    "finished_at": started,
                    "duration_s": rng.uniform(5, 60),
                }
            )
            for k in range(n_turns):
                turn_id += 1
                role = (
                    ("guide", "task", "checker")[k % 3]
                    if method == "codesteer"
                    else ("task" if k % 2 == 0 else "checker")
                )
                mode = modes[min(k // 3, rounds - 1)]
                has_code = role == "task" and mode == "code"
                turn_rows.append(
                    {
                        "id": turn_id,
                        "episode_id": ep_id,
                        "seq": k,
                        "round": k // 3,
                        "role": role,
                        "model": "hf:codesteer-8b" if role == "guide" else "openai:gpt-4o",
                        "messages": [
                            {"role": "system", "content": _text(rng, payload // 4)},
                            {"role": "user", "content": s["question"][: payload // 2]},
                        ],
                        "response": _text(rng, payload // 2)
                        + ("\n```python\nprint(42)\n```" if has_code else ""),
                        "params": {"temperature": 0},
                        "tokens_in": rng.randint(300, 2500),
                        "tokens_out": rng.randint(40, 700),
                        "latency_s": rng.uniform(0.3, 6.0),
                        "cost_usd": None if rng.random() < 0.01 else rng.uniform(1e-4, 2e-2),
                        "cached": rng.random() < 0.05,
                        "error": None,
                        # The engine keeps each answer's verdict ("correct") in extra.
                        "extra": (
                            {"has_code": has_code, "mode": mode, "correct": solved}
                            if role == "task"
                            else {}
                        ),
                        "created_at": started,
                    }
                )
                if has_code or (role == "checker" and rng.random() < 0.5):
                    code_id += 1
                    code_rows.append(
                        {
                            "id": code_id,
                            "episode_id": ep_id,
                            "turn_id": turn_id,
                            "purpose": "answer" if has_code else "self_check",
                            "code": "print(42)\n" * 10,
                            "stdout": "42\n",
                            "stderr": "",
                            "exit_status": 0,
                            "timed_out": False,
                            "duration_s": rng.uniform(0.05, 2.0),
                            "stdout_truncated": False,
                            "stderr_truncated": False,
                            "isolation": "process",
                            "created_at": started,
                        }
                    )
    with store.engine.begin() as conn:
        for model, rows in (
            (SampleRow, samples),
            (RunRow, run_rows),
            (EpisodeRow, ep_rows),
            (TurnRow, turn_rows),
            (CodeExecutionRow, code_rows),
        ):
            for i in range(0, len(rows), 5_000):
                conn.execute(insert(model), rows[i : i + 5_000])
    store.engine.dispose()
    store.read_engine.dispose()
    return {
        "runs": len(run_rows),
        "samples": len(samples),
        "episodes": len(ep_rows),
        "turns": len(turn_rows),
        "code_executions": len(code_rows),
    }


def time_in_process(db: Path, repeats: int = 3) -> dict[str, float]:
    """Median seconds (wall and CPU): the default report rendered as text; with a diff."""
    from codesteer_cli.reporting.compare import resolve_compare
    from codesteer_cli.reporting.model import build_report
    from codesteer_cli.reporting.queries import default_runs
    from codesteer_cli.reporting.render import render_text
    from codesteer_cli.store.db import Store, resolve_url

    store = Store(resolve_url(str(db)))
    paper = resolve_compare("paper")
    samples: dict[str, list[float]] = {}

    def timed(name: str, fn: Any) -> None:
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        samples.setdefault(name, []).append(time.perf_counter() - w0)
        samples.setdefault(name + "_cpu", []).append(time.process_time() - c0)

    def plain() -> None:
        render_text(build_report(store, default_runs(store), paper))

    def with_diff() -> None:
        runs = default_runs(store)
        render_text(build_report(store, runs, paper, diffs=[(runs[0], runs[1])]))

    for _ in range(repeats):
        timed("report", plain)
        timed("report_with_diff", with_diff)
    return {k: statistics.median(v) for k, v in samples.items()}


def time_cli(db: Path, *args: str) -> float:
    """Wall seconds of the real command in a fresh process (imports included)."""
    return cli_times(db, *args)[0]


def cli_times(db: Path, *args: str) -> tuple[float, float]:
    """(wall, CPU) seconds of the real command in a fresh process (imports included).

    CPU (user + system of the child) is what the command costs; wall also counts waiting
    for a core, which on a shared 2-core machine can double it.
    """
    import resource

    env = {**os.environ, "CODESTEER_DB": str(db)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "codesteer_cli.app", "report", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"codesteer report failed: {r.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="store to build (default: a temp file)")
    ap.add_argument("--episodes", type=int, default=10_000)
    ap.add_argument("--turns", type=int, default=10, help="turns per episode")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.db"
        if db.exists():
            raise SystemExit(f"{db} exists; give a new path")
        t0 = time.perf_counter()
        counts = build_store(db, args.episodes, args.turns, args.runs)
        build_s = time.perf_counter() - t0
        size_mb = db.stat().st_size / 1e6
        from codesteer_cli.store.db import Store, resolve_url

        empty = Path(tmp) / "empty.db"
        Store(resolve_url(str(empty))).upgrade()
        best = {
            name: min((cli_times(path, *a) for _ in range(3)), key=lambda t: t[0])
            for name, path, a in (
                ("cli_report", db, ("--compare", "paper")),
                ("cli_report_md", db, ("--format", "md")),
                ("cli_empty_store", empty, ("--compare", "paper")),
            )
        }
        figures: dict[str, float | int] = {
            **counts,
            "store_mb": round(size_mb, 1),
            "build_s": round(build_s, 2),
            **{k: round(v, 3) for k, v in time_in_process(db).items()},
            **{f"{k}_wall_s": round(v[0], 3) for k, v in best.items()},
            **{f"{k}_cpu_s": round(v[1], 3) for k, v in best.items()},
            "load_average_1m": round(os.getloadavg()[0], 2),
            "cpus": os.cpu_count() or 0,
        }
        if args.json:
            print(json.dumps(figures, indent=2))
            return
        print(
            f"store: {counts['runs']} runs, {counts['samples']:,} samples, "
            f"{counts['episodes']:,} episodes, {counts['turns']:,} turns, "
            f"{counts['code_executions']:,} code executions, {size_mb:.0f} MB "
            f"(built in {build_s:.1f} s)"
        )
        lines = [
            (
                "report in-process (SQL aggregation + tables + text)",
                figures["report"],
                figures["report_cpu"],
            ),
            (
                "  with a paired bootstrap diff (10,000 resamples)",
                figures["report_with_diff"],
                figures["report_with_diff_cpu"],
            ),
        ]
        for name, label in (
            ("cli_report", "codesteer report --compare paper (fresh process)"),
            ("cli_report_md", "codesteer report --format md (fresh process)"),
            ("cli_empty_store", "  --compare paper on an empty store (start-up)"),
        ):
            lines.append((label, figures[f"{name}_wall_s"], figures[f"{name}_cpu_s"]))
        for label, wall, cpu in lines:
            extra = f"  (CPU {cpu:.3f} s)"
            print(f"{label + ':':<56}{wall:.3f} s{extra}")
        print(
            f"machine: {figures['cpus']} CPUs, load average {figures['load_average_1m']} "
            "(wall times on a busy machine include waiting for a core)"
        )


if __name__ == "__main__":
    main()
