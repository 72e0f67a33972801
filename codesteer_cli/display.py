"""How run commands show a run: the live progress bar, the per-task table, and the
closing lines (stopped, failed, how to resume) with the command's exit status."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer

from codesteer_cli.console import console, err, safe

if TYPE_CHECKING:
    from codesteer_cli.runs.lifecycle import OpenRun, RunResult
    from codesteer_cli.runs.pool import ItemResult, Progress
    from codesteer_cli.store.figures import TaskSummary


@dataclass
class LiveStats:
    """Running totals of one invocation, for the progress bar."""

    finished: int = 0
    solved: int = 0
    failed: int = 0
    steps: int = 0  # jobs of many-job items (tree nodes)
    tokens: int = 0
    cost: float = 0.0
    unknown: bool = False
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, res: ItemResult) -> None:
        if res.status == "failed":
            self.failed += 1
        elif res.status == "finished":
            self.finished += 1
            self.solved += res.solved
        self.tokens += res.tokens
        self.cost += res.cost
        self.unknown |= res.cost_unknown
        for k, v in res.counts.items():
            self.counts[k] = self.counts.get(k, 0) + v

    @property
    def money(self) -> str:
        return "?" if self.unknown else f"${self.cost:.4f}"

    def tail(self) -> str:
        text = f" · {self.tokens:,} tok · {self.money}"
        return text + (f" · [red]{self.failed} failed[/]" if self.failed else "")


def solved_line(st: LiveStats) -> str:
    pct = 100 * st.solved / max(st.finished, 1)
    return f"solved {st.solved}/{st.finished} ({pct:.0f}%)" + st.tail()


def announce(run: OpenRun[Any], what: str, unit: str = "episodes") -> None:
    """The run's first line: name, what it does, how much is left."""
    done = f", {run.done} already done" if run.done else ""
    err.print(f"[bold]{safe(run.name)}[/]: {safe(what)}; {run.total} {unit}{done}", soft_wrap=True)


@contextmanager
def live(
    unit: str, line: Callable[[LiveStats], str] = solved_line
) -> Iterator[tuple[Progress, Callable[[OpenRun[Any]], None]]]:
    """A progress bar for a run: yields the pool's `Progress` and the `on_open` callback
    that sizes the bar once the run is open."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as Bar

    from codesteer_cli.runs.pool import Progress

    stats = LiveStats()
    bar = Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[stats]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )
    job: list[Any] = []

    def on_open(run: OpenRun[Any]) -> None:
        bar.start()
        job.append(bar.add_task(unit, total=run.total, completed=run.done, stats=""))

    def on_item(res: ItemResult) -> None:
        if res.status == "stopped":
            return
        stats.add(res)
        bar.update(job[0], advance=1, stats=line(stats))

    def on_step() -> None:
        stats.steps += 1
        bar.update(job[0], stats=line(stats))

    try:
        yield Progress(on_item, on_step, lambda m: err.print(safe(m))), on_open
    finally:
        bar.stop()


def task_table(name: str, rows: list[TaskSummary]) -> None:
    """Per-task figures of one run."""
    from rich.table import Table

    table = Table(title=f"run {safe(name)}")
    table.add_column("task", no_wrap=True)
    for col in ("n", "success %", "rounds", "task tok", "guide tok", "cost $", "s/ep"):
        table.add_column(col, justify="right")
    tot_f = tot_s = 0
    for r in rows:
        cost = "?" if r.cost_usd is None else f"{r.cost_usd:.4f}"
        fail = f" [red]({r.failed} failed)[/]" if r.failed else ""
        table.add_row(
            r.task,
            f"{r.finished}{fail}",
            f"{r.success:.1f}",
            f"{r.mean_rounds:.2f}",
            f"{r.task_tokens:,.0f}",
            f"{r.guide_tokens:,.0f}",
            cost,
            f"{r.seconds:.1f}",
        )
        tot_f += r.finished
        tot_s += r.solved
    if len(rows) > 1:
        table.add_row(
            "[bold]all[/]", str(tot_f), f"{100 * tot_s / max(tot_f, 1):.1f}", "", "", "", "", ""
        )
    console.print(table)


def closing(result: RunResult[Any], command: str) -> None:
    """What is left to do, and the exit status: 0 all done, 1 some episodes failed,
    3 stopped before all were played, 130 interrupted."""
    name = safe(result.run.name)
    resume = f"{command} --resume {name}"
    if result.interrupted:
        err.print(f"[yellow]stopped.[/] Resume with: {resume}")
    else:
        if result.stopped_reason:
            err.print(f"[yellow]stopped early: {safe(result.stopped_reason)}[/]")
        if result.failed:
            err.print(
                f"[red]{result.failed} of {sum(result.counts.values())} episodes failed[/] "
                f"(see codesteer runs show {name}); {resume} retries them"
            )
        if result.left:
            err.print(f"{result.left} episodes not run. Resume with: {resume}")
    if result.exit_code:
        raise typer.Exit(result.exit_code)
