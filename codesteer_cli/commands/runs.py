"""`codesteer runs`: list runs, show one, replay an episode turn by turn."""

from __future__ import annotations

from typing import Annotated

import typer

from codesteer_cli.console import console, keep_whole, safe

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

    from codesteer_cli.context import get_store
    from codesteer_cli.reporting.compare import method_label
    from codesteer_cli.store.figures import list_runs

    store = get_store()
    rows = list_runs(store, kind, limit)
    table = Table(title=f"runs in {safe(store.display)}")
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
    for p in rows:
        r, n, f, ok = p.run, p.episodes, p.finished, p.solved
        cfg = r.config or {}
        table.add_row(
            str(r.id),
            safe(r.name),
            r.kind,
            r.status,
            safe(method_label(str(cfg.get("method", "")))),
            safe(cfg.get("task_model", "")),
            f"{f}/{n}" if n else "",
            f"{100 * ok / f:.1f}" if f else "",
            r.started_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(keep_whole(table, "name", "method", "task model"))


@app.command("show")
def show(run: Annotated[str, typer.Argument(help="Run name or id.")]) -> None:
    """Show a run's settings and its per-task results."""
    from codesteer_cli.context import get_store
    from codesteer_cli.display import task_table
    from codesteer_cli.errors import UserError
    from codesteer_cli.store import repo
    from codesteer_cli.store.figures import task_summaries

    store = get_store()
    row = repo.get_run(store, run)
    if row is None:
        raise UserError(f"no run named or numbered {safe(run)!r} (see codesteer runs list)")
    console.print(
        f"[bold]{safe(row.name)}[/] (id {row.id}) · {row.kind} · {row.status} · "
        f"code {row.code_version} · prompts {row.prompt_version or '-'} · "
        f"prices of {row.price_table_date or '-'}"
    )
    for k, v in (row.config or {}).items():
        console.print(f"  {k}: {safe(v)}", highlight=False)
    if row.kind == "steer":
        console.print(f"  {_table1_line(str((row.config or {}).get('method', '')))}")
    host = (row.summary or {}).get("host")
    if isinstance(host, dict):
        from codesteer_cli.runs.host import describe

        console.print(f"  ran on: {safe(describe(host))}", highlight=False)
    if row.error:
        console.print(f"[red]error: {safe(row.error)}[/]")
    assert row.id is not None
    rows = task_summaries(store, row.id)
    if rows:
        task_table(row.name, rows)


def _table1_line(method: str) -> str:
    """Which Table 1 column a steer method stands for, and how ours differs."""
    from codesteer_cli.reporting.compare import our_method, table1_method

    column, ours = table1_method(method), our_method(method)
    text = f'paper: Table 1 "{column.title}"' if column else "paper: not in Table 1"
    return safe(text + (f"; ours: {ours.note}" if ours and ours.note else ""))


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

    from codesteer_cli.context import get_store
    from codesteer_cli.errors import UserError
    from codesteer_cli.runs.settings import check_int
    from codesteer_cli.store.turns import replay

    check_int("the episode id", episode_id, 1, 2**63 - 1)
    got = replay(get_store(), episode_id)
    if got is None:
        raise UserError(f"no episode {episode_id}")
    ep, sample, turns, by_turn = got.episode, got.sample, got.turns, got.code_runs
    console.print(
        Panel(
            Text(safe(sample.question, markup=False)),
            title=f"episode {ep.id} · {sample.task} · {ep.method} · sample {sample.id}",
            subtitle=f"reference: {safe(sample.answer[:80])}",
        )
    )
    colors = {"guide": "magenta", "task": "cyan", "checker": "yellow", "summary": "green"}
    for t in turns:
        cost = "?" if t.cost_usd is None else f"${t.cost_usd:.5f}"
        head = (
            f"round {t.round} · {t.role} · {safe(t.model)} · {t.tokens_in}→{t.tokens_out} tok · "
            f"{t.latency_s or 0:.1f}s · {cost}" + (" · cached" if t.cached else "")
        )
        if full and t.messages:
            for m in t.messages:
                console.print(
                    Panel(Text(safe(m["content"], False)), title=safe(m["role"]), style="dim")
                )
        elif t.messages and t.role != "task":
            last = safe(t.messages[-1]["content"], markup=False)
            console.print(Text(("… " if len(last) > 400 else "") + last[-400:], style="dim"))
        body = Text(safe(t.response or "", markup=False))
        if t.error:
            body.append(f"\nERROR: {safe(t.error, markup=False)}", style="red")
        console.print(Panel(body, title=head, border_style=colors.get(t.role, "white")))
        run = by_turn.get(t.id)
        if run is not None:
            status = "timed out" if run.timed_out else f"exit {run.exit_status}"
            out = Text(
                f"{run.purpose} code · {status} · {run.duration_s or 0:.2f}s ({run.isolation})\n",
                style="bold",
            )
            shown = safe((run.stdout or "").strip()[:1500], markup=False)
            out.append(f"output: {shown or '(nothing)'}")
            if (run.stderr or "").strip():
                out.append(f"\nerrors: {safe(run.stderr.strip()[-800:], False)}", style="red")
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
        else f"[red]{ep.status}: {safe(ep.error)}[/]"
    )
    console.print(
        f"final: {verdict} · passed by {ep.passed_by} · {ep.rounds} rounds · stop: {ep.stop_reason}"
    )
