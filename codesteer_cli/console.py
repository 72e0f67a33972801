"""Shared Rich consoles: results to stdout, progress and messages to stderr."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    from rich.table import Table  # imported where tables are built, not at start-up


def _width(stream) -> int | None:  # type: ignore[no-untyped-def]
    """Tables piped to a file or another program are not cut to 80 columns."""
    if os.environ.get("COLUMNS") or stream.isatty():
        return None
    return 160


console = Console(width=_width(sys.stdout))
err = Console(stderr=True, width=_width(sys.stderr))


def setup_logging(verbose: bool = False) -> None:
    """Warnings (and with -v, progress details) from the engines, on stderr."""
    import logging

    from rich.logging import RichHandler

    root = logging.getLogger("codesteer")
    if not any(isinstance(h, RichHandler) for h in root.handlers):
        handler = RichHandler(console=err, show_time=False, show_path=False, markup=False)
        root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    root.propagate = False


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)}
_CONTROL |= {c: f"\\x{c:02x}" for c in range(0x80, 0xA0)}  # C1 controls (e.g. CSI)


def safe(text: object, markup: bool = True) -> str:
    """`text` made safe to print: control characters (terminal escape sequences) shown
    as `\\xNN`, and, with `markup`, Rich markup escaped (names and model output are
    data, not formatting)."""
    from rich.markup import escape

    out = str(text).translate(_CONTROL)
    return escape(out) if markup else out


def keep_whole(table: Table, *headers: str, cap: int = 48) -> Table:
    """Columns users read or copy (names, tasks, methods) keep their full width on a
    narrow terminal; Rich shrinks the number columns instead of cutting `number_mul…`."""
    from rich.cells import cell_len

    for col in table.columns:
        if col.header in headers:
            widest = max((cell_len(str(c)) for c in col.cells), default=0)
            col.min_width = min(cap, max(widest, col.min_width or 0))
            col.no_wrap = True
    return table
