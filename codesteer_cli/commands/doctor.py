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
    from codesteer_cli.steering.original_release import describe_release
    from codesteer_cli.store.db import resolve_url, safe_url

    models = describe()
    report: dict[str, Any] = {
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "sandbox": _sandbox_report(),
        "store": safe_url(resolve_url(settings.db)),
        "models": models,
        "original_release": describe_release(None),
    }
    if as_json:
        typer.echo(json.dumps(report, indent=2, default=str))
        return
    console.print(f"python     {report['python']}")
    _print_sandbox(report["sandbox"])
    console.print(f"store      {report['store']}")
    _print_release(report["original_release"])
    console.print("models     run `codesteer models` for providers, keys and aliases")
    console.print(f"           {models['embedded']['engines']}", highlight=False)


def _sandbox_report() -> dict[str, Any]:
    """The mode in force (what $CODESTEER_SANDBOX or auto picks), what it enforces and
    what it does not, every mode's availability here, and a real test run."""
    from codesteer_cli.errors import UserError
    from codesteer_cli.sandbox import Executor, Limits
    from codesteer_cli.sandbox.isolation import choose_isolation, probe_all, requested_mode

    modes = {m: "ok" if iso else why for m, (iso, why) in probe_all().items()}
    out: dict[str, Any] = {"requested": None, "isolation": None, "modes": modes}
    try:
        out["requested"] = requested_mode()
        iso = choose_isolation()
    except UserError as exc:
        out.update(error=str(exc), probe_ok=False)
        return out
    probe = Executor(Limits(wall_s=20), workers=1, isolation=iso.mode).run(
        "import sympy, constraint\nprint('ok')"
    )
    out.update(
        isolation=iso.mode,
        detail=iso.reason,
        enforced=list(iso.enforced),
        not_enforced=list(iso.not_enforced),
        packages=list(iso.packages),
        probe_ok=probe.ok and probe.stdout.strip() == "ok",
        probe_seconds=round(probe.duration_s, 3),
        probe_error=None if probe.ok else (probe.error or probe.stderr.strip()[-300:]),
    )
    return out


def _print_sandbox(sb: dict[str, Any]) -> None:
    pad = " " * 11
    if sb["isolation"] is None:
        console.print(f"sandbox    [red]none usable[/]: {sb.get('error')}")
    else:
        colour = "green" if sb["isolation"] != "none" else "red"
        console.print(f"sandbox    [{colour}]{sb['isolation']}[/] ({sb['detail']})")
        for line in sb["enforced"]:
            console.print(f"{pad}[green]enforced[/]: {line}")
        for line in sb["not_enforced"]:
            console.print(f"{pad}[yellow]NOT enforced[/]: {line}")
        state = "[green]ok[/]" if sb["probe_ok"] else f"[red]failed: {sb['probe_error']}[/]"
        console.print(f"{pad}test run: {state} in {sb['probe_seconds']:.2f}s")
    modes = " · ".join(f"{m}: {why}" for m, why in sb["modes"].items())
    console.print(
        f"{pad}modes here ({sb['requested'] or '?'} requested; --sandbox / "
        f"CODESTEER_SANDBOX): {modes}"
    )


def _print_release(rel: dict[str, Any]) -> None:
    """Whether --protocol original has a release to read ($CODESTEER_ORIGINAL_RELEASE)."""
    from codesteer_cli.steering.original_release import ENV_VAR

    if not rel["configured"]:
        console.print(
            f"original   not configured (--protocol original needs --original-release DIR "
            f"or {ENV_VAR})",
            highlight=False,
        )
    elif rel["readable"]:
        commit = f", commit {str(rel['commit'])[:12]}" if rel.get("commit") else ""
        console.print(
            f"original   [green]readable[/]: {rel['path']}{commit} (strings {rel['fingerprint']})",
            highlight=False,
        )
    else:
        console.print(f"original   [red]unreadable[/]: {rel['error']}", highlight=False)
