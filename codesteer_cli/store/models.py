"""The run store's tables. Every change here needs a numbered migration in `migrations/`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _json(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=nullable))


def _text(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(Text, nullable=nullable))


class SampleRow(SQLModel, table=True):
    """One SymBench problem. Stored once per (task, question) via `content_hash`."""

    __tablename__ = "samples"
    __table_args__ = (
        UniqueConstraint("content_hash", name="uq_samples_content_hash"),
        Index("ix_samples_task_split_complexity", "task", "split", "complexity"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task: str = Field(max_length=64)
    split: str = Field(max_length=8)  # train | test
    complexity: int | None = None
    seed: int | None = None
    origin: str = Field(max_length=512)  # "generated" or the original release path
    question: str = Field(sa_column=Column(Text, nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))  # reference answer text
    content_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class RunRow(SQLModel, table=True):
    """One invocation of a job: generate, steer, synthesize, train."""

    __tablename__ = "runs"
    __table_args__ = (UniqueConstraint("name", name="uq_runs_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32, index=True)  # generate | steer | synthesize-sft | ...
    status: str = Field(default="running", max_length=16)  # running|finished|failed|stopped
    config: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    code_version: str = Field(default="", max_length=64)
    prompt_version: str | None = Field(default=None, max_length=64)
    price_table_date: str | None = Field(default=None, max_length=16)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    summary: dict[str, Any] | None = _json()
    error: str | None = _text()
    # The process playing the run ("host:pid:token") and until when, renewed while it
    # plays: a second process is refused until the lease ends or its owner has died.
    lease_owner: str | None = Field(default=None, max_length=200)
    lease_expires_at: datetime | None = None


class EpisodeRow(SQLModel, table=True):
    """A run applied to one sample (one repeat): the unit that is scored."""

    __tablename__ = "episodes"
    __table_args__ = (
        UniqueConstraint("run_id", "sample_id", "repeat", name="uq_episodes_run_sample_repeat"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id", index=True)
    sample_id: int = Field(foreign_key="samples.id", index=True)
    repeat: int = 0
    method: str = Field(default="", max_length=32)
    status: str = Field(default="pending", max_length=16)  # pending|running|finished|failed
    rounds: int = 0
    final_answer: str | None = _text()
    score: float | None = None  # best of text and code-output scores, in [0, 1]
    text_score: float | None = None
    code_score: float | None = None
    passed_by: str | None = Field(default=None, max_length=8)  # text|code|both|none
    partial: bool = False
    stop_reason: str | None = Field(default=None, max_length=32)  # return|terminate|max_rounds
    error: str | None = _text()
    extra: dict[str, Any] | None = _json()
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None


class TurnRow(SQLModel, table=True):
    """One model call inside an episode (guide, task model, checker, summarizer)."""

    __tablename__ = "turns"
    __table_args__ = (Index("ix_turns_episode_seq", "episode_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    episode_id: int = Field(foreign_key="episodes.id")
    seq: int = 0  # order within the episode
    round: int = 0
    role: str = Field(max_length=16)  # guide | task | checker | summary
    model: str = Field(max_length=200)
    messages: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    response: str | None = _text()
    params: dict[str, Any] | None = _json()
    tokens_in: int | None = None
    tokens_out: int | None = None
    latency_s: float | None = None
    cost_usd: float | None = None  # None = unknown price, never silently 0
    cached: bool = False
    error: str | None = _text()
    extra: dict[str, Any] | None = _json()
    created_at: datetime = Field(default_factory=utcnow)


class CodeExecutionRow(SQLModel, table=True):
    """One sandboxed run of model-written code."""

    __tablename__ = "code_executions"

    id: int | None = Field(default=None, primary_key=True)
    episode_id: int | None = Field(default=None, foreign_key="episodes.id", index=True)
    turn_id: int | None = Field(default=None, foreign_key="turns.id", index=True)
    purpose: str = Field(default="answer", max_length=16)  # answer | self_check
    code: str = Field(sa_column=Column(Text, nullable=False))
    stdout: str | None = _text()
    stderr: str | None = _text()
    exit_status: int | None = None
    timed_out: bool = False
    duration_s: float | None = None
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    isolation: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


class ResponseCacheRow(SQLModel, table=True):
    """A finished model call, keyed by everything that determines its answer.

    The key covers model, messages, parameters, seed and the repeat index, so a re-run is
    served from here while deliberate repeats at temperature > 0 each get their own call.
    """

    __tablename__ = "response_cache"
    __table_args__ = (UniqueConstraint("key", name="uq_response_cache_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)
    model: str = Field(max_length=200, index=True)
    request: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    response: str = Field(sa_column=Column(Text, nullable=False))
    tokens_in: int | None = None
    tokens_out: int | None = None
    latency_s: float | None = None
    cost_usd: float | None = None
    created_at: datetime = Field(default_factory=utcnow)


ALL_TABLES = (SampleRow, RunRow, EpisodeRow, TurnRow, CodeExecutionRow, ResponseCacheRow)


class TrainingMetricRow(SQLModel, table=True):
    """One logged step of a training run (`train sft` / `train dpo`), written by rank 0."""

    __tablename__ = "training_metrics"
    __table_args__ = (Index("ix_training_metrics_run_step", "run_id", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id")
    step: int = 0  # optimizer steps done (global step)
    epoch: float | None = None
    split: str = Field(default="train", max_length=8)  # train | eval
    loss: float | None = None
    learning_rate: float | None = None
    grad_norm: float | None = None
    tokens_per_s: float | None = None  # all processes together, since the previous log
    elapsed_s: float | None = None  # since training started
    logs: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


ALL_TABLES = (*ALL_TABLES, TrainingMetricRow)


class SFTExampleRow(SQLModel, table=True):
    """One SFT chat example (`synthesize sft`): a kept trajectory's guide conversation up
    to one guide turn, ending with that guidance; `weight` 2 for its final two turns."""

    __tablename__ = "sft_examples"
    __table_args__ = (UniqueConstraint("episode_id", "turn", name="uq_sft_examples_episode_turn"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id", index=True)
    episode_id: int = Field(foreign_key="episodes.id")
    sample_id: int = Field(foreign_key="samples.id", index=True)
    task: str = Field(max_length=64)
    variant: str = Field(max_length=32)  # teacher prompt variant that made the trajectory
    turn: int = 0  # index of this guide turn in its trajectory (0 = the choice)
    turns: int = 0  # guide turns in the whole trajectory
    weight: int = 1  # 2 for the trajectory's final two guide turns
    kind: str = Field(default="free", max_length=16)  # code|text|return|terminate|free
    messages: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow)


class DPONodeRow(SQLModel, table=True):
    """One node of a DPO guidance tree (`synthesize dpo`). The root (path "") is the
    sample before any guidance; every other node is one sampled guidance and what
    followed it (task-model answer, code run, checkers) up to the next guide turn."""

    __tablename__ = "dpo_nodes"
    __table_args__ = (
        UniqueConstraint("episode_id", "path", name="uq_dpo_nodes_episode_path"),
        Index("ix_dpo_nodes_run_task", "run_id", "task"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id")
    episode_id: int = Field(foreign_key="episodes.id", index=True)
    sample_id: int = Field(foreign_key="samples.id")
    task: str = Field(max_length=64)
    parent_id: int | None = Field(default=None, foreign_key="dpo_nodes.id", index=True)
    path: str = Field(default="", max_length=200)  # branch indexes from the root: "0.2.1"
    depth: int = 0  # guidances from the root to here (the root: 0)
    branch: int = 0  # index among its siblings
    guide_model: str | None = Field(default=None, max_length=200)
    temperature: float | None = None
    prompt: list[dict[str, Any]] = Field(  # the guide's conversation this guidance answers
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    guidance: str | None = _text()  # the guide's reply (None for the root)
    kind: str = Field(default="root", max_length=16)  # root|code|text|return|terminate|free
    final: bool = False  # a finalizing node: Return Answer, Terminate or the round limit
    stop_reason: str | None = Field(default=None, max_length=32)
    rounds: int = 0  # task-model answers so far on this path
    final_answer: str | None = _text()
    answer_score: float | None = None  # the verifier's score of the final answer (leaves)
    correct: bool | None = None
    score: float | None = None  # leaves 15 - rounds (correct) or -rounds; else children's mean
    extra: dict[str, Any] | None = _json()
    created_at: datetime = Field(default_factory=utcnow)


class DPOPairRow(SQLModel, table=True):
    """One pairing decision between two sibling nodes of a DPO tree: kept (a preference
    pair, higher score = chosen) or rejected, with the reason."""

    __tablename__ = "dpo_pairs"
    __table_args__ = (
        UniqueConstraint("chosen_id", "rejected_id", name="uq_dpo_pairs_chosen_rejected"),
        Index("ix_dpo_pairs_run_task", "run_id", "task"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id")
    episode_id: int = Field(foreign_key="episodes.id", index=True)
    sample_id: int = Field(foreign_key="samples.id")
    task: str = Field(max_length=64)
    parent_id: int = Field(foreign_key="dpo_nodes.id")
    chosen_id: int = Field(foreign_key="dpo_nodes.id")  # the higher score (ties: lower path)
    rejected_id: int = Field(foreign_key="dpo_nodes.id")
    chosen_score: float
    rejected_score: float
    kept: bool = False
    reason: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


ALL_TABLES = (*ALL_TABLES, SFTExampleRow, DPONodeRow, DPOPairRow)
