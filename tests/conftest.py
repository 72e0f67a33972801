"""Shared fixtures. Anything a test needs that is missing fails loudly, never skips."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fixtures.postgres import pg_server, pg_url  # noqa: F401  (fixtures for every test)

REPO = Path(__file__).resolve().parent.parent


def reference_root() -> Path:
    """The original SymBench release: $SYMBENCH_REFERENCE or ../shared/symbench-reference."""
    root = Path(os.environ.get("SYMBENCH_REFERENCE", REPO.parent / "shared" / "symbench-reference"))
    if not root.is_dir():
        pytest.fail(
            f"the original SymBench samples are missing: {root} does not exist. "
            "Put ../shared beside the repository or set SYMBENCH_REFERENCE.",
            pytrace=False,
        )
    return root


@pytest.fixture(scope="session")
def reference() -> Path:
    return reference_root()


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SQLite store for this test, also set as CODESTEER_DB."""
    path = tmp_path / "codesteer.db"
    monkeypatch.setenv("CODESTEER_DB", str(path))
    from codesteer_cli.context import settings

    monkeypatch.setattr(settings, "db", None)
    return path
