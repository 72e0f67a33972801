"""Episodes of a run: creating them, resetting unfinished ones, status changes, tallies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from codesteer_cli.store.db import Store
from codesteer_cli.store.models import (
    CodeExecutionRow,
    DPONodeRow,
    DPOPairRow,
    EpisodeRow,
    SampleRow,
    SFTExampleRow,
    TurnRow,
)

_CHUNK = 500


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[i : i + _CHUNK]) for i in range(0, len(ids), _CHUNK)]


def ensure(store: Store, run_id: int, sample_ids: Sequence[int], repeats: int, method: str) -> None:
    """One pending episode per (sample, repeat), skipping those the run already has."""
    rows = [
        {
            "run_id": run_id,
            "sample_id": sid,
            "repeat": r,
            "method": method,
            "status": "pending",
            "rounds": 0,
            "partial": False,
        }
        for sid in sample_ids
        for r in range(repeats)
    ]
    ins = postgresql.insert if store.engine.dialect.name == "postgresql" else sqlite.insert
    for i in range(0, len(rows), _CHUNK):
        stmt = (
            ins(EpisodeRow)
            .values(rows[i : i + _CHUNK])
            .on_conflict_do_nothing(index_elements=["run_id", "sample_id", "repeat"])
        )
        with store.session() as s:
            s.execute(stmt)


def count(store: Store, run_id: int) -> int:
    with store.read() as s:
        q = select(func.count()).select_from(EpisodeRow).where(EpisodeRow.run_id == run_id)
        return int(s.exec(q).one())


def status_counts(store: Store, run_id: int) -> dict[str, int]:
    """Episodes of a run by status."""
    with store.read() as s:
        rows = s.exec(
            select(EpisodeRow.status, func.count())
            .where(EpisodeRow.run_id == run_id)
            .group_by(EpisodeRow.status)
        ).all()
    return {st: int(n) for st, n in rows}


def reset_unfinished(store: Store, run_id: int) -> None:
    """Clear what the run's unfinished episodes left behind (turns, code runs, SFT
    examples, DPO nodes and pairs) and mark them pending: each is played again from the
    start, its finished model calls served from the response cache."""
    with store.read() as s:
        ids = list(
            s.exec(
                select(EpisodeRow.id).where(
                    EpisodeRow.run_id == run_id,
                    EpisodeRow.status != "finished",
                    # a pending episode that never started has nothing to clear
                    (EpisodeRow.status != "pending") | col(EpisodeRow.started_at).is_not(None),
                )
            ).all()
        )
    for chunk in _chunks([i for i in ids if i is not None]):
        with store.session() as s:
            for table in (DPOPairRow, DPONodeRow, SFTExampleRow, CodeExecutionRow, TurnRow):
                s.execute(delete(table).where(col(table.episode_id).in_(chunk)))
            s.execute(
                update(EpisodeRow)
                .where(col(EpisodeRow.id).in_(chunk))
                .values(status="pending", error=None, score=None, started_at=None)
            )


def pending(store: Store, run_id: int) -> tuple[list[tuple[EpisodeRow, SampleRow]], int]:
    """The run's episodes still to play, in order, and how many are finished."""
    with store.read() as s:
        eps = s.exec(
            select(EpisodeRow, SampleRow)
            .join(SampleRow, col(SampleRow.id) == EpisodeRow.sample_id)
            .where(EpisodeRow.run_id == run_id)
            .order_by(col(EpisodeRow.id))
        ).all()
    todo = [(e, smp) for e, smp in eps if e.status != "finished"]
    return todo, len(eps) - len(todo)


def set_values(store: Store, episode_id: int, **values: Any) -> None:
    """Update one episode's columns (status changes, results)."""
    with store.engine.begin() as conn:
        conn.execute(update(EpisodeRow).where(col(EpisodeRow.id) == episode_id).values(**values))


def spent(store: Store, run_id: int) -> float:
    """USD spent by the run's finished episodes (priced calls only)."""
    with store.read() as s:
        rows = s.exec(
            select(EpisodeRow.extra).where(
                EpisodeRow.run_id == run_id, EpisodeRow.status == "finished"
            )
        ).all()
    return sum(float((x or {}).get("cost_usd") or 0.0) for x in rows)
