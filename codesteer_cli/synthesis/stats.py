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

from codesteer_cli.store import synthesis
from codesteer_cli.store.figures import RunCosts, run_costs
from codesteer_cli.store.models import RunRow
from codesteer_cli.synthesis.export import (
    DPO_KIND,
    DPO_KINDS,
    SEARCH_KIND,
    SFT_KIND,
    SFT_KINDS,
    select_runs,
)

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
class Stats:
    sft: list[SftLine]
    dpo: list[DpoLine]
    runs: list[RunCosts]

    def to_dict(self) -> dict[str, Any]:
        return {
            "sft": [{**asdict(x), "code_share": x.code_share} for x in self.sft],
            "dpo": [asdict(x) for x in self.dpo],
            "runs": [asdict(x) for x in self.runs],
        }


def _variants(run: RunRow) -> list[str]:
    if run.kind == SEARCH_KIND:
        return ["search"]
    return list((run.config or {}).get("variants") or ["free"])


def sft_stats(store: Store, runs: list[RunRow]) -> list[SftLine]:
    lines: dict[tuple[str, str], SftLine] = {}
    turn_sum: Counter[tuple[str, str]] = Counter()

    def line(task: str, variant: str) -> SftLine:
        return lines.setdefault((task, variant), SftLine(task, variant))

    for run in runs:
        variants = _variants(run)

        def vname(repeat: int, variants: list[str] = variants) -> str:
            return variants[repeat] if repeat < len(variants) else "?"

        assert run.id is not None
        eps, exs, answers = synthesis.sft_figures(store, run.id)
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
    trees, nodes, pairs = synthesis.dpo_figures(store, [i for i in ids if i is not None])
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


def run_summary(store: Store, run_id: int) -> dict[str, Any]:
    """One synthesis run's stats, as its run row's summary keeps them (no run list)."""
    out = synthesis_stats(store, [str(run_id)]).to_dict()
    out.pop("runs", None)
    return out


def synthesis_stats(store: Store, refs: Sequence[str] | None = None) -> Stats:
    """Stats of the named synthesis runs, or of all of them."""
    runs = select_runs(store, refs, (SFT_KIND, DPO_KIND, SEARCH_KIND))
    return Stats(
        sft_stats(store, [r for r in runs if r.kind in SFT_KINDS]),
        dpo_stats(store, [r for r in runs if r.kind in DPO_KINDS]),
        run_costs(store, runs),
    )
