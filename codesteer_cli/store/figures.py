"""Per-run figures, aggregated in the database: what `steer`, `runs`, `synthesize` and
`db status` show. (The report's own queries are in `reporting/queries.py`.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import case, func
from sqlmodel import col, select

from codesteer_cli.store.db import Store
from codesteer_cli.store.models import EpisodeRow, RunRow, SampleRow, TurnRow

_FINISHED = EpisodeRow.status == "finished"


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


def _tokens() -> object:
    return func.sum(func.coalesce(TurnRow.tokens_in, 0) + func.coalesce(TurnRow.tokens_out, 0))


def _unknown_prices() -> object:
    return func.sum(case((col(TurnRow.cost_usd).is_(None), 1), else_=0))


def task_summaries(store: Store, run_id: int) -> list[TaskSummary]:
    """One line per task of a run: episodes, success, rounds, tokens, cost, time."""
    q = (
        select(
            SampleRow.task,
            func.count(),
            func.sum(case((_FINISHED, 1), else_=0)),
            func.sum(case((EpisodeRow.status == "failed", 1), else_=0)),
            func.sum(case(((col(EpisodeRow.score) >= 1.0) & _FINISHED, 1), else_=0)),
            func.avg(case((_FINISHED, EpisodeRow.rounds))),
            func.avg(case((_FINISHED, EpisodeRow.duration_s))),
        )
        .join(SampleRow, col(SampleRow.id) == EpisodeRow.sample_id)
        .where(EpisodeRow.run_id == run_id)
        .group_by(SampleRow.task)
    )
    tok = (
        select(
            SampleRow.task, TurnRow.role, _tokens(), func.sum(TurnRow.cost_usd), _unknown_prices()
        )
        .join(EpisodeRow, col(EpisodeRow.id) == TurnRow.episode_id)
        .join(SampleRow, col(SampleRow.id) == EpisodeRow.sample_id)
        .where(EpisodeRow.run_id == run_id, _FINISHED)
        .group_by(SampleRow.task, TurnRow.role)
    )
    with store.read() as s:
        rows = s.exec(q).all()
        trows = s.exec(tok).all()
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


@dataclass
class RunProgress:
    run: RunRow
    episodes: int = 0
    finished: int = 0
    solved: int = 0


def list_runs(store: Store, kind: str | None = None, limit: int = 30) -> list[RunProgress]:
    """The newest runs with their episode counts."""
    q = select(RunRow).order_by(col(RunRow.id).desc()).limit(limit)
    if kind:
        q = q.where(RunRow.kind == kind)
    with store.read() as s:
        runs = list(s.exec(q).all())
        ids = [r.id for r in runs]
        agg = (
            select(
                EpisodeRow.run_id,
                func.count(),
                func.sum(case((_FINISHED, 1), else_=0)),
                func.sum(case((_FINISHED & (col(EpisodeRow.score) >= 1), 1), else_=0)),
            )
            .where(col(EpisodeRow.run_id).in_(ids))
            .group_by(EpisodeRow.run_id)
        )
        counts = {r: (int(n), int(f or 0), int(ok or 0)) for r, n, f, ok in s.exec(agg).all()}
    return [RunProgress(r, *counts.get(r.id, (0, 0, 0))) for r in runs]


@dataclass
class RunCosts:
    """Model calls, tokens by role and cost of every episode of one run."""

    name: str
    kind: str
    status: str
    episodes: int = 0
    calls: int = 0
    cached_calls: int = 0
    tokens: dict[str, int] = field(default_factory=dict)  # role -> in + out
    cost_usd: float | None = 0.0  # None when some call's price is unknown


def run_costs(store: Store, runs: Sequence[RunRow]) -> list[RunCosts]:
    out = []
    for run in runs:
        ln = RunCosts(run.name, run.kind, run.status)
        with store.read() as s:
            ln.episodes = int(
                s.exec(
                    select(func.count()).select_from(EpisodeRow).where(EpisodeRow.run_id == run.id)
                ).one()
            )
            rows = s.exec(
                select(
                    TurnRow.role,
                    func.count(),
                    func.sum(case((col(TurnRow.cached), 1), else_=0)),
                    _tokens(),
                    func.sum(TurnRow.cost_usd),
                    _unknown_prices(),
                )
                .join(EpisodeRow, col(EpisodeRow.id) == TurnRow.episode_id)
                .where(EpisodeRow.run_id == run.id)
                .group_by(TurnRow.role)
            ).all()
        unknown = False
        cost = 0.0
        for role, n, cached, tokens, c, n_unknown in rows:
            ln.calls += int(n)
            ln.cached_calls += int(cached or 0)
            ln.tokens[role] = int(tokens or 0)
            cost += float(c or 0.0)
            unknown |= bool(n_unknown)
        ln.cost_usd = None if unknown else cost
        out.append(ln)
    return out


def table_counts(store: Store, tables: Sequence[type]) -> dict[str, int]:
    """Rows per table (for `db status`)."""
    out = {}
    with store.read() as s:
        for model in tables:
            out[model.__tablename__] = int(s.exec(select(func.count()).select_from(model)).one())  # type: ignore[attr-defined]
    return out


def turn_count(store: Store, run_id: int) -> int:
    """Model calls recorded for a run's episodes."""
    with store.read() as s:
        q = (
            select(func.count())
            .select_from(TurnRow)
            .join(EpisodeRow, col(EpisodeRow.id) == TurnRow.episode_id)
            .where(EpisodeRow.run_id == run_id)
        )
        return int(s.exec(q).one())
