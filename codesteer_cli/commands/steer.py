"""`codesteer steer`: run a method (CodeSteer or a baseline) over SymBench samples."""

from __future__ import annotations

from typing import Annotated

import typer

from codesteer_cli import options as o


def command(
    task_model: Annotated[
        str | None,
        typer.Option(
            "--task-model",
            "-m",
            help=f"The model that answers. {o.MODEL_HELP} Default local:smollm2 (embedded).",
        ),
    ] = None,
    guide: Annotated[
        str | None,
        typer.Option(
            "--guide",
            "-g",
            help="The guide model (codesteer, symbolic_agent; code_text_sum2's summarizer). "
            "Default: the task model.",
        ),
    ] = None,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="codesteer, symbolic_agent, "
            "only_question, all_text, all_code, autogen_concat, code_interpreter (a local "
            "loop), code_text_sum, code_text_sum2 (the --guide model summarizes), "
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
    max_rounds: o.MaxRounds = 5,
    concurrency: o.Concurrency = 8,
    max_cost: o.MaxCost = None,
    name: o.Name = None,
    resume: o.Resume = None,
    checker_model: o.CheckerModel = None,
    prompts: o.Prompts = None,
    no_symbolic_checker: o.NoSymbolic = False,
    no_self_check: o.NoSelfCheck = False,
    max_tokens: o.MaxTokens = None,
    guide_max_tokens: o.GuideMaxTokens = None,
    checker_max_tokens: o.CheckerMaxTokens = None,
    checker_attempts: o.CheckerAttempts = None,
    temperature: Annotated[
        float, typer.Option("--temperature", help="Task model's sampling temperature.")
    ] = 0.0,
    seed: o.Seed = None,
    code_timeout: Annotated[
        float | None,
        typer.Option(
            "--code-timeout",
            help="Seconds per code run. Default 30 (10 with --protocol original).",
            show_default=False,
        ),
    ] = None,
    no_cache: o.NoCache = False,
    request_timeout: o.RequestTimeout = None,
    sandbox: o.Sandbox = None,
    protocol: Annotated[
        str,
        typer.Option(
            "--protocol",
            help="default (ours), or original: the original release's CodeSteer loop, "
            "prompts, checkers and settings, for its released guide (codesteer) or an API "
            "guide (symbolic_agent). Recorded with the run.",
        ),
    ] = "default",
    original_release: Annotated[
        str | None,
        typer.Option(
            "--original-release",
            envvar="CODESTEER_ORIGINAL_RELEASE",
            help="A copy of the original release (yongchao98/CodeSteer-v1.0) whose prompts "
            "--protocol original reads (it is parsed, never run).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run a method over SymBench samples; every turn is stored, every episode scored."""
    from codesteer_cli import display
    from codesteer_cli.console import setup_logging
    from codesteer_cli.context import get_store, settings
    from codesteer_cli.runs.settings import ExecutionSettings
    from codesteer_cli.steering.runner import DEFAULT_MODEL, STEER, SteerConfig, steer
    from codesteer_cli.store.figures import task_summaries

    setup_logging(settings.verbose)
    o.use_sandbox(sandbox)
    task_model = task_model or DEFAULT_MODEL
    # --protocol original: the original's settings where none were given, and the
    # fingerprint of the strings read from the release (resumes keep the stored one).
    original: dict[str, object] = {}
    if protocol == "original" and not resume:
        from codesteer_cli.steering.original import defaults
        from codesteer_cli.steering.original_release import load_release

        original = defaults(method)
        original["original_prompts"] = load_release(original_release).fingerprint

    def given(name: str, value: object) -> object:
        return value if value is not None else original.get(name)

    cfg = SteerConfig(
        method=method,
        task_model=task_model,
        guide=guide,
        checker_model=checker_model,
        tasks=tasks,
        split=split,
        complexity=complexity,
        source=source,
        limit=limit,
        repeats=repeats,
        episode=o.episode_settings(
            task_model,
            guide or task_model if method in ("codesteer", "symbolic_agent") else None,
            prompts=prompts,
            max_rounds=max_rounds,
            symbolic_checker=not no_symbolic_checker,
            self_check=not no_self_check,
            task_max_tokens=given("task_max_tokens", max_tokens),
            guide_max_tokens=given("guide_max_tokens", guide_max_tokens),
            checker_max_tokens=given("checker_max_tokens", checker_max_tokens),
            checker_attempts=checker_attempts,
            temperature=temperature,
            guide_temperature=original.get("guide_temperature"),
            seed=seed,
            code_timeout_s=given("code_timeout_s", code_timeout),
            protocol=protocol,
            original_prompts=original.get("original_prompts"),
        ),
        execution=ExecutionSettings(
            concurrency, max_cost, not no_cache, request_timeout, original_release
        ),
    )
    if not resume:
        cfg.validate()
    store = get_store()
    with display.live("episodes") as (progress, on_open):

        def opened(run):  # type: ignore[no-untyped-def]
            display.announce(run, STEER.describe(run.cfg))
            on_open(run)

        result = steer(store, cfg, name, resume, progress, on_open=opened)
    if not result.interrupted:
        display.task_table(result.run.name, task_summaries(store, result.run.id))
    display.closing(result, "codesteer steer")
