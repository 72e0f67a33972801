"""Running a method over many samples: choosing samples, concurrency, resume, stopping."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select

from codesteer_cli.errors import UserError
from codesteer_cli.steering.episode import Episode, EpisodeFailed, Setup, Stopped, score_answer
from codesteer_cli.steering.methods import NEEDS_GUIDE, get_method
from codesteer_cli.steering.prompts import get_prompts
from codesteer_cli.steering.record import EpisodeRecorder
from codesteer_cli.store import repo
from codesteer_cli.store.db import Store
from codesteer_cli.store.models import (
    CodeExecutionRow,
    EpisodeRow,
    RunRow,
    SampleRow,
    TurnRow,
    utcnow,
)
from symbench.core import get_task, parse_complexity, select_tasks

log = logging.getLogger("codesteer.steer")
DEFAULT_MODEL = "local:smollm2"
SAMPLES_WHEN_EMPTY = 10


@dataclass
class SteerConfig:
    """What a steer run does. Fields after `concurrency` only affect how it runs, so a
    run may be resumed with different values of them."""

    method: str = "codesteer"
    task_model: str = DEFAULT_MODEL
    guide: str | None = None
    checker_model: str | None = None
    tasks: str = "all"
    split: str = "test"
    complexity: str | None = None
    source: str = "any"  # any | generated | imported
    limit: int | None = None  # samples per task
    repeats: int = 1
    max_rounds: int = 5
    prompts: str = "default"
    symbolic_checker: bool = True
    self_check: bool = True
    task_max_tokens: int = 2048
    guide_max_tokens: int = 512
    checker_max_tokens: int = 1024
    checker_attempts: int = 2
    temperature: float = 0.0
    guide_temperature: float = 0.0
    seed: int | None = None
    code_timeout_s: float = 30.0
    variant: str = "free"
    # --- execution only ---
    concurrency: int = 8
    max_cost: float | None = None
    cache: bool = True

    IDENTITY_END = "concurrency"

    def identity(self) -> dict[str, Any]:
        out = {}
        for f in fields(self):
            if f.name == self.IDENTITY_END:
                break
            out[f.name] = getattr(self, f.name)
        return out

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SteerConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def validate(self) -> None:
        get_method(self.method)
        get_prompts(self.prompts)
        select_tasks(self.tasks)
        if self.complexity:
            parse_complexity(self.complexity)
        if self.split not in ("train", "test"):
            raise UserError(f"--split must be train or test, got {self.split!r}")
        if self.source not in ("any", "generated", "imported"):
            raise UserError("--source must be any, generated or imported")
        for name, lo in (
            ("max_rounds", 0),
            ("repeats", 1),
            ("concurrency", 1),
            ("task_max_tokens", 1),
            ("guide_max_tokens", 1),
            ("checker_max_tokens", 1),
            ("checker_attempts", 1),
        ):
            if getattr(self, name) < lo:
                raise UserError(f"--{name.replace('_', '-')} must be at least {lo}")
        if self.limit is not None and self.limit < 1:
            raise UserError("--limit must be at least 1")


@dataclass
class EpisodeResult:
    episode_id: int
    task: str
    status: str
    score: float | None = None
    rounds: int = 0
    tokens: int = 0
    cost: float = 0.0
    cost_unknown: bool = False
    error: str | None = None


@dataclass
class Progress:
    total: int
    done_before: int
    on_episode: Callable[[EpisodeResult], None] = lambda r: None
    on_message: Callable[[str], None] = lambda m: None


# --- choosing samples --------------------------------------------------------------
def choose_samples(store: Store, cfg: SteerConfig) -> list[SampleRow]:
    """Stored samples of the chosen tasks (generated on the fly when there are none),
    at most `limit` per task, spread evenly over complexity levels."""
    from codesteer_cli.generation import generate_distinct

    levels = parse_complexity(cfg.complexity) if cfg.complexity else None
    origin = None if cfg.source == "any" else cfg.source
    chosen: list[SampleRow] = []
    for task in select_tasks(cfg.tasks):
        rows = repo.find_samples(store, task.id, cfg.split, levels, origin)
        if not rows and cfg.source != "imported":
            n = cfg.limit or SAMPLES_WHEN_EMPTY
            made = []
            for level in levels or [5]:
                made += list(generate_distinct(task, level, n, 0, cfg.split))  # type: ignore[arg-type]
            repo.add_samples(store, made)
            rows = repo.find_samples(store, task.id, cfg.split, levels, origin)
        chosen += spread(rows, cfg.limit)
    if not chosen:
        raise UserError(
            "no samples match: generate some first (codesteer generate) "
            "or import the original release (codesteer generate --import)"
        )
    return chosen


def spread(rows: list[SampleRow], limit: int | None) -> list[SampleRow]:
    """At most `limit` rows, taken in turn from each complexity level (stable order)."""
    if limit is None or len(rows) <= limit:
        return rows
    groups: dict[int | None, list[SampleRow]] = {}
    for r in rows:
        groups.setdefault(r.complexity, []).append(r)
    out: list[SampleRow] = []
    queues = [
        list(g) for _, g in sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    ]
    while len(out) < limit:
        for q in queues:
            if q and len(out) < limit:
                out.append(q.pop(0))
    return out


# --- runs and episodes --------------------------------------------------------------
def open_run(
    store: Store, cfg: SteerConfig, name: str | None, resume: str | None, kind: str = "steer"
) -> tuple[RunRow, SteerConfig, bool]:
    """Create the run, or find the one to continue. Returns (run, config, resumed)."""
    from codesteer_cli.models.pricing import PRICE_TABLE_DATE

    if resume:
        run = repo.get_run(store, resume)
        if run is None:
            raise UserError(f"no run named or numbered {resume!r} (see codesteer runs list)")
        old = SteerConfig.from_json(run.config)
        for k in ("concurrency", "max_cost", "cache"):  # may change on resume
            setattr(old, k, getattr(cfg, k))
        return run, old, True
    if name:
        run = repo.get_run(store, name)
        if run is not None:
            old = SteerConfig.from_json(run.config)
            if old.identity() != cfg.identity():
                diff = sorted(k for k, v in cfg.identity().items() if old.identity()[k] != v)
                raise UserError(
                    f"run {name!r} exists with different settings "
                    f"({', '.join(diff)}); choose another --name or --resume it"
                )
            return run, cfg, True
    cfg.validate()
    run = repo.create_run(
        store,
        kind,
        cfg.to_json(),
        name,
        prompt_version=get_prompts(cfg.prompts).id,
        price_table_date=PRICE_TABLE_DATE,
    )
    return run, cfg, False


def ensure_episodes(store: Store, run: RunRow, samples: list[SampleRow], cfg: SteerConfig) -> None:
    rows = [
        {
            "run_id": run.id,
            "sample_id": s.id,
            "repeat": r,
            "method": cfg.method,
            "status": "pending",
            "rounds": 0,
            "partial": False,
        }
        for s in samples
        for r in range(cfg.repeats)
    ]
    ins = postgresql.insert if store.engine.dialect.name == "postgresql" else sqlite.insert
    for i in range(0, len(rows), 500):
        stmt = (
            ins(EpisodeRow)
            .values(rows[i : i + 500])
            .on_conflict_do_nothing(index_elements=["run_id", "sample_id", "repeat"])
        )
        with store.session() as s:
            s.exec(stmt)  # type: ignore[call-overload]


def pending_episodes(store: Store, run_id: int) -> tuple[list[tuple[EpisodeRow, SampleRow]], int]:
    """Episodes still to do (unfinished ones are reset: their partial turns are removed;
    finished calls come back from the response cache), and how many are finished."""
    with store.read() as s:
        eps = s.exec(
            select(EpisodeRow, SampleRow)
            .join(SampleRow)
            .where(EpisodeRow.run_id == run_id)
            .order_by(EpisodeRow.id)
        ).all()
    todo = [(e, smp) for e, smp in eps if e.status != "finished"]
    started = [e.id for e, _ in todo if e.status != "pending"]
    if started:
        with store.session() as s:
            for i in range(0, len(started), 500):
                chunk = started[i : i + 500]
                s.exec(delete(CodeExecutionRow).where(CodeExecutionRow.episode_id.in_(chunk)))  # type: ignore[call-overload,union-attr]
                s.exec(delete(TurnRow).where(TurnRow.episode_id.in_(chunk)))  # type: ignore[call-overload,attr-defined]
                s.exec(
                    update(EpisodeRow)
                    .where(EpisodeRow.id.in_(chunk))
                    .values(  # type: ignore[call-overload,union-attr]
                        status="pending", error=None, score=None
                    )
                )
    return todo, len(eps) - len(todo)


# --- running --------------------------------------------------------------------------
def make_setup(store: Store, cfg: SteerConfig, stop: threading.Event) -> Setup:
    from codesteer_cli.models import get_model
    from codesteer_cli.sandbox.executor import Executor, Limits

    def model(spec: str) -> Any:
        return get_model(spec, store=store, cache=cfg.cache, concurrency=cfg.concurrency)

    task_model = model(cfg.task_model)
    guide = model(cfg.guide or cfg.task_model) if cfg.method in NEEDS_GUIDE else None
    checker = model(cfg.checker_model) if cfg.checker_model else None
    return Setup(
        task_model=task_model,
        guide=guide,
        checker_model=checker,
        executor=Executor(Limits(wall_s=cfg.code_timeout_s)),
        prompts=get_prompts(cfg.prompts),
        max_rounds=cfg.max_rounds,
        symbolic_checker=cfg.symbolic_checker,
        self_check=cfg.self_check,
        task_max_tokens=cfg.task_max_tokens,
        guide_max_tokens=cfg.guide_max_tokens,
        checker_max_tokens=cfg.checker_max_tokens,
        checker_attempts=cfg.checker_attempts,
        temperature=cfg.temperature,
        guide_temperature=cfg.guide_temperature,
        seed=cfg.seed,
        variant=cfg.variant,
        stop=stop,
    )


def run_episode(
    store: Store, setup: Setup, method: str, ep: EpisodeRow, smp: SampleRow
) -> EpisodeResult:
    """Run and score one episode; its failure never escapes (it is recorded)."""
    task = get_task(smp.task)
    sample = repo.row_to_sample(smp)
    start = time.monotonic()
    _update(store, ep.id, status="running", started_at=utcnow())  # type: ignore[arg-type]
    rec = EpisodeRecorder(store, ep.id)  # type: ignore[arg-type]
    episode = Episode(setup, task, sample, rec, ep.repeat)
    t = rec.tally
    res = EpisodeResult(ep.id, task.id, "failed")  # type: ignore[arg-type]
    try:
        outcome = get_method(method)(episode)
        sc = score_answer(task, sample, outcome.final)
    except Stopped:
        # Not "pending": its partial turns must be cleared when the run is resumed.
        _update(store, ep.id, status="stopped")  # type: ignore[arg-type]
        res.status = "stopped"
        return res
    except EpisodeFailed as exc:
        res.error = str(exc)
    except Exception as exc:  # a bug or an executor failure: this episode only
        log.exception("episode %s failed", ep.id)
        res.error = f"{type(exc).__name__}: {exc}"[:2000]
    duration = time.monotonic() - start
    tokens = sum(t.tokens.values())
    res.tokens, res.cost, res.cost_unknown = tokens, t.cost, t.cost_unknown
    extra = {
        "time": {k: round(v, 4) for k, v in t.time.items()},
        "tokens": t.tokens,
        "cost_usd": t.cost,
        "cost_unknown": t.cost_unknown,
        "calls": t.calls,
        "cached_calls": t.cached_calls,
    }
    if res.error is not None:
        _update(
            store,
            ep.id,
            status="failed",
            error=res.error,
            extra=extra,  # type: ignore[arg-type]
            finished_at=utcnow(),
            duration_s=duration,
        )
        return res
    extra.update({"answer_modes": outcome.modes, "detail": sc.detail[:500]})
    _update(
        store,
        ep.id,
        status="finished",
        rounds=outcome.rounds,  # type: ignore[arg-type]
        final_answer=outcome.final.text,
        score=sc.score,
        text_score=sc.text_score,
        code_score=sc.code_score,
        passed_by=sc.passed_by,
        partial=sc.partial,
        stop_reason=outcome.stop_reason,
        extra=extra,
        finished_at=utcnow(),
        duration_s=duration,
    )
    res.status, res.score, res.rounds = "finished", sc.score, outcome.rounds
    return res


def _update(store: Store, episode_id: int, **values: Any) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(EpisodeRow).where(EpisodeRow.id == episode_id).values(**values))  # type: ignore[arg-type]


@dataclass
class RunOutcome:
    finished: int = 0
    failed: int = 0
    stopped_reason: str | None = None
    results: list[EpisodeResult] = field(default_factory=list)


def execute(
    store: Store,
    run: RunRow,
    cfg: SteerConfig,
    todo: list[tuple[EpisodeRow, SampleRow]],
    progress: Progress,
    setup: Setup | None = None,
) -> RunOutcome:
    """Run the episodes `todo`, `concurrency` at a time, until done or stopped.
    `setup` (models, executor) is made from `cfg` unless given."""
    setup = setup or make_setup(store, cfg, threading.Event())
    stop = setup.stop
    out = RunOutcome()
    spent = _spent_so_far(store, run.id)  # type: ignore[arg-type]
    done_costs: list[float] = []
    warned_unknown = False
    queue = list(todo)
    running: dict[Future[EpisodeResult], int] = {}
    pool = ThreadPoolExecutor(max_workers=cfg.concurrency, thread_name_prefix="episode")
    try:
        while queue or running:
            while queue and len(running) < cfg.concurrency and not stop.is_set():
                if cfg.max_cost is not None and done_costs:
                    mean = sum(done_costs) / len(done_costs)
                    if spent + mean * (len(running) + 1) > cfg.max_cost:
                        out.stopped_reason = (
                            f"--max-cost ${cfg.max_cost:g}: ${spent:.4f} "
                            f"spent, about ${mean:.4f} per episode"
                        )
                        queue.clear()
                        break
                ep, smp = queue.pop(0)
                running[pool.submit(run_episode, store, setup, cfg.method, ep, smp)] = ep.id  # type: ignore[assignment]
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in finished:
                running.pop(fut)
                res = fut.result()
                out.results.append(res)
                if res.status == "finished":
                    out.finished += 1
                elif res.status == "failed":
                    out.failed += 1
                if res.status != "stopped":
                    spent += res.cost
                    done_costs.append(res.cost)
                if res.cost_unknown and cfg.max_cost is not None and not warned_unknown:
                    warned_unknown = True
                    progress.on_message(
                        "warning: some calls have no known price; --max-cost counts only "
                        "the priced ones"
                    )
                progress.on_episode(res)
    except KeyboardInterrupt:
        stop.set()
        out.stopped_reason = "interrupted"
        progress.on_message("stopping: letting calls in flight finish (Ctrl-C again to quit)")
        for fut in running:
            fut.cancel()
        with contextlib.suppress(KeyboardInterrupt):
            wait(running)
        raise
    finally:
        pool.shutdown(wait=not stop.is_set(), cancel_futures=True)
    return out


def _spent_so_far(store: Store, run_id: int) -> float:
    with store.read() as s:
        rows = s.exec(
            select(EpisodeRow.extra).where(
                EpisodeRow.run_id == run_id, EpisodeRow.status == "finished"
            )
        ).all()
    return sum(float((x or {}).get("cost_usd") or 0.0) for x in rows)
