"""`codesteer runs`: list runs, show one, replay an episode turn by turn."""

from __future__ import annotations

from typing import Annotated

import typer

from codesteer_cli.console import console

app = typer.Typer(help="Stored runs: list, show, replay an episode.", no_args_is_help=True)


@app.command("list")
def list_runs(
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind", help="Only runs of this kind (steer, generate, synthesize-sft, train-sft, …)."
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Newest N runs.")] = 30,
) -> None:
    """List runs, newest first, with their progress and score."""
    from rich.table import Table
    from sqlalchemy import case, func
    from sqlmodel import select

    from codesteer_cli.context import get_store
    from codesteer_cli.store.models import EpisodeRow, RunRow

    store = get_store()
    q = select(RunRow).order_by(RunRow.id.desc()).limit(limit)  # type: ignore[union-attr]
    if kind:
        q = q.where(RunRow.kind == kind)
    agg = select(
        EpisodeRow.run_id,
        func.count(),
        func.sum(case((EpisodeRow.status == "finished", 1), else_=0)),
        func.sum(case(((EpisodeRow.status == "finished") & (EpisodeRow.score >= 1), 1), else_=0)),
    ).group_by(EpisodeRow.run_id)
    with store.read() as s:
        runs = s.exec(q).all()
        counts = {r: (n, f, ok) for r, n, f, ok in s.exec(agg).all()}  # type: ignore[call-overload]
    table = Table(title=f"runs in {store.display}")
    for col in (
        "id",
        "name",
        "kind",
        "status",
        "method",
        "task model",
        "episodes",
        "success %",
        "started",
    ):
        table.add_column(
            col,
            justify="right" if col in ("id", "episodes", "success %") else "left",
            no_wrap=col in ("id", "name"),  # a run's name is what users copy
        )
    for r in runs:
        n, f, ok = counts.get(r.id, (0, 0, 0))
        cfg = r.config or {}
        table.add_row(
            str(r.id),
            r.name,
            r.kind,
            r.status,
            str(cfg.get("method", "")),
            str(cfg.get("task_model", "")),
            f"{f}/{n}" if n else "",
            f"{100 * ok / f:.1f}" if f else "",
            r.started_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


@app.command("show")
def show(run: Annotated[str, typer.Argument(help="Run name or id.")]) -> None:
    """Show a run's settings and its per-task results."""
    from codesteer_cli.commands.steer import _print_table
    from codesteer_cli.context import get_store
    from codesteer_cli.errors import UserError
    from codesteer_cli.steering.summary import run_summary
    from codesteer_cli.store import repo

    store = get_store()
    row = repo.get_run(store, run)
    if row is None:
        raise UserError(f"no run named or numbered {run!r} (see codesteer runs list)")
    console.print(
        f"[bold]{row.name}[/] (id {row.id}) · {row.kind} · {row.status} · "
        f"code {row.code_version} · prompts {row.prompt_version or '-'} · "
        f"prices of {row.price_table_date or '-'}"
    )
    for k, v in (row.config or {}).items():
        console.print(f"  {k}: {v}", highlight=False)
    if row.error:
        console.print(f"[red]error: {row.error}[/]")
    rows = run_summary(store, row.id)  # type: ignore[arg-type]
    if rows:
        _print_table(row.name, rows)


@app.command("episode")
def episode(
    episode_id: Annotated[int, typer.Argument(help="Episode id (see runs show / the store).")],
    full: Annotated[
        bool, typer.Option("--full", help="Show whole prompts, not only the newest message.")
    ] = False,
) -> None:
    """Replay one episode: guidance, answers, code, outputs, checker verdicts."""
    from rich.panel import Panel
    from rich.text import Text
    from sqlmodel import select

    from codesteer_cli.context import get_store
    from codesteer_cli.errors import UserError
    from codesteer_cli.store.models import CodeExecutionRow, EpisodeRow, SampleRow, TurnRow

    store = get_store()
    with store.read() as s:
        ep = s.get(EpisodeRow, episode_id)
        if ep is None:
            raise UserError(f"no episode {episode_id}")
        sample = s.get(SampleRow, ep.sample_id)
        turns = s.exec(
            select(TurnRow).where(TurnRow.episode_id == episode_id).order_by(TurnRow.seq)
        ).all()
        runs = s.exec(
            select(CodeExecutionRow).where(CodeExecutionRow.episode_id == episode_id)
        ).all()
    by_turn = {r.turn_id: r for r in runs}
    assert sample is not None
    console.print(
        Panel(
            Text(sample.question),
            title=f"episode {ep.id} · {sample.task} · {ep.method} · sample {sample.id}",
            subtitle=f"reference: {sample.answer[:80]}",
        )
    )
    colors = {"guide": "magenta", "task": "cyan", "checker": "yellow", "summary": "green"}
    for t in turns:
        cost = "?" if t.cost_usd is None else f"${t.cost_usd:.5f}"
        head = (
            f"round {t.round} · {t.role} · {t.model} · {t.tokens_in}→{t.tokens_out} tok · "
            f"{t.latency_s or 0:.1f}s · {cost}" + (" · cached" if t.cached else "")
        )
        if full and t.messages:
            for m in t.messages:
                console.print(Panel(Text(m["content"]), title=f"{m['role']}", style="dim"))
        elif t.messages and t.role != "task":
            last = t.messages[-1]["content"]
            console.print(Text(("… " if len(last) > 400 else "") + last[-400:], style="dim"))
        body = Text(t.response or "")
        if t.error:
            body.append(f"\nERROR: {t.error}", style="red")
        console.print(Panel(body, title=head, border_style=colors.get(t.role, "white")))
        run = by_turn.get(t.id)
        if run is not None:
            status = "timed out" if run.timed_out else f"exit {run.exit_status}"
            out = Text(
                f"{run.purpose} code · {status} · {run.duration_s or 0:.2f}s ({run.isolation})\n",
                style="bold",
            )
            out.append(f"output: {(run.stdout or '').strip()[:1500] or '(nothing)'}")
            if (run.stderr or "").strip():
                out.append(f"\nerrors: {run.stderr.strip()[-800:]}", style="red")
            console.print(Panel(out, border_style="blue"))
        extra = t.extra or {}
        if "symbolic" in extra:
            sym = extra["symbolic"]
            console.print(
                f"  symbolic checker: complexity {sym.get('complexity')}"
                + (" [yellow](low)[/]" if sym.get("low_complexity") else "")
            )
    verdict = (
        "[green]correct[/]"
        if (ep.score or 0) >= 1
        else f"[red]score {ep.score}[/]"
        if ep.status == "finished"
        else f"[red]{ep.status}: {ep.error}[/]"
    )
    console.print(
        f"final: {verdict} · passed by {ep.passed_by} · {ep.rounds} rounds · stop: {ep.stop_reason}"
    )
