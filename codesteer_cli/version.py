"""The code version recorded with every run."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from codesteer_cli import __version__


@functools.cache
def code_version() -> str:
    """`0.1.0` or `0.1.0+g<short hash>[.dirty]` when running from a git checkout."""
    repo = Path(__file__).resolve().parent.parent
    if not (repo / ".git").exists():
        return __version__
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "describe", "--always", "--dirty=.dirty", "--abbrev=10"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__}+g{out}" if out else __version__
