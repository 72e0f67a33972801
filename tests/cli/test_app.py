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
    ],
)
def test_db_after_the_command_moves_before_it(args: list[str], want: list[str]) -> None:
    assert hoist_db(args) == want


def test_db_without_a_value_is_one_line() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "codesteer_cli.app", "report", "--db"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "--db needs a value" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


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
