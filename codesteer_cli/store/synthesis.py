"""Synthesis rows: SFT examples of kept trajectories, DPO tree nodes and pairs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, delete, func, update
from sqlmodel import col, select

from codesteer_cli.store.db import Store
from codesteer_cli.store.models import (
    DPONodeRow,
    DPOPairRow,
    EpisodeRow,
    SampleRow,
    SFTExampleRow,
    TurnRow,
)


def finished_episodes(
    store: Store, run_id: int, episode_ids: Sequence[int] | None = None
) -> list[tuple[EpisodeRow, SampleRow]]:
    """The run's finished episodes (all, or those of `episode_ids`) with their samples."""
    q = (
        select(EpisodeRow, SampleRow)
        .join(SampleRow, col(SampleRow.id) == EpisodeRow.sample_id)
        .where(EpisodeRow.run_id == run_id, EpisodeRow.status == "finished")
    )
    if episode_ids is not None:
        q = q.where(col(EpisodeRow.id).in_(list(episode_ids)))
    with store.read() as s:
        return [(e, smp) for e, smp in s.exec(q).all()]


def replace_sft_examples(
    store: Store, episode_ids: Sequence[int], rows: Sequence[SFTExampleRow]
) -> None:
    """The SFT examples of these episodes become `rows`, in one transaction."""
    with store.session() as s:
        for i in range(0, len(episode_ids), 500):
            chunk = list(episode_ids[i : i + 500])
            s.execute(delete(SFTExampleRow).where(col(SFTExampleRow.episode_id).in_(chunk)))
        s.add_all(rows)


def add_node(store: Store, row: DPONodeRow) -> int:
    """Insert one tree node; returns its id."""
    with store.session() as s:
        s.add(row)
        s.flush()
        assert row.id is not None
        return row.id


def finish_tree(
    store: Store,
    episode_id: int,
    scores: dict[int, float],
    rows: Sequence[DPOPairRow | SFTExampleRow],
    **episode: Any,
) -> None:
    """Node scores, pairing decisions (and any SFT examples the tree gives) and the
    episode's end, in one transaction (a kill before it commits leaves the tree to be
    regrown)."""
    with store.session() as s:
        for node_id, score in scores.items():
            s.execute(update(DPONodeRow).where(col(DPONodeRow.id) == node_id).values(score=score))
        s.add_all(rows)
        s.execute(update(EpisodeRow).where(col(EpisodeRow.id) == episode_id).values(**episode))


def sft_figures(
    store: Store, run_id: int
) -> tuple[list[tuple[str, int, float | None]], list[tuple[str, str, int, int, int]], list[Any]]:
    """For `synthesize stats`: the run's finished episodes (task, repeat, score), its SFT
    examples (task, variant, episode id, turns, weight) and the task-model turns of the
    kept episodes (episode id, extra)."""
    with store.read() as s:
        eps = s.exec(
            select(SampleRow.task, EpisodeRow.repeat, EpisodeRow.score)
            .select_from(EpisodeRow)
            .join(SampleRow, col(SampleRow.id) == EpisodeRow.sample_id)
            .where(EpisodeRow.run_id == run_id, EpisodeRow.status == "finished")
        ).all()
        exs = s.exec(
            select(
                SFTExampleRow.task,
                SFTExampleRow.variant,
                SFTExampleRow.episode_id,
                SFTExampleRow.turns,
                SFTExampleRow.weight,
            ).where(SFTExampleRow.run_id == run_id)
        ).all()
        kept_ids = sorted({e for _, _, e, _, _ in exs})
        answers: list[Any] = []
        for i in range(0, len(kept_ids), 500):
            answers += s.exec(
                select(TurnRow.episode_id, TurnRow.extra).where(
                    col(TurnRow.episode_id).in_(kept_ids[i : i + 500]), TurnRow.role == "task"
                )
            ).all()
    return list(eps), list(exs), answers


def dpo_figures(store: Store, run_ids: Sequence[int]) -> tuple[list[Any], list[Any], list[Any]]:
    """For `synthesize stats`: finished trees per task; nodes, leaves and correct leaves
    per task; pairing decisions per (task, kept, reason)."""
    ids = list(run_ids)
    finished = EpisodeRow.status == "finished"
    with store.read() as s:
        trees = s.exec(
            select(SampleRow.task, func.count())
            .select_from(EpisodeRow)
            .join(SampleRow, col(SampleRow.id) == EpisodeRow.sample_id)
            .where(col(EpisodeRow.run_id).in_(ids), finished)
            .group_by(SampleRow.task)
        ).all()
        nodes = s.exec(
            select(
                DPONodeRow.task,
                func.count(),
                func.sum(case((col(DPONodeRow.final), 1), else_=0)),
                func.sum(case((col(DPONodeRow.final) & col(DPONodeRow.correct), 1), else_=0)),
            )
            .join(EpisodeRow, col(EpisodeRow.id) == DPONodeRow.episode_id)
            .where(col(DPONodeRow.run_id).in_(ids), finished)
            .group_by(DPONodeRow.task)
        ).all()
        pairs = s.exec(
            select(DPOPairRow.task, DPOPairRow.kept, DPOPairRow.reason, func.count())
            .where(col(DPOPairRow.run_id).in_(ids))
            .group_by(DPOPairRow.task, DPOPairRow.kept, DPOPairRow.reason)
        ).all()
    return list(trees), list(nodes), list(pairs)
