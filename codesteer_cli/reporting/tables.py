"""Assemble a report: stored runs (aggregated in SQL) beside the paper's published methods.

The store is read with a few GROUP BY queries at the grain (run, task, complexity); every
table is rolled up from those cells in Python. Rows that span several tasks (a family, a
split, a complexity level, the seen/unseen/total averages) average the per-task figures,
each task weighing the same, as the paper's averages do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from codesteer_cli.errors import UserError
from codesteer_cli.reporting.compare import (
    PAPER_SOURCE,
    PaperMethod,
    paper_cost,
    paper_data,
    task_info,
)
from codesteer_cli.reporting.stats import SCOPES, Diff, Normalized, normalized_scores

if TYPE_CHECKING:
    from codesteer_cli.store.db import Store

BY_CHOICES = ("task", "family", "split", "complexity")
FAMILY_ORDER = ("computation", "planning", "bbh", "math", "logic_game")
ORIGINAL = "orig"  # the complexity group of imported original samples (no complexity)
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 0

# Per-sample figures of a (method, group) cell, in display order.
METRICS = (
    "samples",
    "failed",
    "success",
    "mean_score",
    "rounds",
    "task_tokens",
    "guide_tokens",
    "checker_tokens",
    "cost_usd",
    "cost_partial",
    "wall_s",
    "t_task_s",
    "t_guide_s",
    "t_code_s",
    "t_checker_s",
    "code_share",
    "cached_turns",
)
_SUMMED = ("samples", "failed", "cached_turns")


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


def macro(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Average per-task metrics, each task weighing the same (counts are summed)."""
    out: dict[str, Any] = {}
    for k in METRICS:
        vals = [r.get(k) for r in rows]
        if k in _SUMMED:
            out[k] = sum(v or 0 for v in vals)
        elif k == "cost_partial":
            out[k] = any(bool(v) for v in vals) or any(r.get("cost_usd") is None for r in rows)
        else:
            known = [float(v) for v in vals if v is not None]
            out[k] = sum(known) / len(known) if known else None
    if out["cost_usd"] is None:
        out["cost_partial"] = any(bool(r.get("cost_partial")) for r in rows)
    return out


# --- methods ----------------------------------------------------------------------------
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
        t = f"{self.method} · {self.task_model}"
        return t + (f" · guide {self.guide}" if self.guide else "")


@dataclass
class Method:
    """One column of the comparison: a stored run or a published method."""

    key: str
    source: str  # run | paper
    title: str
    run: RunInfo | None = None
    paper: PaperMethod | None = None
    cells: dict[tuple[str, int | None], Cell] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)  # paper: task -> success %

    @property
    def tasks(self) -> set[str]:
        if self.source == "paper":
            return set(self.rates)
        return {t for (t, _), c in self.cells.items() if c.samples > 0}

    def task_cell(self, task: str) -> Cell:
        out = Cell()
        for (t, _), c in self.cells.items():
            if t == task:
                out.add(c)
        return out

    def info(self) -> dict[str, Any]:
        d: dict[str, Any] = {"key": self.key, "source": self.source, "title": self.title}
        if self.run is not None:
            r = self.run
            d.update(
                run_id=r.id,
                run_name=r.name,
                status=r.status,
                method=r.method,
                task_model=r.task_model,
                guide=r.guide,
                prompts=r.config.get("prompts"),
                max_rounds=r.config.get("max_rounds"),
                price_table_date=r.price_table_date,
                started_at=r.started_at.isoformat() if r.started_at else None,
                finished_at=r.finished_at.isoformat() if r.finished_at else None,
            )
        if self.paper is not None:
            d.update(paper_column=self.paper.column, published=paper_cost(self.paper))
        return d


def paper_method(m: PaperMethod) -> Method:
    return Method(m.name, "paper", m.title, paper=m, rates=dict(paper_data().rates[m.column]))


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
    )


def _steer_runs(store: Store) -> list[RunInfo]:
    from sqlmodel import select

    from codesteer_cli.store.models import RunRow

    with store.read() as s:
        rows = s.exec(select(RunRow).where(RunRow.kind == "steer").order_by(RunRow.id)).all()
        return [_run_info(r) for r in rows]


def default_runs(store: Store) -> list[RunInfo]:
    """The latest finished steer run of each configuration (method, task model, guide)."""
    latest: dict[tuple[str, str, str], RunInfo] = {}
    for r in _steer_runs(store):
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
            known = [r.name for r in _steer_runs(store)] if store is not None else []
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


# --- the report --------------------------------------------------------------------------
@dataclass
class DiffReport:
    a: str
    b: str
    overall: Diff
    per_task: dict[str, Diff]
    only_a: int  # samples only A scored (left out)
    only_b: int

    def to_dict(self) -> dict[str, Any]:
        def d(x: Diff) -> dict[str, Any]:
            return {k: getattr(x, k) for k in x.__dataclass_fields__}

        return {
            "a": self.a,
            "b": self.b,
            "overall": d(self.overall),
            "per_task": {t: d(x) for t, x in self.per_task.items()},
            "unmatched_samples": {"only_a": self.only_a, "only_b": self.only_b},
        }


@dataclass
class Report:
    by: str
    methods: list[Method]
    tasks: list[str]  # compared: every method has them
    split_of: dict[str, str]
    family_of: dict[str, str]
    dropped: dict[str, list[str]]  # task left out -> methods that lack it
    normalized: Normalized
    groups: list[str]
    success: dict[str, dict[str, float | None]]  # method -> group -> success %
    metrics: dict[str, dict[str, dict[str, Any]]]  # run method -> group -> metrics
    averages: dict[str, dict[str, dict[str, Any]]]  # method -> scope -> metrics
    diffs: list[DiffReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def runs(self) -> list[Method]:
        return [m for m in self.methods if m.source == "run"]

    @property
    def has_partial_credit(self) -> bool:
        return any(c.partial for m in self.runs for c in m.cells.values())

    def summary(self, m: Method) -> dict[str, Any]:
        """One method's headline: normalized scores and per-sample cost over all tasks."""
        norm = self.normalized.averages.get(m.key, {})
        d: dict[str, Any] = {f"normalized_{s}": norm.get(s) for s in SCOPES}
        total = self.averages.get(m.key, {}).get("total", {})
        d["success"] = total.get("success")
        if m.source == "paper" and m.paper is not None:
            pub = paper_cost(m.paper)
            d.update(
                samples=None,
                failed=None,
                task_tokens=pub["tokens"],
                guide_tokens=None,
                cost_usd=None,
                cost_partial=False,
                wall_s=pub["runtime_s"],
                wall_alt_s=pub["runtime_alt_s"],
                published_normalized_total=pub["normalized_total"],
                cost_source="published, all 37 tasks",
            )
        else:
            for k in (
                "samples",
                "failed",
                "task_tokens",
                "guide_tokens",
                "checker_tokens",
                "cost_usd",
            ):
                d[k] = total.get(k)
            d["cost_partial"] = total.get("cost_partial", False)
            d["wall_s"] = total.get("wall_s")
            d["rounds"] = total.get("rounds")
            d["code_share"] = total.get("code_share")
        return d

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "methods": [m.info() for m in self.methods],
            "normalized_over": [m.key for m in self.methods],
            "tasks": self.tasks,
            "task_split": {t: self.split_of[t] for t in self.tasks},
            "dropped_tasks": self.dropped,
            "excluded_from_normalization": self.normalized.excluded,
            "normalized_tasks_counted": self.normalized.counted,
            "normalized": {m: dict(v) for m, v in self.normalized.averages.items()},
            "normalized_per_task": self.normalized.per_task,
            "summary": {m.key: self.summary(m) for m in self.methods},
            "groups": self.groups,
            "success": self.success,
            "metrics": self.metrics,
            "averages": self.averages,
            "diffs": [d.to_dict() for d in self.diffs],
            "notes": self.notes,
            "paper_source": PAPER_SOURCE,
        }


def _unique_key(wanted: str, taken: set[str], run_id: int) -> str:
    key = wanted if wanted not in taken else f"{wanted}#{run_id}"
    taken.add(key)
    return key


def _task_order(tasks: Iterable[str]) -> list[str]:
    paper_order = {t: i for i, t in enumerate(paper_data().tasks)}
    return sorted(
        set(tasks),
        key=lambda t: (
            task_info(t)[0] != "seen",
            paper_order.get(t, len(paper_order)),
            t,
        ),
    )


def build_report(
    store: Store | None,
    runs: Sequence[RunInfo],
    paper: Sequence[PaperMethod],
    by: str = "task",
    diffs: Sequence[tuple[RunInfo, RunInfo]] = (),
) -> Report:
    """Aggregate `runs`, add the published `paper` methods, compare them on common tasks."""
    if by not in BY_CHOICES:
        raise UserError(f"--by must be one of {', '.join(BY_CHOICES)}; got {by!r}")
    notes: list[str] = []
    diff_runs = [r for pair in diffs for r in pair]
    all_runs = list(runs) + [r for r in diff_runs if all(r.id != x.id for x in runs)]
    cells = aggregate(store, [r.id for r in all_runs]) if store is not None and all_runs else {}

    methods: list[Method] = [paper_method(p) for p in paper]
    taken = {m.key for m in methods}
    for r in all_runs:
        m = Method(
            _unique_key(r.name, taken, r.id), "run", r.title, run=r, cells=cells.get(r.id, {})
        )
        if not m.tasks:
            unfinished = sum(c.failed + c.unfinished for c in m.cells.values())
            notes.append(
                f"run {r.name} has no finished samples ({unfinished} failed or unfinished); "
                "left out"
            )
            continue
        methods.append(m)
    if not methods:
        raise UserError(
            "nothing to report: no finished steer runs in the store; name runs or use "
            "--compare paper"
        )

    # Compare on the tasks every method has; say which were dropped and why.
    all_tasks = set().union(*(m.tasks for m in methods))
    common = set.intersection(*(m.tasks for m in methods))
    dropped = {
        t: [m.key for m in methods if t not in m.tasks] for t in _task_order(all_tasks - common)
    }
    if not common:
        raise UserError(
            "the methods have no task in common: "
            + "; ".join(f"{m.key}: {', '.join(sorted(m.tasks))}" for m in methods)
        )
    tasks = _task_order(common)
    split_of = {t: task_info(t)[0] for t in all_tasks}
    family_of = {t: task_info(t)[1] for t in all_tasks}
    if dropped:
        notes.append(_dropped_note(dropped, methods, len(tasks)))

    task_metrics: dict[str, dict[str, dict[str, Any]]] = {}
    rates: dict[str, dict[str, float]] = {}
    for m in methods:
        if m.source == "paper":
            rates[m.key] = {t: m.rates[t] for t in tasks}
        else:
            task_metrics[m.key] = {t: m.task_cell(t).metrics() for t in tasks}
            rates[m.key] = {t: task_metrics[m.key][t]["success"] or 0.0 for t in tasks}
    normalized = normalized_scores(rates, tasks, split_of)
    if normalized.excluded:
        notes.append(
            "left out of the normalized averages (every method scored 0, so s/max is 0/0): "
            + ", ".join(normalized.excluded)
        )

    groups, members = _groups(by, tasks, methods, family_of, split_of)
    success: dict[str, dict[str, float | None]] = {}
    metrics: dict[str, dict[str, dict[str, Any]]] = {}
    for m in methods:
        success[m.key] = {}
        if m.source == "run":
            metrics[m.key] = {}
        for g in groups:
            if m.source == "paper":
                vals = [m.rates[t] for t, cx in members[g] if cx is _ANY]
                success[m.key][g] = sum(vals) / len(vals) if vals else None
                continue
            rows = []
            for t, cx in members[g]:
                if cx is _ANY:
                    rows.append(task_metrics[m.key][t])
                else:
                    c = m.cells.get((t, cx))
                    if c is not None and c.samples:
                        rows.append(c.metrics())
            met = rows[0] if len(rows) == 1 else macro(rows) if rows else None
            if met is not None:
                metrics[m.key][g] = met
            success[m.key][g] = met["success"] if met else None

    averages: dict[str, dict[str, dict[str, Any]]] = {}
    for m in methods:
        averages[m.key] = {}
        for scope in SCOPES:
            ts = [t for t in tasks if scope == "total" or split_of[t] == scope]
            if not ts:
                continue
            if m.source == "paper":
                averages[m.key][scope] = {"success": sum(m.rates[t] for t in ts) / len(ts)}
            else:
                averages[m.key][scope] = macro([task_metrics[m.key][t] for t in ts])

    failed = {m.key: sum(c.failed for c in m.cells.values()) for m in methods if m.source == "run"}
    for key, n in failed.items():
        if n:
            notes.append(f"run {key}: {n} failed episodes are not counted as samples")
    for m in methods:
        if m.source == "run":
            unfinished = sum(c.unfinished for c in m.cells.values())
            if unfinished:
                notes.append(f"run {m.key}: {unfinished} episodes not finished (not counted)")
            cached = sum(c.cached for c in m.cells.values())
            if cached:
                calls = sum(c.turns for c in m.cells.values())
                notes.append(
                    f"run {m.key}: {cached} of {calls} model calls came from the response "
                    "cache; their tokens, latency and cost are the original call's"
                )
            if m.run is not None and m.run.status != "finished":
                notes.append(f"run {m.key} is {m.run.status}, not finished")
    if any(m.source == "paper" for m in methods):
        steer = any(m.paper is not None and m.paper.alt_cost_row for m in methods)
        notes.append(
            f"published results: {PAPER_SOURCE}; their tokens and runtime per sample are the "
            "paper's, over all 37 tasks"
            + (
                " (CodeSteer's tokens exclude the 8B guide; runtime on 1×H100, 45.4 s on 4×H100)"
                if steer
                else ""
            )
        )
    if by == "complexity" and any(m.source == "paper" for m in methods):
        notes.append("the paper publishes no per-complexity results: its columns are empty")

    report = Report(
        by=by,
        methods=methods,
        tasks=tasks,
        split_of=split_of,
        family_of=family_of,
        dropped=dropped,
        normalized=normalized,
        groups=groups,
        success=success,
        metrics=metrics,
        averages=averages,
        notes=notes,
    )
    if store is not None:
        keys = {m.run.id: m.key for m in methods if m.run is not None}
        for a, b in diffs:
            if a.id in keys and b.id in keys:
                report.diffs.append(run_diff(store, a, b, keys[a.id], keys[b.id]))
    return report


def _dropped_note(dropped: dict[str, list[str]], methods: list[Method], n_tasks: int) -> str:
    """`dropped: sokoban (not in the paper, oq-1); blocksworld, ... (not in cs-1)`."""
    paper_keys = [m.key for m in methods if m.source == "paper"]
    by_lacking: dict[tuple[str, ...], list[str]] = {}
    for t, lacking in dropped.items():
        by_lacking.setdefault(tuple(lacking), []).append(t)
    parts = []
    for lacking, ts in by_lacking.items():
        names = list(lacking)
        if len(paper_keys) > 1 and set(paper_keys) <= set(names):
            names = ["the paper's results"] + [k for k in names if k not in paper_keys]
        count = f" ({len(ts)} tasks)" if len(ts) > 3 else ""
        parts.append(f"{', '.join(ts)}{count}: not in {', '.join(names)}")
    return f"compared on the {n_tasks} tasks every method has; dropped " + "; ".join(parts)


class _AnyComplexity:
    def __repr__(self) -> str:
        return "any"


_ANY: Any = _AnyComplexity()


def _groups(
    by: str,
    tasks: list[str],
    methods: list[Method],
    family_of: dict[str, str],
    split_of: dict[str, str],
) -> tuple[list[str], dict[str, list[tuple[str, Any]]]]:
    """Group labels in order, each with its (task, complexity) members."""
    members: dict[str, list[tuple[str, Any]]] = {}
    if by == "task":
        for t in tasks:
            members[t] = [(t, _ANY)]
    elif by == "family":
        order = {f: i for i, f in enumerate(FAMILY_ORDER)}
        for f in sorted({family_of[t] for t in tasks}, key=lambda f: (order.get(f, 99), f)):
            members[f] = [(t, _ANY) for t in tasks if family_of[t] == f]
    elif by == "split":
        for sp in ("seen", "unseen", "unknown"):
            ts = [t for t in tasks if split_of[t] == sp]
            if ts:
                members[sp] = [(t, _ANY) for t in ts]
    else:  # complexity
        levels: set[int | None] = set()
        for m in methods:
            levels.update(cx for (t, cx), c in m.cells.items() if c.samples and t in tasks)
        for cx in sorted(levels, key=lambda c: (c is None, c or 0)):
            members[ORIGINAL if cx is None else str(cx)] = [(t, cx) for t in tasks]
    return list(members), members


def run_diff(store: Store, a: RunInfo, b: RunInfo, key_a: str, key_b: str) -> DiffReport:
    """B − A success with a paired bootstrap interval, over samples both runs scored."""
    from codesteer_cli.reporting.stats import paired_bootstrap

    sa, sb = sample_success(store, a.id), sample_success(store, b.id)
    both = sorted(set(sa) & set(sb))
    by_task: dict[str, list[int]] = {}
    for sid in both:
        by_task.setdefault(sa[sid][0], []).append(sid)

    def boot(ids: list[int]) -> Diff:
        return paired_bootstrap(
            [sa[i][1] for i in ids],
            [sb[i][1] for i in ids],
            resamples=BOOTSTRAP_RESAMPLES,
            seed=BOOTSTRAP_SEED,
        )

    return DiffReport(
        a=key_a,
        b=key_b,
        overall=boot(both),
        per_task={t: boot(by_task[t]) for t in _task_order(by_task)},
        only_a=len(set(sa) - set(sb)),
        only_b=len(set(sb) - set(sa)),
    )
