"""One worker pool for every kind of run, with one way to stop.

A run's work is a sequence of *items*, one per episode. An item is played as one job
(a steer episode) or as many (a DPO tree: one job per node, each finished job giving the
next ones). Jobs run `concurrency` at a time, depth first, so an item started early
finishes early; the main thread hands each finished job back to its item, which returns
the jobs it leads to and, once it is done, its result. Nothing new starts once `stop` is
set (Ctrl-C, or `--max-cost` about to be passed); calls in flight finish.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger("codesteer.runs")


@dataclass
class ItemResult:
    """How one episode (or tree) ended."""

    episode_id: int
    task: str
    status: str  # finished | failed | stopped
    score: float | None = None
    rounds: int = 0
    tokens: int = 0
    cost: float = 0.0
    cost_unknown: bool = False
    error: str | None = None
    counts: dict[str, int] = field(default_factory=dict)  # per kind: nodes, pairs, ...

    @property
    def solved(self) -> bool:
        return self.status == "finished" and (self.score or 0.0) >= 1.0


def _nothing(*_: Any) -> None:
    return None


@dataclass
class Progress:
    """Callbacks, all called on the thread that runs the pool."""

    on_item: Callable[[ItemResult], None] = _nothing
    on_step: Callable[[], None] = _nothing  # one job of a many-job item is done
    on_message: Callable[[str], None] = _nothing


@dataclass(eq=False)
class Job:
    item: Item
    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()


Next = tuple[Sequence[Job], ItemResult | None]


class Item(Protocol):
    """One episode's work."""

    def start(self) -> Sequence[Job]: ...

    def done(self, job: Job, value: Any) -> Next: ...

    def error(self, job: Job, exc: Exception) -> Next: ...


@dataclass
class PoolOutcome:
    results: list[ItemResult] = field(default_factory=list)
    stopped_reason: str | None = None


@dataclass
class Budget:
    """`--max-cost`: no new item once the mean cost per item says the next would pass."""

    max_cost: float | None
    spent: float = 0.0
    costs: list[float] = field(default_factory=list)
    warned_unknown: bool = False

    def blocks(self, running: int) -> str | None:
        if self.max_cost is None or not self.costs:
            return None
        mean = sum(self.costs) / len(self.costs)
        if self.spent + mean * (running + 1) > self.max_cost:
            return (
                f"--max-cost ${self.max_cost:g}: ${self.spent:.4f} spent, "
                f"about ${mean:.4f} per episode"
            )
        return None

    def add(self, res: ItemResult, progress: Progress) -> None:
        if res.status == "stopped":
            return
        self.spent += res.cost
        self.costs.append(res.cost)
        if res.cost_unknown and self.max_cost is not None and not self.warned_unknown:
            self.warned_unknown = True
            progress.on_message(
                "warning: some calls have no known price; --max-cost counts only the priced ones"
            )


def run_items(
    items: Iterator[Item],
    concurrency: int,
    stop: threading.Event,
    progress: Progress,
    budget: Budget,
) -> PoolOutcome:
    """Play `items` until done or stopped. Ctrl-C sets `stop`, lets the calls in flight
    finish, and is raised again."""
    out = PoolOutcome()
    stack: list[Job] = []
    running: dict[Future[Any], Job] = {}
    # Items started and not yet ended. A job whose item is not here is dropped: its item
    # has given its result (a failed tree's remaining nodes).
    alive: dict[int, Item] = {}
    more = True
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="episode")

    def emit(job: Job, nxt: Next) -> None:
        jobs, res = nxt
        stack.extend(reversed(jobs))
        if res is not None:
            alive.pop(id(job.item), None)
            out.results.append(res)
            budget.add(res, progress)
            progress.on_item(res)
        else:
            progress.on_step()

    try:
        while True:
            while len(running) < concurrency and not stop.is_set():
                if stack:
                    job = stack.pop()
                    if alive.get(id(job.item)) is job.item:
                        running[pool.submit(job.fn, *job.args)] = job
                    continue
                if not more:
                    break
                reason = budget.blocks(len(running))
                if reason:
                    out.stopped_reason, more = reason, False
                    break
                item = next(items, None)
                if item is None:
                    more = False
                    break
                alive[id(item)] = item
                stack.extend(reversed(item.start()))
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in finished:
                job = running.pop(fut)
                if alive.get(id(job.item)) is not job.item:
                    continue
                try:
                    value = fut.result()
                except Exception as exc:
                    emit(job, job.item.error(job, exc))
                else:
                    emit(job, job.item.done(job, value))
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
    if stop.is_set() and out.stopped_reason is None:
        out.stopped_reason = "stopped"
    return out
