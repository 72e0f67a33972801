"""Shared Rich consoles: results to stdout, progress and messages to stderr."""

from __future__ import annotations

from rich.console import Console

console = Console()
err = Console(stderr=True)
