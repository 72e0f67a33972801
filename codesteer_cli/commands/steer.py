"""`codesteer steer`: run a method (CodeSteer or a baseline) over SymBench samples."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from codesteer_cli.console import console, err

if TYPE_CHECKING:
    from codesteer_cli.steering.summary import TaskSummary

_MODEL_HELP = "provider:model, e.g. openai:gpt-4o, hf:./guide, local:smollm2."


def command(
    task_model: Annotated[
        str | None,
        typer.Option(
            "--task-model",
            "-m",
            help=f"The model that answers. {_MODEL_HELP}"
            " Default local:smollm2 (embedded, offline).",
        ),
    ] = None,
    guide: Annotated[
        str | None,
        typer.Option(
            "--guide",
            "-g",
            help="The guide model (codesteer, symbolic_agent). Default: the task model.",
        ),
    ] = None,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="codesteer, symbolic_agent, "
            "only_question, all_text, all_code, code_interpreter, code_text_sum, "
            "self_estimate or code_first_rule.",
        ),
    ] = "codesteer",
    tasks: Annotated[
        str,
        typer.Option("--tasks", "-t", help="Task ids (comma list), a family, seen, unseen or all."),
    ] = "all",
    split: Annotated[str, typer.Option("--split", help="test or train samples.")] = "test",
    complexity: Annotated[
        str | None,
        typer.Option("--complexity", "-c", help="Only samples of these levels: N, A-B or a list."),
    ] = None,
    source: Annotated[
        str,
        typer.Option(
            "--source", help="any, generated or imported (the original release's samples)."
        ),
    ] = "any",
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", help="At most N samples per task.")
    ] = None,
    repeats: Annotated[
        int, typer.Option("--repeats", help="Episodes per sample (use with --temperature > 0).")
    ] = 1,
    max_rounds: Annotated[
        int, typer.Option("--max-rounds", help="Guidance rounds after the first answer.")
    ] = 5,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency", "-j", help="Episodes at once (local models batch across them)."
        ),
    ] = 8,
    max_cost: Annotated[
        float | None,
        typer.Option(
            "--max-cost",
            help="Stop starting episodes before the estimated cost passes this many USD.",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="Name the run; re-running the same name continues it."),
    ] = None,
    resume: Annotated[
        str | None,
        typer.Option(
            "--resume", help="Continue a stopped run (name or id) with its stored settings."
        ),
    ] = None,
    checker_model: Annotated[
        str | None,
        typer.Option(
            "--checker-model", help="Model of the Self-answer Checker. Default: the task model."
        ),
    ] = None,
    prompts: Annotated[
        str,
        typer.Option(
            "--prompts", help="Prompt set: default, or tiny (short prompts for very small models)."
        ),
    ] = "default",
    no_symbolic_checker: Annotated[
        bool, typer.Option("--no-symbolic-checker", help="Ablation: no Symbolic Checker.")
    ] = False,
    no_self_check: Annotated[
        bool, typer.Option("--no-self-check", help="Ablation: no Self-answer Checker.")
    ] = False,
    max_tokens: Annotated[
        int, typer.Option("--max-tokens", help="Task model's answer limit.")
    ] = 2048,
    guide_max_tokens: Annotated[
        int, typer.Option("--guide-max-tokens", help="Guide's reply limit.")
    ] = 512,
    checker_max_tokens: Annotated[
        int,
        typer.Option("--checker-max-tokens", help="Self-answer Checker's code limit."),
    ] = 1024,
    checker_attempts: Annotated[
        int,
        typer.Option("--checker-attempts", help="Self-answer Checker tries per answer."),
    ] = 2,
    temperature: Annotated[float, typer.Option("--temperature")] = 0.0,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Sent to models that take one.")
    ] = None,
    code_timeout: Annotated[
        float, typer.Option("--code-timeout", help="Seconds per code run.")
    ] = 30.0,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Do not serve or store model "
            "answers from the response cache (resume then repeats calls).",
        ),
    ] = False,
) -> None:
    """Run a method over SymBench samples; every turn is stored, every episode scored."""
    from codesteer_cli.console import setup_logging
    from codesteer_cli.context import get_store, settings
    from codesteer_cli.steering.runner import DEFAULT_MODEL, SteerConfig

    setup_logging(settings.verbose)
    cfg = SteerConfig(
        method=method,
        task_model=task_model or DEFAULT_MODEL,
        guide=guide,
        checker_model=checker_model,
        tasks=tasks,
        split=split,
        complexity=complexity,
        source=source,
        limit=limit,
        repeats=repeats,
        max_rounds=max_rounds,
        prompts=prompts,
        symbolic_checker=not no_symbolic_checker,
        self_check=not no_self_check,
        task_max_tokens=max_tokens,
        guide_max_tokens=guide_max_tokens,
        checker_max_tokens=checker_max_tokens,
        checker_attempts=checker_attempts,
        temperature=temperature,
        seed=seed,
        code_timeout_s=code_timeout,
        concurrency=concurrency,
        max_cost=max_cost,
        cache=not no_cache,
    )
    if not resume:
        cfg.validate()
    store = get_store()
    steer(store, cfg, name, resume)


def steer(store, cfg, name: str | None, resume: str | None) -> None:  # type: ignore[no-untyped-def]
    import threading

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from codesteer_cli.steering import runner
    from codesteer_cli.store import repo

    # Models first: a missing key or package is reported before any sample is made.
    setup = None if resume else runner.make_setup(store, cfg, threading.Event())
    run, cfg, resumed = runner.open_run(store, cfg, name, resume)
    setup = setup or runner.make_setup(store, cfg, threading.Event())
    if not resumed:
        samples = runner.choose_samples(store, cfg)
        runner.ensure_episodes(store, run, samples, cfg)
    todo, done = runner.pending_episodes(store, run.id)
    total = len(todo) + done
    guide = f", guide {cfg.guide or cfg.task_model}" if cfg.method in runner.NEEDS_GUIDE else ""
    err.print(
        f"[bold]{run.name}[/]: {cfg.method} with {cfg.task_model}{guide}; "
        f"{total} episodes" + (f", {done} already done" if done else ""),
        soft_wrap=True,
    )
    stats = {"solved": 0, "finished": 0, "failed": 0, "tokens": 0, "cost": 0.0, "unknown": False}
    cols = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[stats]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    outcome = None
    with Progress(*cols, console=err, transient=False) as bar:
        job = bar.add_task("episodes", total=total, completed=done, stats="")

        def on_episode(res: runner.EpisodeResult) -> None:
            if res.status == "stopped":
                return
            stats["finished" if res.status == "finished" else "failed"] += 1
            stats["solved"] += res.status == "finished" and (res.score or 0) >= 1.0
            stats["tokens"] += res.tokens
            stats["cost"] += res.cost
            stats["unknown"] |= res.cost_unknown
            n = max(stats["finished"], 1)
            cost = "?" if stats["unknown"] else f"${stats['cost']:.4f}"
            text = (
                f"solved {stats['solved']}/{stats['finished']} "
                f"({100 * stats['solved'] / n:.0f}%) · {stats['tokens']:,} tok · {cost}"
            )
            if stats["failed"]:
                text += f" · [red]{stats['failed']} failed[/]"
            bar.update(job, advance=1, stats=text)

        progress = runner.Progress(total, done, on_episode, lambda m: err.print(m))
        try:
            if todo:
                outcome = runner.execute(store, run, cfg, todo, progress, setup)
        except KeyboardInterrupt:
            repo.finish_run(store, run.id, status="stopped")
            err.print(f"[yellow]stopped.[/] Resume with: codesteer steer --resume {run.name}")
            raise typer.Exit(130) from None
    from codesteer_cli.steering.summary import run_summary

    rows = run_summary(store, run.id)
    left = sum(r.episodes - r.finished - r.failed for r in rows)
    status = "stopped" if left else "finished"
    repo.finish_run(store, run.id, status=status, summary={"tasks": [r.__dict__ for r in rows]})
    _print_table(run.name, rows)
    if outcome and outcome.stopped_reason:
        err.print(f"[yellow]stopped early: {outcome.stopped_reason}[/]")
    failed = sum(r.failed for r in rows)
    if failed:
        err.print(
            f"[red]{failed} episodes failed[/] (see codesteer runs show {run.name}); "
            f"codesteer steer --resume {run.name} retries them"
        )
    if left:
        err.print(f"{left} episodes not run. Resume with: codesteer steer --resume {run.name}")


def _print_table(name: str, rows: list[TaskSummary]) -> None:
    from rich.table import Table

    table = Table(title=f"run {name}")
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
