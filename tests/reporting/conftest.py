"""A real SQLite store with steer runs written as SQLModel rows, as the engine writes them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from codesteer_cli.store.db import Store, resolve_url
from codesteer_cli.store.models import (
    CodeExecutionRow,
    EpisodeRow,
    RunRow,
    SampleRow,
    TurnRow,
)

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@dataclass
class Ep:
    """What one episode did: its score, rounds and answer modes, and call figures."""

    task: str
    index: int  # which sample of the task (same index = same sample across runs)
    score: float
    complexity: int | None = 3
    status: str = "finished"
    modes: Sequence[str] = ("code",)  # one per task-model answer
    guide: bool = True
    checker: bool = True
    task_tokens: tuple[int, int] = (400, 100)  # per task-model answer
    guide_tokens: tuple[int, int] = (300, 20)
    checker_tokens: tuple[int, int] = (200, 50)
    task_latency: float = 2.0
    guide_latency: float = 0.5
    checker_latency: float = 1.0
    code_s: float = 0.25
    self_check_s: float = 0.125
    cost: float | None = 0.001  # per call; None = unknown price
    duration_s: float = 10.0


@dataclass
class StoreBuilder:
    path: Path
    store: Store
    samples: dict[tuple[str, int, int | None], int] = field(default_factory=dict)
    when: datetime = T0

    def sample_id(self, task: str, index: int, complexity: int | None) -> int:
        key = (task, index, complexity)
        if key not in self.samples:
            question = f"{task} question {index} at {complexity}"
            row = SampleRow(
                task=task,
                split="test",
                complexity=complexity,
                seed=index,
                origin="generated" if complexity is not None else f"{task}/sample_{index}",
                question=question,
                data={"index": index},
                answer=f"<<<{index}>>>",
                content_hash=hashlib.sha256(f"{task}\x00{question}".encode()).hexdigest(),
            )
            with self.store.session() as s:
                s.add(row)
                s.flush()
                assert row.id is not None
                self.samples[key] = row.id
        return self.samples[key]

    def run(
        self,
        name: str,
        method: str,
        episodes: Sequence[Ep],
        task_model: str = "openai:gpt-4o",
        guide: str | None = "hf:codesteer-8b",
        status: str = "finished",
    ) -> int:
        self.when += timedelta(hours=1)
        tasks = sorted({e.task for e in episodes})
        with self.store.session() as s:
            run = RunRow(
                name=name,
                kind="steer",
                status=status,
                config={
                    "method": method,
                    "task_model": task_model,
                    "guide": guide,
                    "tasks": tasks,
                    "split": "test",
                    "max_rounds": 5,
                    "prompts": "default@1",
                },
                code_version="test",
                prompt_version="default@1",
                price_table_date="2026-10-01",
                started_at=self.when,
                finished_at=self.when + timedelta(minutes=30) if status == "finished" else None,
            )
            s.add(run)
            s.flush()
            assert run.id is not None
            run_id = run.id
        for e in episodes:
            self._episode(run_id, method, e)
        return run_id

    def _episode(self, run_id: int, method: str, e: Ep) -> None:
        sid = self.sample_id(e.task, e.index, e.complexity)
        finished = e.status == "finished"
        with self.store.session() as s:
            ep = EpisodeRow(
                run_id=run_id,
                sample_id=sid,
                method=method,
                status=e.status,
                rounds=len(e.modes) if finished else 0,
                final_answer="<<<1>>>" if finished else None,
                score=e.score if finished else None,
                text_score=e.score if finished else None,
                code_score=0.0 if finished else None,
                passed_by=("text" if e.score >= 1 else "none") if finished else None,
                partial=finished and 0 < e.score < 1,
                stop_reason="return" if finished else None,
                error=None if finished else "RateLimitError: 429",
                extra={"answer_modes": list(e.modes)},
                started_at=self.when,
                finished_at=self.when + timedelta(seconds=e.duration_s) if finished else None,
                duration_s=e.duration_s if finished else None,
            )
            s.add(ep)
            s.flush()
            seq = 0
            for rnd, mode in enumerate(e.modes):
                calls = []
                if e.guide:
                    calls.append(("guide", e.guide_tokens, e.guide_latency, None))
                calls.append(("task", e.task_tokens, e.task_latency, mode))
                if e.checker:
                    calls.append(("checker", e.checker_tokens, e.checker_latency, None))
                for role, (tin, tout), lat, m in calls:
                    turn = TurnRow(
                        episode_id=ep.id,  # type: ignore[arg-type]
                        seq=seq,
                        round=rnd,
                        role=role,
                        model="hf:codesteer-8b" if role == "guide" else "openai:gpt-4o",
                        messages=[{"role": "user", "content": f"{e.task} round {rnd}"}],
                        response="```python\nprint(1)\n```" if m == "code" else "<<<1>>>",
                        params={"temperature": 0},
                        tokens_in=tin,
                        tokens_out=tout,
                        latency_s=lat,
                        cost_usd=e.cost,
                        cached=False,
                        # as the engine writes it: the answer's verdict ("correct")
                        extra=(
                            {"has_code": m == "code", "mode": m, "correct": e.score >= 1.0}
                            if role == "task"
                            else {}
                        ),
                    )
                    s.add(turn)
                    s.flush()
                    seq += 1
                    if role == "task" and m == "code":
                        s.add(
                            CodeExecutionRow(
                                episode_id=ep.id,
                                turn_id=turn.id,
                                purpose="answer",
                                code="print(1)",
                                stdout="1\n",
                                exit_status=0,
                                duration_s=e.code_s,
                                isolation="process",
                            )
                        )
                    if role == "checker":
                        s.add(
                            CodeExecutionRow(
                                episode_id=ep.id,
                                turn_id=turn.id,
                                purpose="self_check",
                                code="print('Correct')",
                                stdout="Correct\n",
                                exit_status=0,
                                duration_s=e.self_check_s,
                                isolation="process",
                            )
                        )


@pytest.fixture
def cli(db_path: Path):  # type: ignore[no-untyped-def]
    """Invoke the Typer app in-process against this test's store (stdout apart)."""
    from typer.testing import CliRunner

    from codesteer_cli.app import app

    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def builder(db_path: Path) -> StoreBuilder:
    """A migrated store at this test's CODESTEER_DB, and a way to write runs into it."""
    store = Store(resolve_url(str(db_path)))
    store.upgrade()
    return StoreBuilder(db_path, store)


def eps(task: str, scores: Sequence[float], **kw: object) -> list[Ep]:
    """Episodes for samples 0..n-1 of a task with the given scores."""
    return [Ep(task, i, sc, **kw) for i, sc in enumerate(scores)]  # type: ignore[arg-type]


BuildFn = Callable[..., int]
