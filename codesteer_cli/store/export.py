"""The reads `synthesize export` makes: synthesis runs by kind, their SFT examples and
their kept DPO pairs, each with the content hash of its sample."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import aliased
from sqlmodel import select

from codesteer_cli.store.db import Store
from codesteer_cli.store.models import (
    DPONodeRow,
    DPOPairRow,
    EpisodeRow,
    RunRow,
    SampleRow,
    SFTExampleRow,
)


def runs_of_kinds(store: Store, kinds: Sequence[str]) -> list[RunRow]:
    """Every run of `kinds`, oldest first."""
    with store.read() as s:
        return list(
            s.exec(select(RunRow).where(RunRow.kind.in_(list(kinds))).order_by(RunRow.id)).all()  # type: ignore[attr-defined,arg-type]
        )


def sft_examples(store: Store, run_ids: list[int]) -> list[tuple[SFTExampleRow, str]]:
    """(example, sample content hash) of the runs, in the order they were written."""
    with store.read() as s:
        return list(
            s.exec(
                select(SFTExampleRow, SampleRow.content_hash)
                .join(SampleRow, SampleRow.id == SFTExampleRow.sample_id)  # type: ignore[arg-type]
                .where(SFTExampleRow.run_id.in_(run_ids))  # type: ignore[attr-defined]
                .order_by(SFTExampleRow.id)  # type: ignore[arg-type]
            ).all()
        )


def kept_pairs(store: Store, run_ids: list[int]) -> list[tuple[Any, DPONodeRow, DPONodeRow, str]]:
    """(pair, chosen node, rejected node, sample content hash) of the runs' kept pairs."""
    chosen, rejected = aliased(DPONodeRow), aliased(DPONodeRow)
    with store.read() as s:
        return list(
            s.exec(
                select(DPOPairRow, chosen, rejected, SampleRow.content_hash)
                .join(chosen, chosen.id == DPOPairRow.chosen_id)  # type: ignore[arg-type]
                .join(rejected, rejected.id == DPOPairRow.rejected_id)  # type: ignore[arg-type]
                .join(SampleRow, SampleRow.id == DPOPairRow.sample_id)  # type: ignore[arg-type]
                .where(DPOPairRow.run_id.in_(run_ids), DPOPairRow.kept)  # type: ignore[attr-defined,arg-type]
                .order_by(DPOPairRow.id)  # type: ignore[arg-type]
            ).all()
        )


def tree_nodes(store: Store, run_ids: list[int]) -> list[tuple[DPONodeRow, SampleRow]]:
    """(node, its sample) of the runs' finished trees (an interrupted tree is partial), by
    episode, parents before children."""
    with store.read() as s:
        return list(
            s.exec(
                select(DPONodeRow, SampleRow)
                .join(SampleRow, SampleRow.id == DPONodeRow.sample_id)  # type: ignore[arg-type]
                .join(EpisodeRow, EpisodeRow.id == DPONodeRow.episode_id)  # type: ignore[arg-type]
                .where(DPONodeRow.run_id.in_(run_ids), EpisodeRow.status == "finished")  # type: ignore[attr-defined]
                .order_by(DPONodeRow.episode_id, DPONodeRow.depth, DPONodeRow.id)  # type: ignore[arg-type]
            ).all()
        )
