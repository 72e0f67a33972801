"""`codesteer doctor`: what this machine gives codesteer (sandbox isolation, models, store)."""

from __future__ import annotations

import json
import platform
import sys
from typing import Annotated, Any

import typer

from codesteer_cli.console import console


def command(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Check the sandbox's isolation, the models that are usable, and the store."""
    from codesteer_cli.context import settings
    from codesteer_cli.models.registry import describe
    from codesteer_cli.sandbox.executor import Executor, Limits, detect_isolation
    from codesteer_cli.store.db import resolve_url, safe_url

    iso = detect_isolation()
    probe = Executor(Limits(wall_s=20), workers=1).run("import sympy, constraint\nprint('ok')")
    models = describe()
    report: dict[str, Any] = {
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "sandbox": {
            "isolation": iso.mode,
            "detail": iso.reason,
            "runs_as_unprivileged_uid": iso.drop_uid,
            "probe_ok": probe.ok and probe.stdout.strip() == "ok",
            "probe_seconds": round(probe.duration_s, 3),
            "probe_error": None if probe.ok else (probe.error or probe.stderr.strip()[-300:]),
        },
        "store": safe_url(resolve_url(settings.db)),
        "models": models,
    }
    if as_json:
        typer.echo(json.dumps(report, indent=2, default=str))
        return
    sb = report["sandbox"]
    colour = "green" if iso.mode == "bwrap" else "yellow"
    console.print(f"python     {report['python']}")
    console.print(
        f"sandbox    [{colour}]{iso.mode}[/] ({iso.reason})"
        + ("; code runs as an unprivileged uid" if iso.drop_uid else "")
    )
    state = "[green]ok[/]" if sb["probe_ok"] else f"[red]failed: {sb['probe_error']}[/]"
    console.print(f"           test run: {state} in {sb['probe_seconds']:.2f}s")
    if iso.mode != "bwrap":
        console.print(
            "           [yellow]network and file-system isolation need bubblewrap "
            "(Debian/Ubuntu: apt-get install bubblewrap)[/]"
        )
    console.print(f"store      {report['store']}")
    console.print("models     run `codesteer models` for providers, keys and aliases")
