"""`codesteer generate`: make SymBench samples, or import the original release."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Annotated

import typer

from codesteer_cli.console import console, err, keep_whole


def command(
    task: Annotated[
        str,
        typer.Option("--task", "-t", help="Task id, comma list, family, seen, unseen or all."),
    ] = "all",
    complexity: Annotated[
        str, typer.Option("--complexity", "-c", help="Level 1-10: N, A-B or a comma list.")
    ] = "5",
    n: Annotated[int, typer.Option("-n", help="Samples per task and level (1-100,000).")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="First seed; samples use seed, seed+1…")] = 0,
    split: Annotated[str, typer.Option("--split", help="train or test.")] = "test",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also write the samples to this JSONL.")
    ] = None,
    import_path: Annotated[
        Path | None,
        typer.Option("--import", help="Import a folder laid out like the original release."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="With --import: verify every reference answer.")
    ] = False,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Do not write to the run store.")
    ] = False,
) -> None:
    """Generate SymBench samples into the store (or import the original ones)."""
    from codesteer_cli.errors import UserError
    from codesteer_cli.generation import MAX_PER_LEVEL, seeds_needed
    from codesteer_cli.runs.settings import MAX_SEED, check_int
    from symbench.core import parse_complexity, select_tasks

    tasks = select_tasks(task)
    if split not in ("train", "test"):
        raise UserError(f"--split must be train or test, got {split!r}")
    if check and import_path is None:
        raise UserError("--check needs --import PATH")
    check_int("-n", n, 1, MAX_PER_LEVEL)
    check_int("--seed", seed, 0, MAX_SEED - seeds_needed(n))  # stored seeds are 64-bit
    if out is not None:
        check_out_path(out)
    if import_path is not None:
        _import(import_path, tasks, check, out, no_store)
        return
    levels = parse_complexity(complexity)
    _generate(tasks, levels, n, seed, split, out, no_store)


# Pseudo file systems: writing there is never a samples file (and may do harm).
_PSEUDO = (Path("/proc"), Path("/sys"))


def _under_pseudo(p: Path) -> bool:
    return any(p == d or d in p.parents for d in _PSEUDO)


def _is_stream(p: Path) -> bool:
    """A terminal, /dev/null or a pipe (`--out /dev/stdout`): written like a file."""
    try:
        mode = p.stat().st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def check_out_path(out: Path) -> None:
    """--out names a file (or a stream) that can be written, checked before any work."""
    from codesteer_cli.console import safe
    from codesteer_cli.errors import UserError

    shown = safe(str(out))
    where = Path(os.path.abspath(out.expanduser()))
    stream = _is_stream(where)
    if _under_pseudo(where) or (_under_pseudo(where.resolve()) and not stream):
        raise UserError(f"--out {shown}: /proc and /sys are not places for a samples file")
    if where.is_dir():
        raise UserError(f"--out {shown} is a directory; give a file name, e.g. {shown}/s.jsonl")
    if stream:
        return
    if where.exists() and not where.is_file():
        raise UserError(f"--out {shown} exists and is not a regular file")
    parent = where.parent
    if not parent.is_dir():
        raise UserError(f"--out {shown}: folder {safe(str(parent))} does not exist")
    if not os.access(parent, os.W_OK) or (where.exists() and not os.access(where, os.W_OK)):
        raise UserError(f"--out {shown}: not writable")


class _Out:
    """The --out file; a failed write or close is a one-line error, not a traceback."""

    def __init__(self, out: Path) -> None:
        from codesteer_cli.console import safe

        self.shown = safe(str(out))
        self.fh = self._do(lambda: open(out, "w", encoding="utf-8"))  # noqa: SIM115

    def _do(self, op):  # type: ignore[no-untyped-def]
        from codesteer_cli.errors import UserError

        try:
            return op()
        except OSError as exc:
            raise UserError(f"--out {self.shown}: cannot write: {exc.strerror or exc}") from None

    def write(self, text: str) -> None:
        self._do(lambda: self.fh.write(text))

    def close(self) -> None:
        self._do(self.fh.close)


def _open_out(out: Path | None) -> _Out | None:
    return _Out(out) if out is not None else None


def _progress():  # type: ignore[no-untyped-def]
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


def _generate(tasks, levels, n, seed, split, out, no_store) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    from codesteer_cli.context import get_store
    from codesteer_cli.generation import generate_distinct
    from codesteer_cli.store import repo

    store = None if no_store else get_store()
    other = "train" if split == "test" else "test"
    counts: dict[str, list[int]] = {}
    shortfalls: list[str] = []
    fh = _open_out(out)
    try:
        with _progress() as bar:
            job = bar.add_task("generating", total=len(tasks) * len(levels) * n)
            for t in tasks:
                bar.update(job, description=f"generating {t.id}")
                exclude = repo.problem_keys(store, t.id, other) if store else set()
                made: list = []
                for level in levels:
                    start = len(made)
                    for sample in generate_distinct(
                        t, level, n, seed, split, exclude, on_short=shortfalls.append
                    ):
                        made.append(sample)
                        bar.advance(job)
                        if fh:
                            fh.write(json.dumps(sample.to_dict()) + "\n")
                    bar.advance(job, n - (len(made) - start))
                added, _ = repo.add_samples(store, made) if store else (0, 0)
                counts[t.id] = [len(made), added]
    finally:
        if fh:
            fh.close()
    if store:
        repo.create_run(
            store,
            "generate",
            {
                "tasks": [t.id for t in tasks],
                "complexity": levels,
                "n": n,
                "seed": seed,
                "split": split,
            },
            status="finished",
            summary={
                "generated": sum(c[0] for c in counts.values()),
                "added": sum(c[1] for c in counts.values()),
            },
        )
    table = Table(title=f"{split} samples, complexity {_levels_text(levels)}")
    table.add_column("task")
    table.add_column("split")
    table.add_column("generated", justify="right")
    table.add_column("new in store", justify="right")
    for t in tasks:
        made_n, added = counts[t.id]
        table.add_row(t.id, t.split, str(made_n), str(added) if store else "-")
    console.print(keep_whole(table, "task"))
    for msg in shortfalls:
        err.print(f"[yellow]note:[/] {msg}", highlight=False)
    where = f"store {store.display}" if store else "no store"
    err.print(
        f"{sum(c[0] for c in counts.values())} samples → {where}" + (f", {out}" if out else "")
    )


def _levels_text(levels: list[int]) -> str:
    if len(levels) > 2 and levels == list(range(levels[0], levels[-1] + 1)):
        return f"{levels[0]}-{levels[-1]}"
    return ",".join(map(str, levels))


def _import(root: Path, tasks, check: bool, out, no_store: bool) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    from codesteer_cli.context import get_store
    from codesteer_cli.errors import UserError
    from codesteer_cli.generation import import_original
    from codesteer_cli.store import repo

    results = import_original(root, tasks, check)
    if not results:
        raise UserError(f"no task folders of the original release found in {root}")
    store = None if no_store else get_store()
    table = Table(title=f"imported from {root}")
    for col in ("task", "sets", "samples", "complexity", "new in store"):
        table.add_column(col, justify="left" if col in ("task", "sets") else "right")
    if check:
        for col in ("verified", "known bad", "failed"):
            table.add_column(col, justify="right")
    fh = _open_out(out)
    try:
        for res in results:
            added = repo.add_samples(store, res.samples)[0] if store else 0
            if fh:
                for s in res.samples:
                    fh.write(json.dumps(s.to_dict()) + "\n")
            row = [
                res.task,
                ", ".join(res.sets),
                str(len(res.samples)),
                _levels_text(res.levels) if res.levels else "-",
                str(added) if store else "-",
            ]
            if check:
                row += [
                    str(res.verified),
                    str(len(res.known_bad)),
                    f"[red]{len(res.failed)}[/]" if res.failed else "0",
                ]
            table.add_row(*row)
    finally:
        if fh:
            fh.close()
    console.print(keep_whole(table, "task", "sets"))
    bad = False
    for res in results:
        for e in res.errors:
            err.print(f"[red]{res.task}: import error: {e}[/]")
            bad = True
        for origin, why in res.failed[:10]:
            err.print(f"[red]{res.task}: {origin}: reference answer rejected: {why}[/]")
        if len(res.failed) > 10:
            err.print(f"[red]{res.task}: … and {len(res.failed) - 10} more[/]")
        bad = bad or bool(res.failed)
        for origin in res.known_bad_now_pass:
            err.print(f"[yellow]{res.task}: {origin} is listed as known-bad but verifies[/]")
    if check and bad:
        raise typer.Exit(1)
