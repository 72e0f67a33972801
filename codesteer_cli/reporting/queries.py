"""The report's queries: which steer runs, and their figures aggregated in SQL at the
grain (run, task, complexity). `reporting/model.py` rolls the report up from these cells."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from codesteer_cli.errors import UserError
from codesteer_cli.reporting.compare import method_label

if TYPE_CHECKING:
    from codesteer_cli.store.db import Store


# --- aggregation cells -------------------------------------------------------------------
@dataclass
class Cell:
    """Sums over the episodes of one run in one (task, complexity) cell, or a merge of them.

    Only finished episodes are samples; failed and unfinished ones are only counted.
    """

    samples: int = 0
    failed: int = 0
    unfinished: int = 0
    solved: int = 0
    score_sum: float = 0.0
    partial: int = 0
    rounds_sum: float = 0.0
    wall_sum: float = 0.0
    wall_n: int = 0
    tok_task: float = 0.0
    tok_guide: float = 0.0
    tok_checker: float = 0.0
    turns: int = 0
    cost: float = 0.0
    cost_unknown: int = 0
    cached: int = 0
    lat_task: float = 0.0
    lat_guide: float = 0.0
    lat_checker: float = 0.0
    code_s: float = 0.0
    check_code_s: float = 0.0
    answers: int = 0  # task-model answers whose mode is known
    code_answers: int = 0

    def add(self, other: Cell) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def metrics(self) -> dict[str, Any]:
        n = self.samples

        def per(x: float) -> float | None:
            return x / n if n else None

        known_cost = self.turns - self.cost_unknown
        return {
            "samples": n,
            "failed": self.failed,
            "success": 100.0 * self.solved / n if n else None,
            "mean_score": 100.0 * self.score_sum / n if n else None,
            "rounds": per(self.rounds_sum),
            "task_tokens": per(self.tok_task),
            "guide_tokens": per(self.tok_guide),
            "checker_tokens": per(self.tok_checker),
            "cost_usd": per(self.cost) if known_cost > 0 or self.turns == 0 else None,
            "cost_partial": self.cost_unknown > 0,
            "wall_s": self.wall_sum / self.wall_n if self.wall_n else None,
            "t_task_s": per(self.lat_task),
            "t_guide_s": per(self.lat_guide),
            "t_code_s": per(self.code_s),
            "t_checker_s": per(self.lat_checker + self.check_code_s),
            "code_share": 100.0 * self.code_answers / self.answers if self.answers else None,
            "cached_turns": self.cached,
        }


@dataclass
class RunInfo:
    id: int
    name: str
    kind: str
    status: str
    config: dict[str, Any]
    started_at: datetime | None
    finished_at: datetime | None
    price_table_date: str | None
    host: dict[str, Any] | None = None  # the machine that finished it (runs.host)

    @property
    def method(self) -> str:
        return str(self.config.get("method") or "?")

    @property
    def task_model(self) -> str:
        return str(self.config.get("task_model") or "?")

    @property
    def guide(self) -> str | None:
        g = self.config.get("guide")
        return str(g) if g else None

    @property
    def config_key(self) -> tuple[str, str, str]:
        return (self.method, self.task_model, self.guide or "")

    @property
    def title(self) -> str:
        t = f"{method_label(self.method)} · {self.task_model}"
        return t + (f" · guide {self.guide}" if self.guide else "")


# --- run selection -----------------------------------------------------------------------
def _run_info(row: Any) -> RunInfo:
    return RunInfo(
        id=row.id,
        name=row.name,
        kind=row.kind,
        status=row.status,
        config=dict(row.config or {}),
        started_at=row.started_at,
        finished_at=row.finished_at,
        price_table_date=row.price_table_date,
        host=_host(row.summary),
    )


def _host(summary: Any) -> dict[str, Any] | None:
    h = summary.get("host") if isinstance(summary, dict) else None
    return h if isinstance(h, dict) else None


def steer_runs(store: Store) -> list[RunInfo]:
    from sqlmodel import select

    from codesteer_cli.store.models import RunRow

    with store.read() as s:
        rows = s.exec(select(RunRow).where(RunRow.kind == "steer").order_by(RunRow.id)).all()
        return [_run_info(r) for r in rows]


def default_runs(store: Store) -> list[RunInfo]:
    """The latest finished steer run of each configuration (method, task model, guide)."""
    latest: dict[tuple[str, str, str], RunInfo] = {}
    for r in steer_runs(store):
        if r.status != "finished":
            continue
        when = r.finished_at or r.started_at
        old = latest.get(r.config_key)
        if old is None or ((when, r.id) >= (old.finished_at or old.started_at, old.id)):
            latest[r.config_key] = r
    return sorted(latest.values(), key=lambda r: r.id)


def resolve_runs(store: Store | None, refs: Iterable[str]) -> list[RunInfo]:
    """Runs by name or id; an unknown one is a UserError naming the known steer runs."""
    from codesteer_cli.store import repo

    out: list[RunInfo] = []
    for ref in refs:
        row = repo.get_run(store, ref) if store is not None else None
        if row is None:
            known = [r.name for r in steer_runs(store)] if store is not None else []
            where = (
                f"store {store.display}" if store is not None else "the store (it does not exist)"
            )
            hint = ", ".join(known[-8:]) + (
                f" (and {len(known) - 8} more)" if len(known) > 8 else ""
            )
            raise UserError(
                f"unknown run {ref!r} in {where}"
                + (f"; steer runs: {hint}" if known else "; it has no steer runs")
            )
        if row.kind != "steer":
            raise UserError(f"run {ref!r} is a {row.kind} run; report compares steer runs")
        info = _run_info(row)
        if all(r.id != info.id for r in out):
            out.append(info)
    return out


# --- SQL aggregation ---------------------------------------------------------------------
def aggregate(
    store: Store, run_ids: Sequence[int]
) -> dict[int, dict[tuple[str, int | None], Cell]]:
    """Per run, per (task, complexity): episode counts, scores, tokens, cost, timings.

    Three GROUP BY queries (episodes, turns, code executions), all joined to samples for
    task and complexity; nothing is loaded row by row.
    """
    from sqlalchemy import Integer, case, cast, func, select

    from codesteer_cli.store.models import CodeExecutionRow, EpisodeRow, SampleRow, TurnRow

    out: dict[int, dict[tuple[str, int | None], Cell]] = {i: {} for i in run_ids}
    if not run_ids:
        return out
    ep = EpisodeRow.__table__.c  # type: ignore[attr-defined]
    sm = SampleRow.__table__.c  # type: ignore[attr-defined]
    tu = TurnRow.__table__.c  # type: ignore[attr-defined]
    ce = CodeExecutionRow.__table__.c  # type: ignore[attr-defined]
    ep_join = EpisodeRow.__table__.join(  # type: ignore[attr-defined]
        SampleRow.__table__,  # type: ignore[attr-defined]
        sm.id == ep.sample_id,
    )
    keys = (ep.run_id, sm.task, sm.complexity)

    def cell(run_id: int, task: str, complexity: int | None) -> Cell:
        return out[run_id].setdefault((task, complexity), Cell())

    episodes = (
        select(
            *keys,
            ep.status,
            func.count(),
            func.sum(case((ep.score >= 1.0, 1), else_=0)),
            func.sum(func.coalesce(ep.score, 0.0)),
            func.sum(case((ep.partial, 1), else_=0)),
            func.sum(ep.rounds),
            func.sum(ep.duration_s),
            func.count(ep.duration_s),
        )
        .select_from(ep_join)
        .where(ep.run_id.in_(list(run_ids)))
        .group_by(*keys, ep.status)
    )
    finished = ep.status == "finished"
    # 1/0 where a task-model answer records whether it had code, else NULL (JSON read
    # only on task turns: it is the costliest part of the query).
    has_code = cast(case((tu.role == "task", tu.extra["has_code"].as_boolean())), Integer)
    turns = (
        select(
            *keys,
            tu.role,
            func.count(),
            func.sum(func.coalesce(tu.tokens_in, 0) + func.coalesce(tu.tokens_out, 0)),
            func.sum(tu.latency_s),
            func.sum(tu.cost_usd),
            func.sum(case((tu.cost_usd.is_(None), 1), else_=0)),
            func.sum(case((tu.cached, 1), else_=0)),
            func.count(has_code),
            func.sum(has_code),
        )
        .select_from(ep_join.join(TurnRow.__table__, tu.episode_id == ep.id))  # type: ignore[attr-defined]
        .where(ep.run_id.in_(list(run_ids)), finished)
        .group_by(*keys, tu.role)
    )
    code = (
        select(*keys, ce.purpose, func.sum(ce.duration_s))
        .select_from(ep_join.join(CodeExecutionRow.__table__, ce.episode_id == ep.id))  # type: ignore[attr-defined]
        .where(ep.run_id.in_(list(run_ids)), finished)
        .group_by(*keys, ce.purpose)
    )
    with store.read() as s:
        conn = s.connection()
        for (
            run_id,
            task,
            cx,
            status,
            n,
            solved,
            score,
            partial,
            rounds,
            wall,
            wall_n,
        ) in conn.execute(episodes):
            c = cell(run_id, task, cx)
            if status == "finished":
                c.samples += n
                c.solved += int(solved or 0)
                c.score_sum += float(score or 0)
                c.partial += int(partial or 0)
                c.rounds_sum += float(rounds or 0)
                c.wall_sum += float(wall or 0)
                c.wall_n += int(wall_n or 0)
            elif status == "failed":
                c.failed += n
            else:
                c.unfinished += n
        for (
            run_id,
            task,
            cx,
            role,
            n,
            tok,
            lat,
            cost,
            unknown,
            cached,
            known,
            coded,
        ) in conn.execute(turns):
            c = cell(run_id, task, cx)
            c.turns += n
            c.cost += float(cost or 0)
            c.cost_unknown += int(unknown or 0)
            c.cached += int(cached or 0)
            if role == "guide":
                c.tok_guide += float(tok or 0)
                c.lat_guide += float(lat or 0)
            elif role == "checker":
                c.tok_checker += float(tok or 0)
                c.lat_checker += float(lat or 0)
            else:  # task, summary (the task model summarizing)
                c.tok_task += float(tok or 0)
                c.lat_task += float(lat or 0)
                if role == "task":
                    c.answers += int(known or 0)
                    c.code_answers += int(coded or 0)
        for run_id, task, cx, purpose, dur in conn.execute(code):
            c = cell(run_id, task, cx)
            if purpose == "self_check":
                c.check_code_s += float(dur or 0)
            else:
                c.code_s += float(dur or 0)
    return out


def sample_success(store: Store, run_id: int) -> dict[int, tuple[str, float]]:
    """sample id -> (task, fraction of its finished repeats that were solved)."""
    from sqlalchemy import case, func, select

    from codesteer_cli.store.models import EpisodeRow, SampleRow

    ep = EpisodeRow.__table__.c  # type: ignore[attr-defined]
    sm = SampleRow.__table__.c  # type: ignore[attr-defined]
    q = (
        select(ep.sample_id, sm.task, func.avg(case((ep.score >= 1.0, 1.0), else_=0.0)))
        .select_from(EpisodeRow.__table__.join(SampleRow.__table__, sm.id == ep.sample_id))  # type: ignore[attr-defined]
        .where(ep.run_id == run_id, ep.status == "finished")
        .group_by(ep.sample_id, sm.task)
    )
    with store.read() as s:
        return {sid: (task, float(v)) for sid, task, v in s.connection().execute(q)}


@dataclass
class GuideReply:
    """One guide turn of a finished episode, with the task-model answer it was reading."""

    run_id: int
    sample_id: int
    task: str
    round: int
    reply: str
    answer: str | None = None  # the last task-model answer before this turn, if any
    stdout: str | None = None  # what that answer's code printed, if it had code
    correct: bool | None = None  # that answer's verdict as the engine stored it, if it did


# Task-model calls that are not an answer the guide then reads.
_NOT_ANSWERS = ("estimate", "summary")


def guide_replies(store: Store, run_ids: Sequence[int]) -> list[GuideReply]:
    """Every guide turn of the runs' finished episodes, each with the answer before it."""
    from sqlalchemy import and_, func, select

    from codesteer_cli.store.models import CodeExecutionRow, EpisodeRow, SampleRow, TurnRow

    ep = EpisodeRow.__table__.c  # type: ignore[attr-defined]
    sm = SampleRow.__table__.c  # type: ignore[attr-defined]
    tu = TurnRow.__table__.c  # type: ignore[attr-defined]
    ce = CodeExecutionRow.__table__.c  # type: ignore[attr-defined]
    before = TurnRow.__table__.alias("before")  # type: ignore[attr-defined]
    answer = TurnRow.__table__.alias("answer")  # type: ignore[attr-defined]
    # The last task-model answer before the guide turn (the turns index makes it a seek).
    last_answer = (
        select(before.c.id)
        .where(
            before.c.episode_id == tu.episode_id,
            before.c.seq < tu.seq,
            before.c.role == "task",
            func.coalesce(before.c.extra["purpose"].as_string(), "").not_in(_NOT_ANSWERS),
        )
        .order_by(before.c.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    joined = (
        EpisodeRow.__table__.join(SampleRow.__table__, sm.id == ep.sample_id)  # type: ignore[attr-defined]
        .join(TurnRow.__table__, tu.episode_id == ep.id)  # type: ignore[attr-defined]
        .outerjoin(answer, and_(tu.round > 0, answer.c.id == last_answer))
        .outerjoin(
            CodeExecutionRow.__table__,  # type: ignore[attr-defined]
            and_(ce.turn_id == answer.c.id, ce.purpose == "answer"),
        )
    )
    q = (
        select(
            ep.run_id,
            sm.id,
            sm.task,
            tu.round,
            tu.response,
            answer.c.response,
            ce.stdout,
            answer.c.extra["correct"].as_boolean(),
        )
        .select_from(joined)
        .where(ep.run_id.in_(list(run_ids)), ep.status == "finished", tu.role == "guide")
    )
    with store.read() as s:
        return [
            GuideReply(run_id, sid, task, int(rnd), resp or "", ans, out, ok)
            for run_id, sid, task, rnd, resp, ans, out, ok in s.connection().execute(q)
        ]
