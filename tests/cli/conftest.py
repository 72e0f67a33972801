"""Helpers for driving the real `codesteer` command."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from codesteer_cli.app import app
from tests.fixtures.cli import run_cli  # noqa: F401  (re-exported)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def cli(runner: CliRunner, db_path: Path):  # type: ignore[no-untyped-def]
    """Invoke the Typer app in-process against this test's store."""

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        result = runner.invoke(app, list(args), catch_exceptions=False)
        return result

    return invoke
