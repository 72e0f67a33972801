"""The queries the engines need, in one place."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from codesteer_cli.store.db import Store
from codesteer_cli.store.models import RunRow, SampleRow, utcnow
from symbench.core import Sample

_BATCH = 500


def sample_to_row(s: Sample) -> dict[str, Any]:
    return {
        "task": s.task,
        "split": s.split,
        "complexity": s.complexity,
        "seed": s.seed,
        "origin": s.origin,
        "question": s.question,
        "data": s.data,
        "answer": s.answer,
        "content_hash": s.content_hash,
        "created_at": utcnow(),
    }


def row_to_sample(r: SampleRow) -> Sample:
    return Sample(
        r.task,
        r.question,
        r.data,
        r.answer,
        r.split,  # type: ignore[arg-type]
        r.complexity,
        r.seed,
        r.origin,
    )


def add_samples(store: Store, samples: Iterable[Sample]) -> tuple[int, int]:
    """Insert samples, skipping ones already stored; returns (added, already there)."""
    added = seen = 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal added, seen
        if not batch:
            return
        dialect = store.engine.dialect.name
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(SampleRow)
        stmt = (
            ins.values(batch)
            .on_conflict_do_nothing(index_elements=["content_hash"])
            .returning(SampleRow.id)
        )
        with store.session() as s:
            # rowcount is unreliable for multi-row inserts on some drivers; RETURNING is not.
            n = len(s.exec(stmt).all())  # type: ignore[call-overload]
        added += n
        seen += len(batch) - n
        batch.clear()

    for sample in samples:
        batch.append(sample_to_row(sample))
        if len(batch) >= _BATCH:
            flush()
    flush()
    return added, seen


def samples_by_id(store: Store, ids: Iterable[int]) -> dict[int, Sample]:
    """The stored samples with these ids (missing ids are left out)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    with store.read() as s:
        rows = s.exec(select(SampleRow).where(col(SampleRow.id).in_(wanted))).all()
        return {r.id: row_to_sample(r) for r in rows if r.id is not None}


def sample_counts(store: Store) -> dict[tuple[str, str], int]:
    """(task, split) -> number of stored samples."""
    with store.read() as s:
        rows = s.exec(
            select(SampleRow.task, SampleRow.split, func.count()).group_by(
                SampleRow.task, SampleRow.split
            )
        ).all()
    return {(t, sp): n for t, sp, n in rows}


def find_samples(
    store: Store,
    task: str,
    split: str | None = None,
    complexity: Sequence[int] | None = None,
    origin: str | None = None,
    limit: int | None = None,
) -> list[SampleRow]:
    """Stored samples of a task, oldest first (stable order for reproducible runs)."""
    q = select(SampleRow).where(SampleRow.task == task)
    if split:
        q = q.where(SampleRow.split == split)
    if complexity:
        q = q.where(SampleRow.complexity.in_(list(complexity)))  # type: ignore[union-attr]
    if origin == "generated":
        q = q.where(SampleRow.origin == "generated")
    elif origin == "imported":
        q = q.where(SampleRow.origin != "generated")
    q = q.order_by(SampleRow.complexity, SampleRow.seed, SampleRow.id)  # type: ignore[arg-type]
    if limit:
        q = q.limit(limit)
    with store.read() as s:
        return list(s.exec(q).all())


def problem_keys(store: Store, task: str, split: str) -> set[str]:
    """Problem keys (`Task.problem_key`) of a task's stored samples of one split."""
    from symbench.core import get_task

    t = get_task(task)
    return {t.problem_key(row_to_sample(r)) for r in find_samples(store, task, split)}


def has_original_samples(store: Store, task: str) -> bool:
    with store.read() as s:
        q = select(SampleRow.id).where(SampleRow.task == task, SampleRow.origin != "generated")
        return s.exec(q.limit(1)).first() is not None


class NameTaken(Exception):
    """Another run has this name (created a moment ago by another process)."""


def new_run_name(kind: str) -> str:
    return f"{kind}-{datetime.now().strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def create_run(
    store: Store, kind: str, config: dict[str, Any], name: str | None = None, **fields: Any
) -> RunRow:
    """A new run; without `name`, a fresh `kind-date-time-hex` one (drawn again in the
    rare case that a run started in the same second drew the same suffix). A taken
    `name` raises `NameTaken`."""
    from sqlalchemy.exc import IntegrityError

    from codesteer_cli.version import code_version

    attempts = 0
    while True:
        run = RunRow(
            name=name or new_run_name(kind),
            kind=kind,
            config=config,
            code_version=code_version(),
            **fields,
        )
        try:
            with store.session() as s:
                s.add(run)
                s.flush()
                s.refresh(run)
            return run
        except IntegrityError:
            attempts += 1
            if name is not None:
                raise NameTaken(name) from None
            if attempts == 5:
                raise


def get_run(store: Store, ref: str | int) -> RunRow | None:
    """A run by id or by name."""
    with store.read() as s:
        if isinstance(ref, int) or str(ref).isdigit():
            row = s.get(RunRow, int(ref))
            if row is not None:
                return row
        return s.exec(select(RunRow).where(RunRow.name == str(ref))).first()


def set_run_status(store: Store, run_id: int, status: str) -> None:
    with store.session() as s:
        run = s.get(RunRow, run_id)
        if run is not None:
            run.status, run.finished_at = status, None
            s.add(run)


def finish_run(
    store: Store,
    run_id: int,
    status: str = "finished",
    summary: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    with store.session() as s:
        run = s.get(RunRow, run_id)
        if run is None:
            return
        run.status = status
        run.finished_at = utcnow()
        if summary is not None:
            run.summary = summary
        if error is not None:
            run.error = error
        s.add(run)
