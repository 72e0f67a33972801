"""Migration 0002 (training_metrics) on SQLite, and metric rows written by the callback code."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from codesteer_cli.store.db import Store
from codesteer_cli.store.models import TrainingMetricRow


def test_migration_0002_up_down_and_matches_the_model(tmp_path: Path) -> None:
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    cfg = store._alembic_config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
    assert store.current_revision() == "0002"
    insp = inspect(store.engine)
    assert "training_metrics" in insp.get_table_names()
    assert {i["name"] for i in insp.get_indexes("training_metrics")} == {
        "ix_training_metrics_run_step"
    }
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    mine = [d for d in diff if "training_metrics" in repr(d)]
    assert mine == []  # the migration creates exactly what the model declares
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert "training_metrics" not in inspect(store.engine).get_table_names()
    assert store.current_revision() == "0001"
    before, after = store.upgrade()
    assert before == "0001" and after == store.head_revision()
    assert "training_metrics" in inspect(store.engine).get_table_names()


def test_metric_rows_round_trip(tmp_path: Path) -> None:
    from codesteer_cli.store import repo
    from codesteer_cli.training.metrics import describe_run, metric_row, write_metrics

    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    store.upgrade()
    run = repo.create_run(store, "train-dpo", {"base": "m"})
    logs = {"loss": 0.69, "learning_rate": 1e-5, "rewards/margins": 0.1, "epoch": 0.5}
    write_metrics(store, run.id, [metric_row(1, logs, 1.5), metric_row(2, {"eval_loss": 0.6}, 3)])
    info = describe_run(store, str(run.id))
    assert [m["split"] for m in info["metrics"]] == ["train", "eval"]
    assert info["metrics"][0]["logs"]["rewards/margins"] == 0.1
    assert info["metrics"][1]["loss"] == 0.6
    with store.read() as s:
        assert s.get(TrainingMetricRow, 1).learning_rate == 1e-5
