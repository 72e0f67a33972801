"""Routers in hindsight: the most a method choosing between some runs could score, with
the choice made after seeing their results — per task (the better run on each task, what
a perfect code/text router by task gets) and per sample (any of them right). The headroom
a guide that picks between those runs' strategies is chasing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from codesteer_cli.reporting.queries import sample_success
from codesteer_cli.reporting.stats import SCOPES

if TYPE_CHECKING:
    from codesteer_cli.reporting.queries import RunInfo
    from codesteer_cli.store.db import Store


@dataclass
class HindsightRow:
    """One task (or a scope's average over tasks): each run's success and the routers'."""

    label: str
    samples: int
    runs: list[float]  # success % of each run, in the order named
    per_task: float  # the better run's success on each task (averaged in a scope)
    per_sample: float  # share of samples some run solved
    best: str = ""  # the run per_task took on this task ("tie: a, b" when equal)


@dataclass
class Hindsight:
    keys: list[str]  # the runs, as the report names them
    tasks: list[HindsightRow]
    scopes: list[HindsightRow]  # seen / unseen / total: per-task averages, as the report's
    unmatched: int  # samples some but not all of the runs scored (left out)

    def to_dict(self) -> dict[str, Any]:
        def row(r: HindsightRow) -> dict[str, Any]:
            return {
                "samples": r.samples,
                "runs": dict(zip(self.keys, r.runs, strict=True)),
                "per_task": r.per_task,
                "per_sample": r.per_sample,
                **({"best": r.best} if r.best else {}),
            }

        return {
            "runs": self.keys,
            "tasks": {r.label: row(r) for r in self.tasks},
            "scopes": {r.label: row(r) for r in self.scopes},
            "unmatched_samples": self.unmatched,
        }


def hindsight(
    store: Store,
    runs: Sequence[RunInfo],
    keys: Sequence[str],
    tasks: Sequence[str],
    split_of: dict[str, str],
) -> Hindsight:
    """Each run's success and the hindsight routers' on `tasks`, over the samples every
    run scored (a sample's success is the share of its finished repeats solved)."""
    got = [sample_success(store, r.id) for r in runs]
    shared = set.intersection(*(set(g) for g in got))
    unmatched = len(set().union(*(set(g) for g in got)) - shared)
    by_task: dict[str, list[int]] = {}
    for sid in sorted(shared):
        by_task.setdefault(got[0][sid][0], []).append(sid)
    rows: list[HindsightRow] = []
    for t in tasks:
        ids = by_task.get(t)
        if not ids:
            continue
        rates = [100 * sum(g[i][1] for i in ids) / len(ids) for g in got]
        top = max(rates)
        winners = [k for k, v in zip(keys, rates, strict=True) if v == top]
        any_right = 100 * sum(max(g[i][1] for g in got) for i in ids) / len(ids)
        best = winners[0] if len(winners) == 1 else "tie: " + ", ".join(winners)
        rows.append(HindsightRow(t, len(ids), rates, top, any_right, best))
    scopes = []
    for scope in SCOPES:
        part = [r for r in rows if scope == "total" or split_of.get(r.label) == scope]
        if not part:
            continue
        n = len(part)
        scopes.append(
            HindsightRow(
                scope,
                sum(r.samples for r in part),
                [sum(r.runs[j] for r in part) / n for j in range(len(keys))],
                sum(r.per_task for r in part) / n,
                sum(r.per_sample for r in part) / n,
            )
        )
    return Hindsight(list(keys), rows, scopes, unmatched)
