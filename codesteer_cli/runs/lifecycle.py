"""The life of a run, for every kind (steer, synthesize sft, synthesize dpo, ...).

open or resume by name → make the episodes (first time only) → reset unfinished ones →
play the pending ones on one pool → finish with a status. A kind says what differs:
which samples, which models, how an episode is played, what summary is stored.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from codesteer_cli.errors import UserError
from codesteer_cli.runs.host import host
from codesteer_cli.runs.pool import Budget, Item, ItemResult, Progress, run_items
from codesteer_cli.runs.settings import RunConfig, check_name
from codesteer_cli.store import episodes, leases, repo
from codesteer_cli.store.db import Store
from codesteer_cli.store.models import EpisodeRow, RunRow, SampleRow

C = TypeVar("C", bound=RunConfig)
M = TypeVar("M")

# Exit statuses of a run command (documented in the README).
EXIT_DONE = 0  # every episode finished
EXIT_FAILED = 1  # some episodes failed
EXIT_STOPPED = 3  # stopped before every episode was played (--max-cost, ...)
EXIT_INTERRUPTED = 130  # Ctrl-C


@dataclass
class Plan:
    """The episodes a new run makes: each sample × `repeats`."""

    samples: list[SampleRow]
    repeats: int = 1
    method: str = ""


@dataclass
class OpenRun(Generic[C]):
    row: RunRow
    cfg: C
    resumed: bool
    todo: list[tuple[EpisodeRow, SampleRow]]
    done: int

    @property
    def id(self) -> int:
        assert self.row.id is not None
        return self.row.id

    @property
    def name(self) -> str:
        return self.row.name

    @property
    def total(self) -> int:
        return len(self.todo) + self.done


@dataclass
class RunResult(Generic[C]):
    """How a run command ended, with the store's counts after it."""

    run: OpenRun[C]
    status: str  # finished | stopped
    counts: dict[str, int] = field(default_factory=dict)  # episodes by status
    results: list[ItemResult] = field(default_factory=list)  # of this invocation
    stopped_reason: str | None = None
    interrupted: bool = False

    @property
    def finished(self) -> int:
        return self.counts.get("finished", 0)

    @property
    def failed(self) -> int:
        return self.counts.get("failed", 0)

    @property
    def left(self) -> int:
        return sum(n for st, n in self.counts.items() if st not in ("finished", "failed"))

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.failed:
            return EXIT_FAILED
        return EXIT_STOPPED if self.left else EXIT_DONE


class RunKind(ABC, Generic[C, M]):
    """What one kind of run does differently; the lifecycle does the rest."""

    config: type[C]

    @abstractmethod
    def plan(
        self, store: Store, cfg: C, resumed: bool, on_message: Callable[[str], None]
    ) -> Plan: ...

    @abstractmethod
    def models(self, store: Store, cfg: C) -> M:
        """The models (and executor) to play with, made from the config."""

    @abstractmethod
    def items(
        self, store: Store, run: OpenRun[C], models: M, stop: threading.Event
    ) -> Iterator[Item]:
        """One item per pending episode of `run.todo`, in order."""

    def describe(self, cfg: C) -> str:
        """One line saying what the run does, for the start of its output."""
        return cfg.KIND

    def finish(self, store: Store, run: OpenRun[C]) -> None:
        """Work after play (not after Ctrl-C), before the summary is taken."""

    def summary(self, store: Store, run: OpenRun[C]) -> dict[str, Any] | None:
        """Stored with the run when it ends."""
        return None


def open_run(
    store: Store,
    cfg: C,
    name: str | None = None,
    resume: str | None = None,
    plan: Callable[[C, bool], Plan] | None = None,
) -> OpenRun[C]:
    """Create the run, or find the one to continue (`resume`, or a taken `name` whose
    settings match), make its episodes the first time, reset its unfinished ones."""
    check_name("--name", name)
    check_name("--resume", resume)
    kind = cfg.KIND
    row = None if resume else _create(store, cfg, name)
    resumed = row is None
    if row is None:
        row = _find(store, resume or name or "", kind)
        old = type(cfg).from_json(row.config)
        if not resume:
            diff = old.differences(cfg)
            if diff:
                raise UserError(
                    f"run {name!r} exists with different settings ({', '.join(diff)}); "
                    "choose another --name or --resume it"
                )
        cfg = old.resumed_with(cfg)
    assert row.id is not None
    if resumed:  # (a new run is created holding its lease)
        leases.acquire(store, row.id)
        repo.set_run_status(store, row.id, "running")
    if plan is not None and (not resumed or not episodes.count(store, row.id)):
        p = plan(cfg, resumed)
        ids = [s.id for s in p.samples if s.id is not None]
        episodes.ensure(store, row.id, ids, p.repeats, p.method)
    episodes.reset_unfinished(store, row.id)
    todo, done = episodes.pending(store, row.id)
    return OpenRun(row, cfg, resumed, todo, done)


def _create(store: Store, cfg: RunConfig, name: str | None) -> RunRow | None:
    """A new run holding its lease, or None when `name` is taken (to be continued)."""
    from codesteer_cli.models.pricing import PRICE_TABLE_DATE
    from codesteer_cli.steering.prompts import get_prompts

    if name and repo.get_run(store, name) is not None:
        return None
    cfg.validate()
    try:
        return repo.create_run(
            store,
            cfg.KIND,
            cfg.to_json(),
            name,
            prompt_version=cfg.prompt_id or get_prompts(cfg.prompt_set).id,
            price_table_date=PRICE_TABLE_DATE,
            **leases.new_lease(),
        )
    except repo.NameTaken:  # another process created it a moment ago
        return None


def _find(store: Store, ref: str, kind: str) -> RunRow:
    row = repo.get_run(store, ref)
    if row is None:
        raise UserError(f"no run named or numbered {ref!r} (see codesteer runs list)")
    _check_kind(row, kind)
    return row


def _check_kind(row: RunRow, kind: str) -> None:
    if row.kind != kind:
        raise UserError(f"run {row.name!r} is a {row.kind} run, not {kind}")


def run(
    store: Store,
    kind: RunKind[C, M],
    cfg: C,
    name: str | None = None,
    resume: str | None = None,
    progress: Progress | None = None,
    models: M | None = None,
    on_open: Callable[[OpenRun[C]], None] | None = None,
    stop: threading.Event | None = None,
) -> RunResult[C]:
    """Open (or resume) a run of `kind` and play its pending episodes. `models` replaces
    the ones the config names (tests); `on_open` sees the run before play starts; setting
    `stop` stops it as Ctrl-C would, without the interrupt."""
    progress = progress or Progress()
    if models is None and not resume:
        cfg.validate()
        models = kind.models(store, cfg)  # a missing key or package fails before any sample
    opened = open_run(
        store, cfg, name, resume, lambda c, r: kind.plan(store, c, r, progress.on_message)
    )
    if models is None and opened.todo:  # nothing left to play: no model needed
        models = kind.models(store, opened.cfg)
    if on_open is not None:
        on_open(opened)
    stop = stop or threading.Event()
    ex = opened.cfg.execution
    budget = Budget(ex.max_cost, spent=episodes.spent(store, opened.id))
    result = RunResult(opened, "stopped")
    with leases.Heartbeat(store, opened.id):
        try:
            if opened.todo:
                assert models is not None
                items = kind.items(store, opened, models, stop)
                pool = run_items(items, ex.concurrency, stop, progress, budget)
                result.results, result.stopped_reason = pool.results, pool.stopped_reason
        except KeyboardInterrupt:
            result.interrupted, result.stopped_reason = True, "interrupted"
        except Exception as exc:  # a bug: the run is marked, then the error goes up
            repo.finish_run(store, opened.id, status="failed", error=repr(exc)[:2000])
            raise
        result.counts = episodes.status_counts(store, opened.id)
        result.status = "stopped" if result.left or result.interrupted else "finished"
        summary = None
        if not result.interrupted:
            kind.finish(store, opened)
            summary = {**(kind.summary(store, opened) or {}), "host": host()}
        repo.finish_run(store, opened.id, status=result.status, summary=summary)
    return result
