"""Fixtures of the steering tests: a sandbox executor per module, a migrated store per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesteer_cli.sandbox.executor import Executor, Limits
from codesteer_cli.store.db import Store, resolve_url


@pytest.fixture(scope="module")
def executor() -> Executor:
    return Executor(Limits(wall_s=10), workers=2)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(resolve_url(str(tmp_path / "s.db")))
    s.upgrade()
    return s
