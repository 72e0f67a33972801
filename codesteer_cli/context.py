"""Process-wide settings from the root command's options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codesteer_cli.store.db import Store


@dataclass
class Settings:
    db: str | None = None
    verbose: bool = False


settings = Settings()


def get_store(migrate: bool = True) -> Store:
    """The store named by --db / CODESTEER_DB / ./codesteer.db, migrated on first use."""
    from codesteer_cli.store.db import open_store

    return open_store(settings.db, migrate=migrate)
