"""`codesteer models`: providers, aliases, and whether each is usable now."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from codesteer_cli.console import console


def command(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List model providers and aliases: key present, package present, embedded cache."""
    from codesteer_cli.models.registry import describe

    info = describe()
    if as_json:
        typer.echo(json.dumps(info, indent=2))
        return
    from rich.table import Table

    table = Table(title="Model providers")
    for col in ("provider", "spec", "key", "status"):
        table.add_column(col, overflow="fold")
    notes = []
    for p in info["providers"]:
        if not p["key_var"]:
            key = "-"
        elif p["key"]:
            key = p["key"]
        else:
            key = "not set" if p["key_required"] else "optional"
        if p.get("base_url_overridden"):
            notes.append(f"{p['name']}: base URL {p['base_url']} (from {p['base_url_var']})")
        style = "green" if p["usable"] else "yellow"
        table.add_row(p["name"], p["form"], key, f"[{style}]{p['status']}[/]")
    console.print(table)
    for note in notes:
        console.print(note, highlight=False)

    aliases = Table(title=f"Aliases (prices $/M tokens, table of {info['price_table_date']})")
    for col in ("alias", "spec", "input", "output", "usable"):
        aliases.add_column(col, justify="right" if col in ("input", "output") else "left")
    for a in info["aliases"]:
        aliases.add_row(
            a["alias"],
            a["spec"],
            _price(a["price_in_per_m"]),
            _price(a["price_out_per_m"]),
            "[green]yes[/]" if a["usable"] else "[yellow]no[/]",
        )
    console.print(aliases)
    embedded = Table(title="Embedded models (offline, no key)")
    for col in ("spec", "model", "engine at concurrency 8", "state", "defaults"):
        embedded.add_column(col, overflow="fold")
    for m in info["embedded"]["models"]:
        if not m["packages"]:
            state = f"[yellow]missing {', '.join(m['missing'])}: {m['pip']}[/]"
        elif m["engine"] == "llama.cpp" and not m["gguf_ready"]:
            state = "usable (first use assembles its GGUF, a few seconds)"
        elif m["engine"] == "transformers" and not m["fp32_ready"]:
            state = "usable (first use dequantizes it, ~20 s)"
        else:
            state = "[green]ready[/]"
        choice = ", ".join(f"≤{c['up_to']}: {c['engine']}" for c in m["engines_by_concurrency"])
        engine = m["engine"] if "," not in choice else f"{m['engine']} ({choice})"
        defaults = " ".join(f"{k}={v}" for k, v in m["defaults"].items())
        embedded.add_row(
            m["spec"], m["title"], engine.replace("≤1000000: ", "above: "), state, defaults
        )
    console.print(embedded)
    console.print(f"model cache: {info['embedded']['models_dir']}", highlight=False)
    est = ", ".join(f"{k}: {'yes' if v else 'no'}" for k, v in info["token_estimates"].items())
    console.print(
        f"offline tiktoken data (token estimates when a server reports none): {est}",
        highlight=False,
    )


def _price(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"{value:g}" if value else "0"
