"""`codesteer db`: where the run store is, its schema version, upgrades."""

from __future__ import annotations

import typer

from codesteer_cli.console import console

app = typer.Typer(help="The run store: path, status, migrations.", no_args_is_help=True)


@app.command("path")
def path() -> None:
    """Print the store's location (file path or URL, password hidden)."""
    from codesteer_cli.context import settings
    from codesteer_cli.store.db import resolve_url, safe_url

    url = resolve_url(settings.db)
    typer.echo(url[len("sqlite:///") :] if url.startswith("sqlite:///") else safe_url(url))


@app.command("status")
def status() -> None:
    """Show schema revision and row counts per table."""
    from rich.table import Table

    from codesteer_cli.context import get_store
    from codesteer_cli.store.figures import table_counts
    from codesteer_cli.store.models import ALL_TABLES

    store = get_store(migrate=False)
    current, head = store.current_revision(), store.head_revision()
    store.check_not_newer(current)
    console.print(f"store     {store.display}")
    state = "up to date" if current == head else "upgrade pending (codesteer db upgrade)"
    console.print(f"revision  {current or 'none'} (head {head}: {state})")
    if current is None:
        return
    table = Table()
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in table_counts(store, ALL_TABLES).items():
        table.add_row(name, str(n))
    console.print(table)


@app.command("upgrade")
def upgrade() -> None:
    """Apply pending migrations (also done automatically on first use)."""
    from codesteer_cli.context import get_store

    store = get_store(migrate=False)
    before, after = store.upgrade()
    if before == after:
        console.print(f"{store.display}: already at {after}")
    else:
        console.print(f"{store.display}: {before or 'empty'} → {after}")
