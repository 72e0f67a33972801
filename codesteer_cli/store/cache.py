"""The response cache's rows: one lookup by key, one insert that ignores a duplicate."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from codesteer_cli.store.db import Store
from codesteer_cli.store.models import ResponseCacheRow


def cached_response(store: Store, key: str) -> ResponseCacheRow | None:
    """The stored response for `key`, if any."""
    with store.read() as s:
        return s.exec(select(ResponseCacheRow).where(ResponseCacheRow.key == key)).first()


def save_response(store: Store, values: dict[str, Any]) -> None:
    """Insert one response; a row already there under the same key wins (two workers
    that asked the same thing at once both keep their answer, one row is stored)."""
    with store.session() as s:
        dialect = s.get_bind().dialect.name
        if dialect in ("sqlite", "postgresql"):
            if dialect == "sqlite":
                from sqlalchemy.dialects.sqlite import insert
            else:
                from sqlalchemy.dialects.postgresql import insert
            stmt = insert(ResponseCacheRow).values(**values)
            s.exec(stmt.on_conflict_do_nothing(index_elements=["key"]))  # type: ignore[call-overload]
        else:
            s.add(ResponseCacheRow(**values))
