"""Writing turns and code runs (the engine's hot path) and reading an episode back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlmodel import col, select

from codesteer_cli.store.models import CodeExecutionRow, EpisodeRow, SampleRow, TurnRow, utcnow

if TYPE_CHECKING:
    from codesteer_cli.sandbox.executor import ExecResult
    from codesteer_cli.store.db import Store

# Table-level statements with parameters passed at execute time: compiled once and
# cached, which keeps the per-turn cost of the store low.
_INSERT_TURN = insert(TurnRow.__table__).returning(TurnRow.__table__.c.id)  # type: ignore[attr-defined]
_INSERT_EXEC = insert(CodeExecutionRow.__table__)  # type: ignore[attr-defined]


def add_turn(
    store: Store, row: dict[str, Any], code_run: tuple[str, str, ExecResult] | None = None
) -> int:
    """Insert one turn (the columns of `TurnRow`) and the code run it led to, as
    (purpose, code, result), in one short transaction; returns the turn's id."""
    with store.engine.begin() as conn:
        turn_id = int(conn.execute(_INSERT_TURN, row).scalar_one())
        if code_run is not None:
            purpose, code, result = code_run
            conn.execute(
                _INSERT_EXEC, _exec_values(row["episode_id"], turn_id, purpose, code, result)
            )
    return turn_id


def add_code_run(
    store: Store, episode_id: int, turn_id: int | None, purpose: str, code: str, r: ExecResult
) -> None:
    """Insert a code run that no model call of its own led to (e.g. a final re-run)."""
    with store.engine.begin() as conn:
        conn.execute(_INSERT_EXEC, _exec_values(episode_id, turn_id, purpose, code, r))


def _exec_values(
    episode_id: int, turn_id: int | None, purpose: str, code: str, r: ExecResult
) -> dict[str, Any]:
    return {
        "episode_id": episode_id,
        "turn_id": turn_id,
        "purpose": purpose,
        "code": code,
        "stdout": r.stdout,
        "stderr": r.stderr,
        "exit_status": r.exit_status,
        "timed_out": r.timed_out,
        "duration_s": r.duration_s,
        "stdout_truncated": r.stdout_truncated,
        "stderr_truncated": r.stderr_truncated,
        "isolation": r.isolation,
        "created_at": utcnow(),
    }


def guide_turns(store: Store, episode_id: int) -> list[TurnRow]:
    """An episode's guide turns, in order."""
    with store.read() as s:
        return list(
            s.exec(
                select(TurnRow)
                .where(TurnRow.episode_id == episode_id, TurnRow.role == "guide")
                .order_by(col(TurnRow.seq))
            ).all()
        )


@dataclass
class EpisodeReplay:
    episode: EpisodeRow
    sample: SampleRow
    turns: list[TurnRow]
    code_runs: dict[int, CodeExecutionRow]  # by turn id (the first, when a turn has more)


def replay(store: Store, episode_id: int) -> EpisodeReplay | None:
    """An episode with its sample, turns (in order) and code runs."""
    with store.read() as s:
        ep = s.get(EpisodeRow, episode_id)
        if ep is None:
            return None
        sample = s.get(SampleRow, ep.sample_id)
        assert sample is not None
        turns = s.exec(
            select(TurnRow).where(TurnRow.episode_id == episode_id).order_by(col(TurnRow.seq))
        ).all()
        runs = s.exec(
            select(CodeExecutionRow)
            .where(CodeExecutionRow.episode_id == episode_id)
            .order_by(col(CodeExecutionRow.id))
        ).all()
    by_turn: dict[int, CodeExecutionRow] = {}
    for r in runs:
        if r.turn_id:
            by_turn.setdefault(r.turn_id, r)
    return EpisodeReplay(ep, sample, list(turns), by_turn)
