"""Typer options shared by the commands that run episodes (`steer`, `synthesize sft|dpo`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from codesteer_cli.runs.settings import EpisodeSettings

MODEL_HELP = "provider:model or an alias, e.g. gpt-4o, openai:gpt-4o, hf:./guide, local:smollm2."

TaskModel = Annotated[
    str | None,
    typer.Option("--task-model", "-m", help=f"The model that answers. {MODEL_HELP}"),
]
CheckerModel = Annotated[
    str | None,
    typer.Option("--checker-model", help="Self-answer Checker's model. Default: the task model."),
]
Prompts = Annotated[
    str | None,
    typer.Option(
        "--prompts",
        help="Prompt set: default, or tiny (short prompts for very small models). Default: "
        "tiny when the models are embedded ones, else default.",
        show_default=False,
    ),
]
MaxRounds = Annotated[
    int, typer.Option("--max-rounds", help="Guidance rounds after the first answer.")
]
NoSymbolic = Annotated[
    bool, typer.Option("--no-symbolic-checker", help="Ablation: no Symbolic Checker.")
]
NoSelfCheck = Annotated[
    bool, typer.Option("--no-self-check", help="Ablation: no Self-answer Checker.")
]
_PER_MODEL = " Default: the model's own (embedded models), else {}."
MaxTokens = Annotated[
    int | None,
    typer.Option(
        "--max-tokens",
        help="Task model's answer limit." + _PER_MODEL.format(2048),
        show_default=False,
    ),
]
GuideMaxTokens = Annotated[
    int | None,
    typer.Option(
        "--guide-max-tokens",
        help="Guide's reply limit." + _PER_MODEL.format(512),
        show_default=False,
    ),
]
CheckerMaxTokens = Annotated[
    int | None,
    typer.Option(
        "--checker-max-tokens",
        help="Self-answer Checker's code limit." + _PER_MODEL.format(1024),
        show_default=False,
    ),
]
CheckerAttempts = Annotated[
    int | None,
    typer.Option(
        "--checker-attempts",
        help="Self-answer Checker tries per answer." + _PER_MODEL.format(2),
        show_default=False,
    ),
]
TaskTemperature = Annotated[
    float, typer.Option("--task-temperature", help="Task model's sampling temperature.")
]
Seed = Annotated[int | None, typer.Option("--seed", help="Sent to models that take one.")]
CodeTimeout = Annotated[float, typer.Option("--code-timeout", help="Seconds per code run.")]
Concurrency = Annotated[
    int,
    typer.Option("--concurrency", "-j", help="Episodes at once (local models batch across them)."),
]
MaxCost = Annotated[
    float | None,
    typer.Option(
        "--max-cost", help="Stop starting episodes before the estimated cost passes this many USD."
    ),
]
Name = Annotated[
    str | None,
    typer.Option("--name", help="Name the run; re-running the same name continues it."),
]
Resume = Annotated[
    str | None,
    typer.Option("--resume", help="Continue a stopped run (name or id) with its stored settings."),
]
NoCache = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Do not serve or store model answers from the response cache "
        "(a resumed run then repeats its calls).",
    ),
]


def episode_settings(task_model: str, guide: str | None, **given: object) -> EpisodeSettings:
    """Episode settings from the options a user gave (None = not given): the rest from
    the models' own defaults (the embedded models need short prompts and limits), else
    the engine's. Limits of the task model and checker follow the task model; the
    guide's limit follows the guide; the prompt set follows both (an API guide of an
    embedded task model gets the default prompts)."""
    from codesteer_cli.models.registry import model_defaults
    from codesteer_cli.runs.settings import EpisodeSettings

    task = model_defaults(task_model)
    guided = model_defaults(guide) if guide else task
    defaults = {k: v for k, v in task.items() if k not in ("guide_max_tokens", "prompts")}
    if "guide_max_tokens" in guided:
        defaults["guide_max_tokens"] = guided["guide_max_tokens"]
    if task.get("prompts") and task.get("prompts") == guided.get("prompts"):
        defaults["prompts"] = task["prompts"]
    chosen = {k: v for k, v in given.items() if v is not None}
    return EpisodeSettings(**{**defaults, **chosen})  # type: ignore[arg-type]


RequestTimeout = Annotated[
    float | None,
    typer.Option(
        "--request-timeout",
        help="Seconds one model request may take once sent (time waiting in codesteer's own "
        "queue does not count); 0 = no limit. Default: $CODESTEER_<PROVIDER>_TIMEOUT, else "
        "120 for APIs, 1800 for servers on this machine, none for embedded models.",
        show_default=False,
    ),
]


Sandbox = Annotated[
    str | None,
    typer.Option(
        "--sandbox",
        help="How model code is isolated: auto (bwrap, else kernel namespaces, else refuse), "
        "bwrap, namespaces, or none (no isolation: code runs with your rights and can read "
        "the benchmark's answers; only when asked). Default: $CODESTEER_SANDBOX or auto.",
        show_default=False,
    ),
]


def use_sandbox(mode: str | None) -> None:
    """Check the sandbox mode before any work starts (one-line error when it cannot run
    safely here) and make it the one every executor of this process uses."""
    import os

    from codesteer_cli.sandbox.isolation import ENV_VAR, choose_isolation

    iso = choose_isolation(mode)
    os.environ[ENV_VAR] = iso.mode
