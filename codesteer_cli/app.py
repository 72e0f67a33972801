"""The `codesteer` command: global options and one sub-command module per job."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from codesteer_cli import __version__
from codesteer_cli.commands import COMMANDS, GROUPS
from codesteer_cli.context import settings

app = typer.Typer(
    name="codesteer",
    help="Steer LLMs between writing code and reasoning in text on symbolic problems "
    "(SymBench, the steering engine, guide training, score-vs-cost reports).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"codesteer {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="CODESTEER_DB",
            help="Run store: a file path or a SQLAlchemy URL (postgresql://...). "
            "Default ./codesteer.db. Also read after the command.",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="More detail.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print version.")
    ] = False,
) -> None:
    """Global options shared by every command."""
    settings.db = db
    settings.verbose = verbose


for _name, _fn in COMMANDS:
    app.command(_name)(_fn)
for _name, _sub in GROUPS:
    app.add_typer(_sub, name=_name)


def hoist_db(args: list[str]) -> list[str]:
    """`--db X` given after the command (`codesteer report --db x.db`) moved before it,
    where the root command reads it; nothing after `--` is touched."""
    from codesteer_cli.errors import UserError

    cut = args.index("--") if "--" in args else len(args)
    if cut and args[cut - 1] == "--db":
        raise UserError("--db needs a value: a file path or a SQLAlchemy URL")
    out: list[str] = []
    front: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            out.extend(args[i:])
            break
        if a == "--db" and i + 1 < len(args):
            front += args[i : i + 2]
            i += 2
            continue
        (front if a.startswith("--db=") else out).append(a)
        i += 1
    return front + out


def main() -> None:
    """Console-script entry point: user errors become one red line and exit code 2."""
    from codesteer_cli.errors import UserError
    from symbench.core import SymbenchError

    try:
        app(args=hoist_db(sys.argv[1:]))
    except (UserError, SymbenchError) as exc:
        from codesteer_cli.console import err

        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:
        from codesteer_cli.console import err

        err.print("[yellow]interrupted[/]")
        sys.exit(130)


if __name__ == "__main__":
    main()
