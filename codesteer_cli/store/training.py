"""Training runs' rows: per-step metrics, the resolved config added once a run has loaded
its model, and the reads `train list` / `train show` make."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from codesteer_cli.store.db import Store
from codesteer_cli.store.models import RunRow, TrainingMetricRow

TRAIN_KINDS = ("train-sft", "train-dpo")


def add_metrics(store: Store, run_id: int, rows: list[dict[str, Any]]) -> None:
    """One TrainingMetricRow per dict (step, epoch, split, loss, …, logs)."""
    if not rows:
        return
    with store.session() as s:
        for r in rows:
            s.add(TrainingMetricRow(run_id=run_id, **r))


def merge_run_config(store: Store, run_id: int, extra: dict[str, Any]) -> None:
    """Add keys to a run's stored config (a missing run is left alone)."""
    with store.session() as s:
        run = s.get(RunRow, run_id)
        if run is None:
            return
        run.config = {**(run.config or {}), **extra}
        s.add(run)


def recent_training_runs(store: Store, limit: int) -> list[RunRow]:
    """The newest training runs first."""
    with store.read() as s:
        return list(
            s.exec(
                select(RunRow)
                .where(col(RunRow.kind).in_(TRAIN_KINDS))
                .order_by(col(RunRow.id).desc())
                .limit(limit)
            ).all()
        )


def metric_rows(store: Store, run_id: int) -> list[TrainingMetricRow]:
    """A run's metric rows in step order."""
    with store.read() as s:
        return list(
            s.exec(
                select(TrainingMetricRow)
                .where(TrainingMetricRow.run_id == run_id)
                .order_by(col(TrainingMetricRow.step), col(TrainingMetricRow.id))
            ).all()
        )
