"""`codesteer synthesize`: training data for the guide (SFT trajectories, DPO pairs),
its export as TRL JSONL, and its figures."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from codesteer_cli.console import console, err

if TYPE_CHECKING:
    from codesteer_cli.store.db import Store

app = typer.Typer(
    short_help="Make the guide's training data: SFT trajectories and DPO pairs.",
    help="Make the guide's training data (SPEC §4): `synthesize sft` (a teacher guide's "
    "correct trajectories on training samples of seen tasks), `synthesize dpo` (trees of "
    "guidance continuations from a fine-tuned guide, scored, paired), `synthesize export` "
    "(TRL JSONL with a validation split) and `synthesize stats`. Synthesis runs are runs "
    "in the store: re-running one continues it, every finished model call served from "
    "the response cache.",
    no_args_is_help=True,
)

_MODEL = "provider:model or an alias, e.g. gpt-4o, openai:gpt-4o, hf:./guide, local:smollm2."

# --- options shared by sft and dpo --------------------------------------------------
TaskModel = Annotated[
    str | None,
    typer.Option(
        "--task-model",
        "-m",
        help=f"The model that answers (required). {_MODEL}",
        show_default=False,
    ),
]
Tasks = Annotated[
    str,
    typer.Option("--tasks", "-t", help="Seen task ids (comma list), a family, or seen."),
]
Complexity = Annotated[
    str, typer.Option("--complexity", "-c", help="Levels of the samples: N, A-B or a list.")
]
AllowUnseen = Annotated[
    bool,
    typer.Option("--allow-unseen", help="Allow unseen tasks (their data is for testing only)."),
]
CheckerModel = Annotated[
    str | None,
    typer.Option("--checker-model", help="Self-answer Checker's model. Default: the task model."),
]
Prompts = Annotated[str, typer.Option("--prompts", help="Prompt set: default or tiny.")]
NoSymbolic = Annotated[bool, typer.Option("--no-symbolic-checker", help="No Symbolic Checker.")]
NoSelfCheck = Annotated[bool, typer.Option("--no-self-check", help="No Self-answer Checker.")]
MaxTokens = Annotated[int, typer.Option("--max-tokens", help="Task model's answer limit.")]
GuideMaxTokens = Annotated[int, typer.Option("--guide-max-tokens", help="Guide's reply limit.")]
TaskTemperature = Annotated[
    float, typer.Option("--task-temperature", help="Task model's sampling temperature.")
]
Seed = Annotated[int | None, typer.Option("--seed", help="Sent to models that take one.")]
CodeTimeout = Annotated[float, typer.Option("--code-timeout", help="Seconds per code run.")]
Concurrency = Annotated[
    int,
    typer.Option("--concurrency", "-j", help="Calls at once (local models batch across them)."),
]
Name = Annotated[
    str | None,
    typer.Option("--name", help="Name the run; re-running the same name continues it."),
]
Resume = Annotated[
    str | None,
    typer.Option("--resume", help="Continue a run (name or id) with its stored settings."),
]
NoCache = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Do not use the response cache (a resumed run then repeats its calls).",
    ),
]
Runs = Annotated[
    str | None,
    typer.Option("--runs", help="Synthesis runs to use (names or ids, comma list). Default: all."),
]


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _require(resume: str | None, *options: tuple[str, str | None]) -> None:
    """Options a new run needs (a resumed run has its own)."""
    from codesteer_cli.errors import UserError

    missing = [name for name, value in options if not value]
    if missing and not resume:
        raise UserError(f"{' and '.join(missing)} required (or --resume RUN)")


# --- sft ----------------------------------------------------------------------------
@app.command("sft")
def sft(
    teacher: Annotated[
        str | None,
        typer.Option(
            "--teacher",
            "-g",
            help=f"The teacher guide (symbolic_agent; required). {_MODEL}",
            show_default=False,
        ),
    ] = None,
    task_model: TaskModel = None,
    tasks: Tasks = "seen",
    per_task: Annotated[
        int, typer.Option("--per-task", "-n", help="Training samples per task.")
    ] = 400,
    complexity: Complexity = "1-10",
    variants: Annotated[
        str,
        typer.Option(
            "--variants",
            help="Teacher prompt variants, one episode per sample and variant: "
            "free, text_to_code, more_code.",
        ),
    ] = "free,text_to_code,more_code",
    allow_unseen: AllowUnseen = False,
    max_guidance_turns: Annotated[
        int,
        typer.Option(
            "--max-guidance-turns",
            help="Keep trajectories with at most this many guide turns (the run's round "
            "limit is set so that none has more).",
        ),
    ] = 5,
    checker_model: CheckerModel = None,
    prompts: Prompts = "default",
    no_symbolic_checker: NoSymbolic = False,
    no_self_check: NoSelfCheck = False,
    max_tokens: MaxTokens = 2048,
    guide_max_tokens: GuideMaxTokens = 512,
    task_temperature: TaskTemperature = 0.0,
    teacher_temperature: Annotated[
        float, typer.Option("--teacher-temperature", help="Teacher's sampling temperature.")
    ] = 0.0,
    seed: Seed = None,
    code_timeout: CodeTimeout = 30.0,
    concurrency: Concurrency = 8,
    max_cost: Annotated[
        float | None,
        typer.Option("--max-cost", help="Stop starting episodes before this many USD."),
    ] = None,
    name: Name = None,
    resume: Resume = None,
    no_cache: NoCache = False,
) -> None:
    """Teacher trajectories on training samples → SFT examples (correct ones only)."""
    from codesteer_cli.console import setup_logging
    from codesteer_cli.context import get_store, settings
    from codesteer_cli.synthesis.trajectories import SftConfig

    setup_logging(settings.verbose)
    _require(resume, ("--teacher", teacher), ("--task-model", task_model))
    cfg = SftConfig(
        teacher=teacher or "",
        task_model=task_model or "",
        tasks=tasks,
        per_task=per_task,
        complexity=complexity,
        variants=tuple(_split(variants)),
        allow_unseen=allow_unseen,
        max_guidance_turns=max_guidance_turns,
        checker_model=checker_model,
        prompts=prompts,
        symbolic_checker=not no_symbolic_checker,
        self_check=not no_self_check,
        task_max_tokens=max_tokens,
        guide_max_tokens=guide_max_tokens,
        task_temperature=task_temperature,
        teacher_temperature=teacher_temperature,
        seed=seed,
        code_timeout_s=code_timeout,
        concurrency=concurrency,
        max_cost=max_cost,
        cache=not no_cache,
    )
    if not resume:
        cfg.validate()
    run_sft_command(get_store(), cfg, name, resume)


def run_sft_command(store: Store, cfg: Any, name: str | None, resume: str | None) -> None:
    from codesteer_cli.steering import runner
    from codesteer_cli.store import repo
    from codesteer_cli.synthesis import trajectories as tj

    srun = tj.open_sft(store, cfg, name, resume, on_message=lambda m: err.print(m))
    c = srun.cfg
    err.print(
        f"[bold]{srun.run.name}[/]: teacher {c.teacher} guiding {c.task_model}; "
        f"{srun.total} episodes ({len(c.variants)} variants)"
        + (f", {srun.done} already done" if srun.done else "")
    )
    stats = {"finished": 0, "correct": 0, "failed": 0, "tokens": 0, "cost": 0.0, "unknown": False}

    def line(res: runner.EpisodeResult) -> str:
        if res.status == "stopped":
            return ""
        stats["finished" if res.status == "finished" else "failed"] += 1
        stats["correct"] += res.status == "finished" and (res.score or 0) >= 1.0
        stats["tokens"] += res.tokens
        stats["cost"] += res.cost
        stats["unknown"] |= res.cost_unknown
        cost = "?" if stats["unknown"] else f"${stats['cost']:.4f}"
        text = f"correct {stats['correct']}/{stats['finished']} · {stats['tokens']:,} tok · {cost}"
        return text + (f" · [red]{stats['failed']} failed[/]" if stats["failed"] else "")

    with _bar("episodes", srun.total, srun.done) as (bar, job):

        def on_episode(res: runner.EpisodeResult) -> None:
            text = line(res)
            if text:
                bar.update(job, advance=1, stats=text)

        progress = runner.Progress(srun.total, srun.done, on_episode, lambda m: err.print(m))
        outcome = None
        try:
            if srun.todo:
                outcome = tj.run_sft(store, srun, progress)
            else:
                tj.build_examples(store, srun.run.id)  # type: ignore[arg-type]
        except KeyboardInterrupt:
            repo.finish_run(store, srun.run.id, status="stopped")  # type: ignore[arg-type]
            err.print(
                "[yellow]stopped.[/] Continue with: "
                f"codesteer synthesize sft --resume {srun.run.name}"
            )
            raise typer.Exit(130) from None
    _finish(store, srun.run, outcome.stopped_reason if outcome else None, "sft")


# --- dpo ----------------------------------------------------------------------------
@app.command("dpo")
def dpo(
    task_model: TaskModel = None,
    guide: Annotated[
        str | None,
        typer.Option("--guide", "-g", help=f"The (SFT) guide to sample from. {_MODEL}"),
    ] = None,
    guides: Annotated[
        str | None,
        typer.Option(
            "--guides",
            help="Several guide checkpoints (comma list): the branches of a node are "
            "spread over them (child k asks guide k mod N).",
        ),
    ] = None,
    tasks: Tasks = "seen",
    per_task: Annotated[
        int, typer.Option("--per-task", "-n", help="Training samples (trees) per task.")
    ] = 50,
    complexity: Complexity = "1-10",
    allow_unseen: AllowUnseen = False,
    branches: Annotated[
        int, typer.Option("--branches", "-b", help="Guidances sampled at each branching node.")
    ] = 3,
    temperature: Annotated[
        float, typer.Option("--temperature", help="Guide's sampling temperature when branching.")
    ] = 1.5,
    max_depth: Annotated[
        int,
        typer.Option(
            "--max-depth",
            help="Branch at the first N guide turns only; deeper, one continuation per node "
            "(at --rollout-temperature) until the episode ends. Bounds a tree to "
            "branches**N leaves.",
        ),
    ] = 2,
    rollout_temperature: Annotated[
        float,
        typer.Option("--rollout-temperature", help="Guide's temperature below --max-depth."),
    ] = 0.0,
    max_rounds: Annotated[
        int, typer.Option("--max-rounds", help="Guidance rounds after the first answer.")
    ] = 5,
    checker_model: CheckerModel = None,
    prompts: Prompts = "default",
    no_symbolic_checker: NoSymbolic = False,
    no_self_check: NoSelfCheck = False,
    max_tokens: MaxTokens = 2048,
    guide_max_tokens: GuideMaxTokens = 512,
    task_temperature: TaskTemperature = 0.0,
    seed: Seed = None,
    code_timeout: CodeTimeout = 30.0,
    concurrency: Concurrency = 8,
    name: Name = None,
    resume: Resume = None,
    no_cache: NoCache = False,
) -> None:
    """Trees of guidance continuations from a guide → scored nodes → DPO pairs."""
    from codesteer_cli.console import setup_logging
    from codesteer_cli.context import get_store, settings
    from codesteer_cli.synthesis.tree import DpoConfig

    setup_logging(settings.verbose)
    _require(resume, ("--task-model", task_model))
    all_guides = [*_split(guide), *[g for g in _split(guides) if g not in _split(guide)]]
    cfg = DpoConfig(
        guides=tuple(all_guides),
        task_model=task_model or "",
        tasks=tasks,
        per_task=per_task,
        complexity=complexity,
        branches=branches,
        temperature=temperature,
        max_depth=max_depth,
        rollout_temperature=rollout_temperature,
        max_rounds=max_rounds,
        checker_model=checker_model,
        prompts=prompts,
        symbolic_checker=not no_symbolic_checker,
        self_check=not no_self_check,
        task_max_tokens=max_tokens,
        guide_max_tokens=guide_max_tokens,
        task_temperature=task_temperature,
        seed=seed,
        code_timeout_s=code_timeout,
        allow_unseen=allow_unseen,
        concurrency=concurrency,
        cache=not no_cache,
    )
    if not resume:
        cfg.validate()
    run_dpo_command(get_store(), cfg, name, resume)


def run_dpo_command(store: Store, cfg: Any, name: str | None, resume: str | None) -> None:
    from codesteer_cli.store import repo
    from codesteer_cli.synthesis import tree as tr

    drun = tr.open_dpo(store, cfg, name, resume, on_message=lambda m: err.print(m))
    c = drun.cfg
    err.print(
        f"[bold]{drun.run.name}[/]: {', '.join(c.guides)} guiding {c.task_model}; "
        f"{drun.total} trees ({c.branches} branches, depth {c.max_depth})"
        + (f", {drun.done} already done" if drun.done else "")
    )
    stats = {"nodes": 0, "kept": 0, "failed": 0, "tokens": 0, "cost": 0.0, "unknown": False}
    with _bar("trees", drun.total, drun.done) as (bar, job):

        def text() -> str:
            cost = "?" if stats["unknown"] else f"${stats['cost']:.4f}"
            out = (
                f"{stats['nodes']} nodes · {stats['kept']} pairs · {stats['tokens']:,} tok · {cost}"
            )
            return out + (f" · [red]{stats['failed']} failed[/]" if stats["failed"] else "")

        def on_tree(res: tr.TreeResult) -> None:
            stats["kept"] += res.pairs_kept
            stats["failed"] += res.status == "failed"
            stats["tokens"] += res.tokens
            stats["cost"] += res.cost
            stats["unknown"] |= res.cost_unknown
            bar.update(job, advance=1, stats=text())

        def on_node() -> None:
            stats["nodes"] += 1
            bar.update(job, stats=text())

        progress = tr.DpoProgress(drun.total, drun.done, on_tree, on_node, lambda m: err.print(m))
        outcome = None
        try:
            if drun.todo:
                outcome = tr.grow_trees(store, drun, progress)
        except KeyboardInterrupt:
            repo.finish_run(store, drun.run.id, status="stopped")  # type: ignore[arg-type]
            err.print(
                "[yellow]stopped.[/] Continue with: "
                f"codesteer synthesize dpo --resume {drun.run.name}"
            )
            raise typer.Exit(130) from None
    _finish(store, drun.run, outcome.stopped_reason if outcome else None, "dpo")


# --- shared rendering -----------------------------------------------------------------
class _bar:  # noqa: N801 - used as a context manager
    def __init__(self, what: str, total: int, done: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=False,
        )
        self.what, self.total, self.done = what, total, done

    def __enter__(self) -> tuple[Any, Any]:
        self.progress.__enter__()
        job = self.progress.add_task(self.what, total=self.total, completed=self.done, stats="")
        return self.progress, job

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)


def _finish(store: Store, run: Any, stopped_reason: str | None, which: str) -> None:
    from sqlalchemy import func
    from sqlmodel import select

    from codesteer_cli.store import repo
    from codesteer_cli.store.models import EpisodeRow
    from codesteer_cli.synthesis.stats import synthesis_stats

    with store.read() as s:
        counts = dict(
            s.exec(
                select(EpisodeRow.status, func.count())
                .where(EpisodeRow.run_id == run.id)
                .group_by(EpisodeRow.status)
            ).all()
        )
    left = sum(n for st, n in counts.items() if st not in ("finished", "failed"))
    st = synthesis_stats(store, [str(run.id)])
    summary = st.to_dict()
    summary.pop("runs", None)
    status = "stopped" if left else "finished"
    repo.finish_run(store, run.id, status=status, summary=summary)
    for r in st.runs:
        r.status = status
    _print_stats(st, title=f"run {run.name}")
    if stopped_reason:
        err.print(f"[yellow]stopped early: {stopped_reason}[/]")
    failed = counts.get("failed", 0)
    if failed:
        err.print(
            f"[red]{failed} episodes failed[/] (see codesteer runs show {run.name}); "
            f"codesteer synthesize {which} --resume {run.name} retries them"
        )
    if left:
        err.print(
            f"{left} not done. Continue with: codesteer synthesize {which} --resume {run.name}"
        )


def _print_stats(st: Any, title: str = "synthesis") -> None:
    from rich.table import Table

    if st.sft:
        t = Table(title=f"{title}: SFT trajectories")
        for col in (
            "task",
            "variant",
            "episodes",
            "correct",
            "kept",
            "turns/traj",
            "examples",
            "rows (×weight)",
            "code %",
        ):
            t.add_column(col, justify="left" if col in ("task", "variant") else "right")
        for x in st.sft:
            share = x.code_share
            t.add_row(
                x.task,
                x.variant,
                str(x.episodes),
                str(x.correct),
                str(x.trajectories),
                f"{x.turns:.2f}",
                str(x.examples),
                str(x.weighted),
                "-" if share is None else f"{share:.0f}",
            )
        console.print(t)
    if st.dpo:
        t = Table(title=f"{title}: DPO trees and pairs")
        for col in ("task", "trees", "nodes", "leaves", "correct", "pairs", "rejected", "why not"):
            t.add_column(col, justify="left" if col in ("task", "why not") else "right")
        for x in st.dpo:
            why = ", ".join(f"{k}: {v}" for k, v in sorted(x.reasons.items()))
            t.add_row(
                x.task,
                str(x.trees),
                str(x.nodes),
                str(x.leaves),
                str(x.correct_leaves),
                str(x.pairs_kept),
                str(x.pairs_rejected),
                why,
            )
        console.print(t)
    if st.runs:
        t = Table(title="calls, tokens and cost")
        for col in ("run", "kind", "status", "episodes", "calls", "cached", "tokens", "cost $"):
            t.add_column(col, justify="left" if col in ("run", "kind", "status") else "right")
        for r in st.runs:
            toks = ", ".join(f"{k} {v:,}" for k, v in sorted(r.tokens.items()))
            t.add_row(
                r.name,
                r.kind,
                r.status,
                str(r.episodes),
                str(r.calls),
                str(r.cached_calls),
                toks or "0",
                "?" if r.cost_usd is None else f"{r.cost_usd:.4f}",
            )
        console.print(t)


# --- export and stats --------------------------------------------------------------------
@app.command("export")
def export(
    sft: Annotated[
        Path | None, typer.Option("--sft", help="Write the SFT examples to this JSONL.")
    ] = None,
    dpo: Annotated[
        Path | None, typer.Option("--dpo", help="Write the DPO pairs to this JSONL.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="File format: trl.")] = "trl",
    val_fraction: Annotated[
        float,
        typer.Option(
            "--val-fraction",
            help="Share of samples held out for validation (written to OUT.val.jsonl).",
        ),
    ] = 0.05,
    runs: Runs = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the validation split.")] = 0,
) -> None:
    """Write SFT examples and DPO pairs as TRL conversational JSONL (+ validation split)."""
    from codesteer_cli.context import get_store
    from codesteer_cli.errors import UserError
    from codesteer_cli.synthesis.export import export as do_export

    if sft is None and dpo is None:
        raise UserError("nothing to export: give --sft FILE and/or --dpo FILE")
    res = do_export(get_store(), sft, dpo, fmt, val_fraction, _split(runs) or None, seed)
    for what, fr in (("SFT", res.sft), ("DPO", res.dpo)):
        if fr is None:
            continue
        unit = "rows (weight-2 examples twice)" if what == "SFT" else "pairs"
        line = f"{what}: {fr.rows} {unit} → {fr.path}"
        if fr.val_path is not None:
            line += f"; validation {fr.val_rows} → {fr.val_path}"
        if fr.duplicates:
            line += f" ({fr.duplicates} duplicates dropped)"
        console.print(line, highlight=False, soft_wrap=True)
    console.print(
        f"{res.samples} samples, {res.val_samples} held out for validation; "
        f"runs: {', '.join(res.runs)}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("stats")
def stats(
    runs: Runs = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Trajectories per task and variant, turns, code share, pairs, tokens and cost."""
    import json

    from codesteer_cli.context import get_store
    from codesteer_cli.synthesis.stats import synthesis_stats

    st = synthesis_stats(get_store(), _split(runs) or None)
    if as_json:
        console.print_json(json.dumps(st.to_dict()))
        return
    if not st.runs:
        err.print("no synthesis runs in this store (codesteer synthesize sft / dpo)")
        return
    _print_stats(st)
