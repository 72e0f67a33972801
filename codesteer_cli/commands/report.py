"""`codesteer report`: success, normalized score and cost of steer runs, beside the paper."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from codesteer_cli.console import console, err
from codesteer_cli.reporting.compare import method_names

if TYPE_CHECKING:
    from codesteer_cli.reporting.queries import RunInfo
    from codesteer_cli.store.db import Store

# Cheap import (no data is read until used): the names for --help come from the alias table.
_COMPARE_NAMES = ", ".join(f"{n} (only question)" if n == "gpt-4o" else n for n in method_names())


def command(
    runs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="RUN...",
            help="Steer runs by name or id. Default: the latest finished steer run of each "
            "configuration (method, task model, guide).",
            show_default=False,
        ),
    ] = None,
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare",
            "-c",
            help="Published results to compare with (CodeSteer paper, Table 1), comma list: "
            f"paper (all thirteen, the set the paper normalized over) or any of {_COMPARE_NAMES}.",
            show_default=False,
        ),
    ] = None,
    by: Annotated[
        str, typer.Option("--by", help="Rows per task, family, split or complexity.")
    ] = "task",
    decisions_by: Annotated[
        str,
        typer.Option(
            "--decisions-by",
            help="Rows of the guide-decisions table: per split (seen/unseen) or per task.",
        ),
    ] = "split",
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table, md, csv, json or html.")
    ] = "table",
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the report to this file instead of stdout."),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Write PNG pictures into this folder.", show_default=False),
    ] = None,
    diff: Annotated[
        list[str] | None,
        typer.Option(
            "--diff",
            help="A,B: success difference B − A of two runs with a paired bootstrap 95% "
            "interval (shown anyway when the report has exactly two runs). A side may be "
            "X|Y: the better of those runs over all their samples (e.g. the best fixed "
            "method, all_code|all_text). Repeatable.",
            show_default=False,
        ),
    ] = None,
    hindsight: Annotated[
        list[str] | None,
        typer.Option(
            "--hindsight",
            help="A,B[,...]: the most a router between these runs could score, chosen "
            "after seeing their results: the better run on each task and any run right on "
            "each sample (e.g. all_code,all_text: a perfect code/text router). Repeatable.",
            show_default=False,
        ),
    ] = None,
    no_runs: Annotated[
        bool, typer.Option("--no-runs", help="Leave stored runs out (published results only).")
    ] = False,
) -> None:
    """Success rates, the paper's normalized score and cost per sample of steer runs.

    Without RUN the report takes the latest finished steer run of each configuration
    (method + task model + guide); older runs of the same configuration and runs still
    running are left out unless named. --compare adds the paper's published methods;
    with exactly two runs (or --diff A,B) the report adds their paired difference;
    --hindsight A,B adds what a perfect router between runs would score.
    Methods are compared on the tasks they all have (the report lists the dropped ones);
    the normalized score (s / best × 100 per task, averaged) is taken over exactly the
    methods shown. A task every method scored 0 on is left out of those averages.
    """
    from codesteer_cli.errors import UserError
    from codesteer_cli.reporting.compare import resolve_compare
    from codesteer_cli.reporting.model import build_report, check_choices
    from codesteer_cli.reporting.queries import default_runs, resolve_runs
    from codesteer_cli.reporting.render import FORMATS

    check_choices(by, decisions_by)
    if fmt not in FORMATS:
        raise UserError(f"--format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    paper = resolve_compare(compare)
    if out is not None:
        _check_writable(out)
    pair_refs: list[list[str]] = []
    names = {m.name for m in paper} | {"paper"}
    for d in diff or []:
        refs = [p.strip() for p in d.split(",") if p.strip()]
        if len(refs) != 2:
            raise UserError(f"--diff needs two runs, A,B; got {d!r}")
        if any(p in names for p in refs):
            raise UserError(
                "--diff compares stored runs; the paper publishes no per-sample results"
            )
        pair_refs.append(refs)

    group_refs: list[list[str]] = []
    for h in hindsight or []:
        refs = [p.strip() for p in h.split(",") if p.strip()]
        if len(refs) < 2 or len(set(refs)) < len(refs):
            raise UserError(f"--hindsight needs two or more different runs, A,B; got {h!r}")
        if any(p in names or "|" in p for p in refs):
            raise UserError(
                "--hindsight routes between stored runs, named one by one; the paper "
                "publishes no per-sample results"
            )
        group_refs.append(refs)

    store = _open_store(need=bool(runs) or bool(pair_refs) or bool(group_refs))
    if runs:
        chosen = resolve_runs(store, runs)
    elif no_runs or store is None:
        chosen = []
    else:
        chosen = default_runs(store)
    pairs = []
    best_notes: list[str] = []
    for refs in pair_refs:
        a, b = (_best_of(store, ref, best_notes) for ref in refs)
        if a.id == b.id:
            raise UserError("--diff needs two different runs")
        pairs.append((a, b))
    if not pair_refs and len(chosen) == 2:
        pairs.append((chosen[0], chosen[1]))
    if not chosen and not paper and not pairs:
        where = store.display if store is not None else "the store (it does not exist yet)"
        raise UserError(
            f"nothing to report: no finished steer runs in {where}; name runs or use "
            "--compare paper"
        )

    groups = [resolve_runs(store, refs) for refs in group_refs]
    for refs, group in zip(group_refs, groups, strict=True):
        if len({r.id for r in group}) < len(refs):
            raise UserError(f"--hindsight {','.join(refs)}: names the same run twice")
    report = build_report(
        store, chosen, paper, by=by, diffs=pairs, hindsights=groups, decisions_by=decisions_by
    )
    report.notes.extend(best_notes)
    pngs: dict[str, bytes] = {}
    if plot is not None or fmt == "html":
        from codesteer_cli.reporting.plots import make_plots, write_plots

        pngs = make_plots(report)
        if plot is not None:
            written = write_plots(report, plot, pngs)
            err.print(f"{len(written)} pictures → {plot}")
    _emit(report, fmt, out, pngs)


def _check_writable(out: Path) -> None:
    from codesteer_cli.errors import UserError

    if out.is_dir():
        raise UserError(f"cannot write --out {out}: it is a folder")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"cannot write --out {out}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise UserError(f"cannot write --out {out}: permission denied")


def _open_store(need: bool) -> Store | None:
    """The run store, or None when its SQLite file does not exist (never created here)."""
    from codesteer_cli.context import get_store, settings
    from codesteer_cli.errors import UserError
    from codesteer_cli.store.db import resolve_url

    url = resolve_url(settings.db)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
        if need:
            path = url[len("sqlite:///") :]
            raise UserError(f"cannot find runs: the store {path} does not exist")
        return None
    return get_store()


def _emit(report, fmt: str, out: Path | None, pngs: dict[str, bytes]) -> None:  # type: ignore[no-untyped-def]
    from codesteer_cli.errors import UserError
    from codesteer_cli.reporting import render

    if fmt == "table" and out is None:
        if console.is_terminal:
            for r in render.rich_tables(report):
                console.print(r)
                console.print()
        else:
            typer.echo(render.render_text(report), nl=False)
        return
    if fmt == "table":
        text = render.render_text(report)
    elif fmt == "md":
        text = render.render_markdown(report)
    elif fmt == "csv":
        text = render.render_csv(report)
        for note in report.notes:
            err.print(f"note: {note}", highlight=False, soft_wrap=True)
    elif fmt == "json":
        text = render.render_json(report) + "\n"
    else:
        from codesteer_cli.reporting.html import render_html

        text = render_html(report, pngs)
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write --out {out}: {exc.strerror or exc}") from None
    err.print(f"report ({fmt}) → {out}")


def _best_of(store: Store | None, ref: str, notes: list[str]) -> RunInfo:
    """The run `ref` names; for X|Y, the one with the highest success over its samples."""
    from codesteer_cli.reporting.queries import resolve_runs, sample_success

    alternatives = [r.strip() for r in ref.split("|") if r.strip()]
    runs = resolve_runs(store, alternatives)
    if len(runs) == 1:
        return runs[0]
    assert store is not None  # resolve_runs refuses names without a store

    def success(run: RunInfo) -> float:
        got = sample_success(store, run.id)
        return sum(v for _, v in got.values()) / len(got) if got else 0.0

    rates = [success(r) for r in runs]
    best = max(range(len(runs)), key=lambda i: rates[i])  # ties: the first named
    shown = ", ".join(f"{r.name} {100 * v:.1f}%" for r, v in zip(runs, rates, strict=True))
    tied = [r.name for i, r in enumerate(runs) if i != best and rates[i] == rates[best]]
    tie = f"; tied with {', '.join(tied)}, the first named is taken" if tied else ""
    notes.append(f"--diff {ref}: the better over all samples is {runs[best].name} ({shown}){tie}")
    return runs[best]
