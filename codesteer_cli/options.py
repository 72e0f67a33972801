"""Typer options shared by the commands that run episodes (`steer`, `synthesize sft|dpo`)."""

from __future__ import annotations

from typing import Annotated

import typer

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
    str,
    typer.Option(
        "--prompts", help="Prompt set: default, or tiny (short prompts for very small models)."
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
MaxTokens = Annotated[int, typer.Option("--max-tokens", help="Task model's answer limit.")]
GuideMaxTokens = Annotated[int, typer.Option("--guide-max-tokens", help="Guide's reply limit.")]
CheckerMaxTokens = Annotated[
    int, typer.Option("--checker-max-tokens", help="Self-answer Checker's code limit.")
]
CheckerAttempts = Annotated[
    int, typer.Option("--checker-attempts", help="Self-answer Checker tries per answer.")
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
