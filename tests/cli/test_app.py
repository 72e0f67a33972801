"""The root command: `--db` before or after the sub-command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codesteer_cli.app import hoist_db


@pytest.mark.parametrize(
    ("args", "want"),
    [
        (["report", "--db", "x.db"], ["--db", "x.db", "report"]),
        (["report", "a", "--db=x.db", "-f", "csv"], ["--db=x.db", "report", "a", "-f", "csv"]),
        (["--db", "x.db", "db", "status"], ["--db", "x.db", "db", "status"]),
        (["steer", "--", "--db", "x"], ["steer", "--", "--db", "x"]),
        (["report", "--db"], ["report", "--db"]),  # no value: click says so
    ],
)
def test_db_after_the_command_moves_before_it(args: list[str], want: list[str]) -> None:
    assert hoist_db(args) == want


def test_the_installed_command_reads_db_after_the_command(tmp_path: Path) -> None:
    db = tmp_path / "late.db"
    out = subprocess.run(
        [sys.executable, "-c", "from codesteer_cli.app import main; main()", "db", "path"]
        + ["--db", str(db)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert str(db) in out.stdout
    assert not (tmp_path / "codesteer.db").exists()
