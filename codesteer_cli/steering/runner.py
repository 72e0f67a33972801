"""`steer` runs: a method over test samples, one scored episode per sample and repeat.

The lifecycle (open/resume, the pool, stopping, finishing) is `runs.lifecycle`'s; this
module says what a steer run plays: `SteerConfig`, its samples, and `run_episode`.
`EpisodeItem` plays a recorded episode of any method; synthesis reuses it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from codesteer_cli.errors import UserError
from codesteer_cli.runs import lifecycle
from codesteer_cli.runs.lifecycle import OpenRun, Plan, RunKind, RunResult
from codesteer_cli.runs.pool import ItemResult, Job, Next, Progress
from codesteer_cli.runs.samples import choose_samples
from codesteer_cli.runs.settings import EpisodeSettings, RunConfig, check_int
from codesteer_cli.steering.episode import (
    Episode,
    EpisodeFailed,
    Models,
    Setup,
    Stopped,
    make_models,
    score_answer,
)
from codesteer_cli.steering.methods import NEEDS_GUIDE, get_method
from codesteer_cli.steering.record import EpisodeRecorder
from codesteer_cli.store import episodes, repo
from codesteer_cli.store.db import Store
from codesteer_cli.store.models import EpisodeRow, SampleRow, utcnow
from symbench.core import get_task, parse_complexity, select_tasks

if TYPE_CHECKING:
    from codesteer_cli.steering.original_release import OriginalRelease

log = logging.getLogger("codesteer.steer")
DEFAULT_MODEL = "local:smollm2"


@dataclass(frozen=True, kw_only=True)
class SteerConfig(RunConfig):
    """What a steer run does (`execution` only affects how it runs)."""

    KIND: ClassVar[str] = "steer"

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
    episode: EpisodeSettings = field(default_factory=EpisodeSettings)
    variant: str = "free"

    def validate(self) -> None:
        super().validate()
        get_method(self.method)
        select_tasks(self.tasks)
        if self.complexity:
            parse_complexity(self.complexity)
        if self.split not in ("train", "test"):
            raise UserError(f"--split must be train or test, got {self.split!r}")
        if self.source not in ("any", "generated", "imported"):
            raise UserError("--source must be any, generated or imported")
        check_int("--repeats", self.repeats, 1, 1000)
        check_int("--limit", self.limit, 1, 10_000_000)
        if self.episode.protocol == "original":
            from codesteer_cli.steering.original import check_method

            check_method(self.method)
            original_release(self)

    @property
    def guide_spec(self) -> str | None:
        """The guide model, when the method has one (default: the task model)."""
        return (self.guide or self.task_model) if self.method in NEEDS_GUIDE else None


def original_release(cfg: SteerConfig) -> OriginalRelease:
    """The release a `--protocol original` run reads; it must hold the strings the run
    started with (their fingerprint is part of the run's settings)."""
    from codesteer_cli.steering.original_release import load_release

    rel = load_release(cfg.execution.original_release)
    pinned = cfg.episode.original_prompts
    if pinned is not None and pinned != rel.fingerprint:
        raise UserError(
            f"--original-release {rel.root} holds other strings (fingerprint "
            f"{rel.fingerprint}) than this run was started with ({pinned})"
        )
    return rel


# --- playing one episode ----------------------------------------------------------------
def _result(ep: EpisodeRow, task: str, status: str) -> ItemResult:
    assert ep.id is not None
    return ItemResult(ep.id, task, status)


def run_episode(
    store: Store, setup: Setup, method: str, ep: EpisodeRow, smp: SampleRow
) -> ItemResult:
    """Play and score one episode; its failure never escapes (it is recorded)."""
    assert ep.id is not None
    task = get_task(smp.task)
    sample = repo.row_to_sample(smp)
    start = time.monotonic()
    episodes.set_values(store, ep.id, status="running", started_at=utcnow())
    rec = EpisodeRecorder(store, ep.id)
    episode = Episode(setup, task, sample, rec, ep.repeat)
    t = rec.tally
    res = _result(ep, task.id, "failed")
    try:
        if setup.settings.protocol == "original":
            from codesteer_cli.steering.original import play

            outcome = play(episode, method)
        else:
            outcome = get_method(method)(episode)
        sc = score_answer(task, sample, outcome.final)
    except Stopped:
        # Not "pending": its partial turns are cleared when the run is resumed.
        episodes.set_values(store, ep.id, status="stopped")
        res.status = "stopped"
        return res
    except EpisodeFailed as exc:
        res.error = str(exc)
    except Exception as exc:  # a bug or an executor failure: this episode only
        log.exception("episode %s failed", ep.id)
        res.error = f"{type(exc).__name__}: {exc}"[:2000]
    res.tokens, res.cost, res.cost_unknown = sum(t.tokens.values()), t.cost, t.cost_unknown
    done = {"extra": t.to_extra(), "finished_at": utcnow(), "duration_s": time.monotonic() - start}
    if res.error is not None:
        episodes.set_values(store, ep.id, status="failed", error=res.error, **done)
        return res
    done["extra"].update({"answer_modes": outcome.modes, "detail": sc.detail[:500]})
    episodes.set_values(
        store,
        ep.id,
        status="finished",
        rounds=outcome.rounds,
        final_answer=outcome.final.text,
        score=sc.score,
        text_score=sc.text_score,
        code_score=sc.code_score,
        passed_by=sc.passed_by,
        partial=sc.partial,
        stop_reason=outcome.stop_reason,
        **done,
    )
    res.status, res.score, res.rounds = "finished", sc.score, outcome.rounds
    return res


class EpisodeItem:
    """A pool item that plays one episode as one job; `after` sees its result."""

    def __init__(
        self,
        store: Store,
        setup: Setup,
        method: str,
        ep: EpisodeRow,
        smp: SampleRow,
        after: Callable[[ItemResult], None] | None = None,
    ) -> None:
        self.store, self.setup, self.method, self.ep, self.smp = store, setup, method, ep, smp
        self.after = after

    def start(self) -> Sequence[Job]:
        return [Job(self, run_episode, (self.store, self.setup, self.method, self.ep, self.smp))]

    def done(self, job: Job, value: Any) -> Next:
        if self.after is not None:
            self.after(value)
        return [], value

    def error(self, job: Job, exc: Exception) -> Next:
        res = _result(self.ep, self.smp.task, "failed")
        res.error = f"{type(exc).__name__}: {exc}"[:2000]
        return [], res


# --- the steer kind ---------------------------------------------------------------------
class Steer(RunKind[SteerConfig, Models]):
    config = SteerConfig

    def plan(
        self, store: Store, cfg: SteerConfig, resumed: bool, on_message: Callable[[str], None]
    ) -> Plan:
        rows = choose_samples(store, cfg.tasks, cfg.split, cfg.complexity, cfg.source, cfg.limit)
        return Plan(rows, cfg.repeats, cfg.method)

    def models(self, store: Store, cfg: SteerConfig) -> Models:
        guides = [cfg.guide_spec] if cfg.guide_spec else []
        return make_models(store, cfg.execution, cfg.task_model, guides, cfg.checker_model)

    def items(
        self, store: Store, run: OpenRun[SteerConfig], models: Models, stop: threading.Event
    ) -> Iterator[EpisodeItem]:
        cfg = run.cfg
        setup = models.setup(cfg.episode, stop)
        setup.variant = cfg.variant
        if cfg.episode.protocol == "original":
            setup.release = original_release(cfg)
        for ep, smp in run.todo:
            yield EpisodeItem(store, setup, cfg.method, ep, smp)

    def describe(self, cfg: SteerConfig) -> str:
        guide = f", guide {cfg.guide_spec}" if cfg.guide_spec else ""
        protocol = ", the original's protocol" if cfg.episode.protocol == "original" else ""
        return f"{cfg.method} with {cfg.task_model}{guide}{protocol}"

    def summary(self, store: Store, run: OpenRun[SteerConfig]) -> dict[str, Any]:
        from codesteer_cli.store.figures import task_summaries

        return {"tasks": [r.__dict__ for r in task_summaries(store, run.id)]}


STEER = Steer()


def steer(
    store: Store,
    cfg: SteerConfig,
    name: str | None = None,
    resume: str | None = None,
    progress: Progress | None = None,
    models: Models | None = None,
    on_open: Callable[[OpenRun[SteerConfig]], None] | None = None,
    stop: threading.Event | None = None,
) -> RunResult[SteerConfig]:
    """Open or resume a steer run and play its pending episodes."""
    return lifecycle.run(store, STEER, cfg, name, resume, progress, models, on_open, stop)
