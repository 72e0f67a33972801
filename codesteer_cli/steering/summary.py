"""Per-task figures of one run, aggregated in the database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func
from sqlmodel import select

from codesteer_cli.store.db import Store
from codesteer_cli.store.models import EpisodeRow, SampleRow, TurnRow


@dataclass
class TaskSummary:
    task: str
    episodes: int
    finished: int
    failed: int
    solved: int
    mean_rounds: float
    task_tokens: float  # per finished episode
    guide_tokens: float
    cost_usd: float | None  # None when some call's price is unknown
    seconds: float  # wall time per finished episode

    @property
    def success(self) -> float:
        return 100.0 * self.solved / self.finished if self.finished else 0.0


def run_summary(store: Store, run_id: int) -> list[TaskSummary]:
    fin = EpisodeRow.status == "finished"
    q = (
        select(
            SampleRow.task,
            func.count(),
            func.sum(case((fin, 1), else_=0)),
            func.sum(case((EpisodeRow.status == "failed", 1), else_=0)),
            func.sum(case(((EpisodeRow.score >= 1.0) & fin, 1), else_=0)),
            func.avg(case((fin, EpisodeRow.rounds))),
            func.avg(case((fin, EpisodeRow.duration_s))),
        )
        .join(SampleRow, SampleRow.id == EpisodeRow.sample_id)
        .where(EpisodeRow.run_id == run_id)
        .group_by(SampleRow.task)
    )
    tok = (
        select(
            SampleRow.task,
            TurnRow.role,
            func.sum(func.coalesce(TurnRow.tokens_in, 0) + func.coalesce(TurnRow.tokens_out, 0)),
            func.sum(TurnRow.cost_usd),
            func.sum(case((TurnRow.cost_usd.is_(None), 1), else_=0)),  # type: ignore[union-attr]
        )
        .join(EpisodeRow, EpisodeRow.id == TurnRow.episode_id)
        .join(SampleRow, SampleRow.id == EpisodeRow.sample_id)
        .where(EpisodeRow.run_id == run_id, fin)
        .group_by(SampleRow.task, TurnRow.role)
    )
    with store.read() as s:
        rows = s.exec(q).all()  # type: ignore[call-overload]
        trows = s.exec(tok).all()  # type: ignore[call-overload]
    tokens: dict[tuple[str, str], int] = {}
    cost: dict[str, float] = {}
    unknown: set[str] = set()
    for task, role, n, c, n_unknown in trows:
        tokens[(task, role)] = int(n or 0)
        cost[task] = cost.get(task, 0.0) + float(c or 0.0)
        if n_unknown:
            unknown.add(task)
    out = []
    for task, n, finished, failed, solved, rounds, secs in rows:
        f = int(finished or 0)
        per = max(f, 1)
        task_tok = sum(v for (t, r), v in tokens.items() if t == task and r != "guide")
        out.append(
            TaskSummary(
                task,
                int(n),
                f,
                int(failed or 0),
                int(solved or 0),
                float(rounds or 0),
                task_tok / per,
                tokens.get((task, "guide"), 0) / per,
                None if task in unknown else cost.get(task, 0.0),
                float(secs or 0.0),
            )
        )
    return sorted(out, key=lambda r: r.task)
