"""`codesteer synthesize`: training data for the guide (SFT trajectories, DPO pairs),
its export as TRL JSONL, and its figures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from codesteer_cli import options as o
from codesteer_cli.console import console, err, safe
from codesteer_cli.display import LiveStats

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

# --- options shared by sft and dpo (beyond codesteer_cli.options) -----------------------
TaskModel = Annotated[
    str | None,
    typer.Option(
        "--task-model",
        "-m",
        help=f"The model that answers (required). {o.MODEL_HELP}",
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
            help="The teacher (required): `search` explores the guide's actions with the task "
            "model and keeps what the verifier accepts (no large model needed), or a model "
            f"that guides with the teacher prompt (symbolic_agent). {o.MODEL_HELP}",
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
        int | None,
        typer.Option(
            "--max-guidance-turns",
            help="Keep trajectories with at most this many guide turns (the run's round "
            "limit is set so that none has more). Default 5; 2 with --teacher search.",
            show_default=False,
        ),
    ] = None,
    keep: Annotated[
        int,
        typer.Option(
            "--keep", help="--teacher search: correct trajectories kept per sample, shortest first."
        ),
    ] = 1,
    actions: Annotated[
        str,
        typer.Option(
            "--actions",
            help="--teacher search: the guide actions explored (code, text, return, "
            "terminate, fix, thorough).",
        ),
    ] = "code,text,return,terminate,fix,thorough",
    checker_model: o.CheckerModel = None,
    prompts: o.Prompts = None,
    no_symbolic_checker: o.NoSymbolic = False,
    no_self_check: o.NoSelfCheck = False,
    max_tokens: o.MaxTokens = None,
    guide_max_tokens: o.GuideMaxTokens = None,
    checker_max_tokens: o.CheckerMaxTokens = None,
    checker_attempts: o.CheckerAttempts = None,
    task_temperature: o.TaskTemperature = 0.0,
    teacher_temperature: Annotated[
        float, typer.Option("--teacher-temperature", help="Teacher's sampling temperature.")
    ] = 0.0,
    seed: o.Seed = None,
    code_timeout: o.CodeTimeout = 30.0,
    concurrency: o.Concurrency = 8,
    max_cost: o.MaxCost = None,
    name: o.Name = None,
    resume: o.Resume = None,
    no_cache: o.NoCache = False,
    request_timeout: o.RequestTimeout = None,
    sandbox: o.Sandbox = None,
) -> None:
    """Teacher trajectories on training samples → SFT examples (correct ones only)."""
    from codesteer_cli.runs.settings import ExecutionSettings, check_int

    _require(resume, ("--teacher", teacher), ("--task-model", task_model))
    o.use_sandbox(sandbox)
    search = teacher == "search"
    turns = max_guidance_turns if max_guidance_turns is not None else (2 if search else 5)
    check_int("--max-guidance-turns", turns, 1, 101)
    episode = o.episode_settings(
        task_model or "",
        None if search else teacher,
        prompts=prompts,
        max_rounds=turns - 1,
        symbolic_checker=not no_symbolic_checker,
        self_check=not no_self_check,
        task_max_tokens=max_tokens,
        guide_max_tokens=guide_max_tokens,
        checker_max_tokens=checker_max_tokens,
        checker_attempts=checker_attempts,
        temperature=task_temperature,
        guide_temperature=teacher_temperature,
        seed=seed,
        code_timeout_s=code_timeout,
    )
    execution = ExecutionSettings(concurrency, max_cost, not no_cache, request_timeout)
    if search or (resume and _kind_of(resume) == "synthesize-search"):
        from codesteer_cli.synthesis.search import SEARCH, SearchConfig, synthesize_search

        cfg: Any = SearchConfig(
            task_model=task_model or "",
            checker_model=checker_model,
            tasks=tasks,
            per_task=per_task,
            complexity=complexity,
            actions=tuple(_split(actions)),
            keep=keep,
            allow_unseen=allow_unseen,
            episode=episode,
            execution=execution,
        )
        _play(synthesize_search, SEARCH, cfg, name, resume, "sft", "trees", _dpo_line)
        return
    from codesteer_cli.synthesis.trajectories import SFT, SftConfig, synthesize_sft

    cfg = SftConfig(
        teacher=teacher or "",
        task_model=task_model or "",
        checker_model=checker_model,
        tasks=tasks,
        per_task=per_task,
        complexity=complexity,
        variants=tuple(_split(variants)),
        allow_unseen=allow_unseen,
        episode=episode,
        execution=execution,
    )
    _play(synthesize_sft, SFT, cfg, name, resume, "sft", "episodes", _sft_line)


def _kind_of(ref: str) -> str | None:
    """The kind of a stored run (to resume a search run with `synthesize sft`)."""
    from codesteer_cli.context import get_store
    from codesteer_cli.store import repo

    row = repo.get_run(get_store(), ref)
    return row.kind if row is not None else None


def _sft_line(st: LiveStats) -> str:
    return f"correct {st.solved}/{st.finished}" + st.tail()


def _dpo_line(st: LiveStats) -> str:
    pairs = st.counts.get("pairs_kept", 0)
    return f"{st.steps + st.finished} nodes · {pairs} pairs" + st.tail()


@app.command("dpo")
def dpo(
    task_model: TaskModel = None,
    guide: Annotated[
        str | None,
        typer.Option("--guide", "-g", help=f"The (SFT) guide to sample from. {o.MODEL_HELP}"),
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
    max_rounds: o.MaxRounds = 5,
    checker_model: o.CheckerModel = None,
    prompts: o.Prompts = None,
    no_symbolic_checker: o.NoSymbolic = False,
    no_self_check: o.NoSelfCheck = False,
    max_tokens: o.MaxTokens = None,
    guide_max_tokens: o.GuideMaxTokens = None,
    checker_max_tokens: o.CheckerMaxTokens = None,
    checker_attempts: o.CheckerAttempts = None,
    task_temperature: o.TaskTemperature = 0.0,
    seed: o.Seed = None,
    code_timeout: o.CodeTimeout = 30.0,
    concurrency: o.Concurrency = 8,
    max_cost: o.MaxCost = None,
    name: o.Name = None,
    resume: o.Resume = None,
    no_cache: o.NoCache = False,
    request_timeout: o.RequestTimeout = None,
    sandbox: o.Sandbox = None,
) -> None:
    """Trees of guidance continuations from a guide → scored nodes → DPO pairs."""
    from codesteer_cli.runs.settings import ExecutionSettings
    from codesteer_cli.synthesis.dpo import DPO, DpoConfig, synthesize_dpo

    _require(resume, ("--task-model", task_model))
    o.use_sandbox(sandbox)
    all_guides = [*_split(guide), *[g for g in _split(guides) if g not in _split(guide)]]
    cfg = DpoConfig(
        guides=tuple(all_guides),
        task_model=task_model or "",
        checker_model=checker_model,
        tasks=tasks,
        per_task=per_task,
        complexity=complexity,
        branches=branches,
        temperature=temperature,
        max_depth=max_depth,
        rollout_temperature=rollout_temperature,
        allow_unseen=allow_unseen,
        episode=o.episode_settings(
            task_model or "",
            all_guides[0] if all_guides else None,
            prompts=prompts,
            max_rounds=max_rounds,
            symbolic_checker=not no_symbolic_checker,
            self_check=not no_self_check,
            task_max_tokens=max_tokens,
            guide_max_tokens=guide_max_tokens,
            checker_max_tokens=checker_max_tokens,
            checker_attempts=checker_attempts,
            temperature=task_temperature,
            seed=seed,
            code_timeout_s=code_timeout,
        ),
        execution=ExecutionSettings(concurrency, max_cost, not no_cache, request_timeout),
    )
    _play(synthesize_dpo, DPO, cfg, name, resume, "dpo", "trees", _dpo_line)


def _play(
    play: Any,
    kind: Any,
    cfg: Any,
    name: str | None,
    resume: str | None,
    which: str,
    unit: str,
    line: Callable[[LiveStats], str],
) -> None:
    """Run a synthesis (parse done): progress, then its figures and closing lines."""
    from codesteer_cli import display
    from codesteer_cli.console import setup_logging
    from codesteer_cli.context import get_store, settings
    from codesteer_cli.synthesis.stats import synthesis_stats

    setup_logging(settings.verbose)
    if not resume:
        cfg.validate()
    store = get_store()
    with display.live(unit, line) as (progress, on_open):

        def opened(run: Any) -> None:
            display.announce(run, kind.describe(run.cfg), unit)
            on_open(run)

        result = play(store, cfg, name, resume, progress, on_open=opened)
    if not result.interrupted:
        st = synthesis_stats(store, [str(result.run.id)])
        for r in st.runs:
            r.status = result.status
        _print_stats(st, title=f"run {safe(result.run.name)}")
    display.closing(result, f"codesteer synthesize {which}")


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
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="trl (conversational JSONL) or llamafactory (the original release's "
            "alpaca-with-history and sharegpt ranking JSON, plus dataset_info.json).",
        ),
    ] = "trl",
    val_fraction: Annotated[
        float,
        typer.Option(
            "--val-fraction",
            help="Share of samples held out for validation (written to OUT.val.jsonl).",
        ),
    ] = 0.05,
    runs: Runs = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the validation split.")] = 0,
    first_action: Annotated[
        str,
        typer.Option(
            "--first-action",
            help="Search-teacher SFT examples: 'sample' keeps each tree's shortest correct "
            "trajectory; 'task' first gives each task the first action (code or text) right "
            "on more of its trees and keeps only trajectories starting with it; 'code' or "
            "'text' keeps only trajectories starting with that action, on every task.",
        ),
    ] = "sample",
) -> None:
    """Write SFT examples and DPO pairs for training (TRL or LLaMA-Factory, + validation split)."""
    from codesteer_cli.context import get_store
    from codesteer_cli.errors import UserError
    from codesteer_cli.synthesis.export import export as do_export

    if sft is None and dpo is None:
        raise UserError("nothing to export: give --sft FILE and/or --dpo FILE")
    res = do_export(
        get_store(), sft, dpo, fmt, val_fraction, _split(runs) or None, seed, first_action
    )
    for ta in res.task_actions.values():
        console.print(
            f"{ta.task}: first action {ta.action} (right first: code {ta.code}, text "
            f"{ta.text} of {ta.trees} trees)",
            highlight=False,
        )
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
