"""Which stored samples a run plays: test samples for `steer`, training samples (never a
test problem) for synthesis. Missing ones are generated into the store."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from codesteer_cli.errors import UserError
from codesteer_cli.store import repo

if TYPE_CHECKING:
    from codesteer_cli.store.db import Store
    from codesteer_cli.store.models import SampleRow
    from symbench.core import Task

SAMPLES_WHEN_EMPTY = 10  # generated per task when a steer run finds none


def spread(rows: list[SampleRow], limit: int | None) -> list[SampleRow]:
    """At most `limit` rows, taken in turn from each complexity level (stable order)."""
    if limit is None or len(rows) <= limit:
        return rows
    groups: dict[int | None, list[SampleRow]] = {}
    for r in rows:
        groups.setdefault(r.complexity, []).append(r)
    out: list[SampleRow] = []
    queues = [
        list(g) for _, g in sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    ]
    while len(out) < limit:
        for q in queues:
            if q and len(out) < limit:
                out.append(q.pop(0))
    return out


def choose_samples(
    store: Store,
    tasks: str,
    split: str = "test",
    complexity: str | None = None,
    source: str = "any",
    limit: int | None = None,
) -> list[SampleRow]:
    """Stored samples of the chosen tasks (generated on the fly when there are none),
    at most `limit` per task, spread evenly over complexity levels."""
    from codesteer_cli.generation import generate_distinct
    from symbench.core import parse_complexity, select_tasks

    levels = parse_complexity(complexity) if complexity else None
    origin = None if source == "any" else source
    chosen: list[SampleRow] = []
    for task in select_tasks(tasks):
        rows = repo.find_samples(store, task.id, split, levels, origin)
        if not rows and source != "imported":
            n = limit or SAMPLES_WHEN_EMPTY
            made = []
            for level in levels or [5]:
                made += list(generate_distinct(task, level, n, 0, split))
            repo.add_samples(store, made)
            rows = repo.find_samples(store, task.id, split, levels, origin)
        chosen += spread(rows, limit)
    if not chosen:
        raise UserError(
            "no samples match: generate some first (codesteer generate) "
            "or import the original release (codesteer generate --import)"
        )
    return chosen


def check_tasks(spec: str, allow_unseen: bool) -> list[Task]:
    """The tasks of `spec`; unseen ones only with `allow_unseen` (SPEC §4: training data
    comes from the seen tasks only)."""
    from symbench.core import select_tasks

    tasks = select_tasks(spec)
    unseen = [t.id for t in tasks if t.split != "seen"]
    if unseen and not allow_unseen:
        what = "is an unseen task" if len(unseen) == 1 else "are unseen tasks"
        raise UserError(
            f"{', '.join(unseen)} {what}: training data comes from seen tasks only "
            "(pass --allow-unseen to use them anyway)"
        )
    return tasks


def choose_train_samples(
    store: Store,
    tasks: Sequence[Task],
    per_task: int,
    levels: Sequence[int],
    on_message: Callable[[str], None] = lambda m: None,
) -> list[SampleRow]:
    """Up to `per_task` stored **train** samples per task, spread over `levels`. Missing
    ones are generated (train split, seeds 0, 1, ...), skipping every problem whose
    problem key (`Task.problem_key`) is a stored test sample's. Test samples are never
    returned."""
    from codesteer_cli.generation import generate_distinct

    chosen: list[SampleRow] = []
    for task in tasks:
        if task.original_paths and not repo.has_original_samples(store, task.id):
            on_message(
                f"{task.id}: the original release's test samples are not in the store, so "
                "training problems cannot be checked against them; import them first "
                "(codesteer generate --import PATH)"
            )
        test_keys = repo.problem_keys(store, task.id, "test")
        rows = repo.find_samples(store, task.id, "train", levels)
        if len(rows) < per_task:
            per_level = math.ceil(per_task / len(levels))
            made = []
            for level in levels:
                made += generate_distinct(
                    task, level, per_level, 0, "train", test_keys, on_short=on_message
                )
            repo.add_samples(store, made)
            rows = repo.find_samples(store, task.id, "train", levels)
        rows = [
            r
            for r in rows
            if r.split == "train" and task.problem_key(repo.row_to_sample(r)) not in test_keys
        ]
        chosen += spread(rows, per_task)
    if not chosen:
        raise UserError("no training samples could be found or generated for these tasks")
    return chosen
