"""`synthesize stats`: what the synthesis runs made and what they cost.

SFT, per task and variant: episodes run, correct ones, kept trajectories, guide turns
per trajectory, SFT examples, and the code vs text share of the task model's answers in
kept trajectories. DPO, per task: trees, nodes, leaves, pairs kept and rejected (with
the reasons). Per run: model calls (and how many came from the cache), tokens by role
and cost (None when some call's price is unknown). Tokens and cost cover every call of
the run's episodes, kept or not.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func
from sqlmodel import select

from codesteer_cli.store.models import (
    DPONodeRow,
    DPOPairRow,
    EpisodeRow,
    RunRow,
    SampleRow,
    SFTExampleRow,
    TurnRow,
)
from codesteer_cli.synthesis.export import DPO_KIND, SFT_KIND, select_runs

if TYPE_CHECKING:
    from codesteer_cli.store.db import Store


@dataclass
class SftLine:
    task: str
    variant: str
    episodes: int = 0  # finished
    correct: int = 0
    trajectories: int = 0  # kept
    examples: int = 0
    weighted: int = 0  # rows in an export (weight-2 examples twice)
    turns: float = 0.0  # mean guide turns per kept trajectory
    code_answers: int = 0
    text_answers: int = 0

    @property
    def code_share(self) -> float | None:
        n = self.code_answers + self.text_answers
        return 100.0 * self.code_answers / n if n else None


@dataclass
class DpoLine:
    task: str
    trees: int = 0
    nodes: int = 0
    leaves: int = 0
    correct_leaves: int = 0
    pairs_kept: int = 0
    pairs_rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


@dataclass
class RunLine:
    name: str
    kind: str
    status: str
    episodes: int = 0
    calls: int = 0
    cached_calls: int = 0
    tokens: dict[str, int] = field(default_factory=dict)  # role -> in + out
    cost_usd: float | None = 0.0


@dataclass
class Stats:
    sft: list[SftLine]
    dpo: list[DpoLine]
    runs: list[RunLine]

    def to_dict(self) -> dict[str, Any]:
        return {
            "sft": [{**asdict(x), "code_share": x.code_share} for x in self.sft],
            "dpo": [asdict(x) for x in self.dpo],
            "runs": [asdict(x) for x in self.runs],
        }


def _variants(run: RunRow) -> list[str]:
    return [v for v in str((run.config or {}).get("variant") or "free").split(",") if v]


def sft_stats(store: Store, runs: list[RunRow]) -> list[SftLine]:
    lines: dict[tuple[str, str], SftLine] = {}
    turn_sum: Counter[tuple[str, str]] = Counter()

    def line(task: str, variant: str) -> SftLine:
        return lines.setdefault((task, variant), SftLine(task, variant))

    for run in runs:
        variants = _variants(run)

        def vname(repeat: int, variants: list[str] = variants) -> str:
            return variants[repeat] if repeat < len(variants) else "?"

        with store.read() as s:
            eps = s.exec(
                select(SampleRow.task, EpisodeRow.repeat, EpisodeRow.score)
                .select_from(EpisodeRow)
                .join(SampleRow, SampleRow.id == EpisodeRow.sample_id)  # type: ignore[arg-type]
                .where(EpisodeRow.run_id == run.id, EpisodeRow.status == "finished")
            ).all()
            exs = s.exec(
                select(
                    SFTExampleRow.task,
                    SFTExampleRow.variant,
                    SFTExampleRow.episode_id,
                    SFTExampleRow.turns,
                    SFTExampleRow.weight,
                ).where(SFTExampleRow.run_id == run.id)
            ).all()
            kept_ids = sorted({e for _, _, e, _, _ in exs})
            answers = []
            for i in range(0, len(kept_ids), 500):
                answers += s.exec(
                    select(TurnRow.episode_id, TurnRow.extra).where(
                        TurnRow.episode_id.in_(kept_ids[i : i + 500]),  # type: ignore[attr-defined]
                        TurnRow.role == "task",
                    )
                ).all()
        for task, repeat, score in eps:
            ln = line(task, vname(repeat))
            ln.episodes += 1
            ln.correct += (score or 0) >= 1.0
        key_of: dict[int, tuple[str, str]] = {}
        for task, variant, ep_id, n_turns, weight in exs:
            ln = line(task, variant)
            ln.examples += 1
            ln.weighted += weight
            if ep_id not in key_of:
                key_of[ep_id] = (task, variant)
                ln.trajectories += 1
                turn_sum[(task, variant)] += n_turns
        for ep_id, extra in answers:
            ln = lines[key_of[ep_id]]
            if (extra or {}).get("has_code"):
                ln.code_answers += 1
            else:
                ln.text_answers += 1
    for key, ln in lines.items():
        ln.turns = turn_sum[key] / ln.trajectories if ln.trajectories else 0.0
    return sorted(lines.values(), key=lambda x: (x.task, x.variant))


def dpo_stats(store: Store, runs: list[RunRow]) -> list[DpoLine]:
    ids = [r.id for r in runs]
    lines: dict[str, DpoLine] = {}
    if not ids:
        return []
    with store.read() as s:
        trees = s.exec(
            select(SampleRow.task, func.count())
            .select_from(EpisodeRow)
            .join(SampleRow, SampleRow.id == EpisodeRow.sample_id)  # type: ignore[arg-type]
            .where(EpisodeRow.run_id.in_(ids), EpisodeRow.status == "finished")  # type: ignore[attr-defined]
            .group_by(SampleRow.task)
        ).all()
        nodes = s.exec(
            select(
                DPONodeRow.task,
                func.count(),
                func.sum(case((DPONodeRow.final, 1), else_=0)),
                func.sum(case((DPONodeRow.final & DPONodeRow.correct, 1), else_=0)),  # type: ignore[operator]
            )
            .join(EpisodeRow, EpisodeRow.id == DPONodeRow.episode_id)  # type: ignore[arg-type]
            .where(DPONodeRow.run_id.in_(ids), EpisodeRow.status == "finished")  # type: ignore[attr-defined]
            .group_by(DPONodeRow.task)
        ).all()
        pairs = s.exec(
            select(DPOPairRow.task, DPOPairRow.kept, DPOPairRow.reason, func.count())
            .where(DPOPairRow.run_id.in_(ids))  # type: ignore[attr-defined]
            .group_by(DPOPairRow.task, DPOPairRow.kept, DPOPairRow.reason)
        ).all()
    for task, n in trees:
        lines.setdefault(task, DpoLine(task)).trees = int(n)
    for task, n, leaves, correct in nodes:
        ln = lines.setdefault(task, DpoLine(task))
        ln.nodes, ln.leaves, ln.correct_leaves = int(n), int(leaves or 0), int(correct or 0)
    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    for task, kept, reason, n in pairs:
        ln = lines.setdefault(task, DpoLine(task))
        if kept:
            ln.pairs_kept += int(n)
        else:
            ln.pairs_rejected += int(n)
            reasons[task]["small gap" if reason.startswith("gap") else reason] += int(n)
    for task, c in reasons.items():
        lines[task].reasons = dict(c)
    return sorted(lines.values(), key=lambda x: x.task)


def run_costs(store: Store, runs: list[RunRow]) -> list[RunLine]:
    out = []
    for run in runs:
        ln = RunLine(run.name, run.kind, run.status)
        with store.read() as s:
            ln.episodes = int(
                s.exec(select(func.count()).where(EpisodeRow.run_id == run.id)).one()  # type: ignore[call-overload]
            )
            rows = s.exec(
                select(
                    TurnRow.role,
                    func.count(),
                    func.sum(case((TurnRow.cached, 1), else_=0)),
                    func.sum(
                        func.coalesce(TurnRow.tokens_in, 0) + func.coalesce(TurnRow.tokens_out, 0)
                    ),
                    func.sum(TurnRow.cost_usd),
                    func.sum(case((TurnRow.cost_usd.is_(None), 1), else_=0)),  # type: ignore[union-attr]
                )
                .join(EpisodeRow, EpisodeRow.id == TurnRow.episode_id)  # type: ignore[arg-type]
                .where(EpisodeRow.run_id == run.id)
                .group_by(TurnRow.role)
            ).all()
        unknown = False
        cost = 0.0
        for role, n, cached, tokens, c, n_unknown in rows:
            ln.calls += int(n)
            ln.cached_calls += int(cached or 0)
            ln.tokens[role] = int(tokens or 0)
            cost += float(c or 0.0)
            unknown |= bool(n_unknown)
        ln.cost_usd = None if unknown else cost
        out.append(ln)
    return out


def synthesis_stats(store: Store, refs: Sequence[str] | None = None) -> Stats:
    """Stats of the named synthesis runs, or of all of them."""
    runs = select_runs(store, refs, (SFT_KIND, DPO_KIND))
    return Stats(
        sft_stats(store, [r for r in runs if r.kind == SFT_KIND]),
        dpo_stats(store, [r for r in runs if r.kind == DPO_KIND]),
        run_costs(store, runs),
    )
