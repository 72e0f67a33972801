"""Migration 0003 (synthesis tables) on SQLite: up, down to 0002, up again; the tables
match the models exactly."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from codesteer_cli.store.db import Store

TABLES = {"sft_examples", "dpo_nodes", "dpo_pairs"}


def test_migration_0003_up_down_and_matches_the_models(tmp_path: Path) -> None:
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    store.upgrade()
    assert store.current_revision() == store.head_revision() >= "0003"
    assert set(inspect(store.engine).get_table_names()) >= TABLES
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
    cfg = store._alembic_config()
    command.downgrade(cfg, "0002")
    assert not TABLES & set(inspect(store.engine).get_table_names())
    assert store.current_revision() == "0002"
    command.upgrade(cfg, "head")
    assert set(inspect(store.engine).get_table_names()) >= TABLES
