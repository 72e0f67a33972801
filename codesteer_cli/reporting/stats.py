"""The numbers behind a report: the paper's normalized score and paired bootstrap diffs.

numpy is imported inside the functions that need it, so importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

SCOPES = ("seen", "unseen", "total")


@dataclass
class Normalized:
    """Normalized scores of a set of methods over a set of tasks.

    `per_task[method][task]` is `s / max × 100`, or None where every method scored 0 on
    the task (0/0: the task cannot rank anyone, so it is left out of the averages and
    listed in `excluded`). `averages[method][scope]` is the mean over the scope's tasks
    that are not excluded (None when there are none).
    """

    methods: list[str]
    tasks: list[str]
    per_task: dict[str, dict[str, float | None]]
    averages: dict[str, dict[str, float | None]]
    excluded: list[str] = field(default_factory=list)
    counted: dict[str, int] = field(default_factory=dict)  # scope -> tasks averaged


def normalized_scores(
    rates: Mapping[str, Mapping[str, float]],
    tasks: Sequence[str],
    split_of: Mapping[str, str],
) -> Normalized:
    """The paper's headline score: for task i and method j, `s_ij / max_k s_ik × 100`.

    `rates[method][task]` is a success rate (any scale: the ratio removes it); every
    method must have every task. Averages are plain means over tasks (each task weighs
    the same), for seen, unseen and all tasks.
    """
    methods = list(rates)
    per_task: dict[str, dict[str, float | None]] = {m: {} for m in methods}
    excluded: list[str] = []
    for t in tasks:
        best = max((float(rates[m][t]) for m in methods), default=0.0)
        if best <= 0:
            excluded.append(t)
        for m in methods:
            per_task[m][t] = float(rates[m][t]) / best * 100.0 if best > 0 else None
    scope_tasks = {
        "seen": [t for t in tasks if split_of.get(t) == "seen" and t not in excluded],
        "unseen": [t for t in tasks if split_of.get(t) == "unseen" and t not in excluded],
        "total": [t for t in tasks if t not in excluded],
    }
    averages: dict[str, dict[str, float | None]] = {}
    for m in methods:
        averages[m] = {}
        for scope, ts in scope_tasks.items():
            vals = [per_task[m][t] for t in ts]
            averages[m][scope] = sum(v for v in vals if v is not None) / len(vals) if vals else None
    counted = {scope: len(ts) for scope, ts in scope_tasks.items()}
    return Normalized(methods, list(tasks), per_task, averages, excluded, counted)


@dataclass
class Diff:
    """B − A on the samples both runs scored, in percentage points."""

    n: int  # paired samples
    mean_a: float  # success %, run A
    mean_b: float
    diff: float  # mean_b - mean_a
    low: float  # percentile interval of the diff
    high: float
    improved: int  # samples B solved (more often) than A
    worsened: int  # samples A solved (more often) than B
    resamples: int
    level: float
    seed: int


def paired_bootstrap(
    a: Sequence[float],
    b: Sequence[float],
    resamples: int = 10_000,
    seed: int = 0,
    level: float = 0.95,
) -> Diff:
    """Paired bootstrap of mean(b) − mean(a) over matched samples (values in [0, 1]).

    Resampling n samples with replacement means drawing multinomial counts over them; a
    resample's mean difference only depends on how many times each *distinct* per-sample
    difference was drawn, so we draw multinomial counts over the distinct differences
    (at most a handful: −1, 0, 1 for single repeats) — the same distribution as index
    resampling, at a cost independent of n. Fixed seed, percentile interval.
    """
    import numpy as np

    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    if x.shape != y.shape:
        raise ValueError("paired samples must have the same length")
    n = int(x.size)
    if n == 0:
        nan = float("nan")
        return Diff(0, nan, nan, nan, nan, nan, 0, 0, resamples, level, seed)
    d = y - x
    values, counts = np.unique(d, return_counts=True)
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    chunk = max(1, 4_000_000 // max(1, values.size))
    for start in range(0, resamples, chunk):
        stop = min(resamples, start + chunk)
        draws = rng.multinomial(n, counts / n, size=stop - start)
        means[start:stop] = draws @ values / n
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return Diff(
        n=n,
        mean_a=float(x.mean() * 100),
        mean_b=float(y.mean() * 100),
        diff=float(d.mean() * 100),
        low=float(low * 100),
        high=float(high * 100),
        improved=int((d > 0).sum()),
        worsened=int((d < 0).sum()),
        resamples=resamples,
        level=level,
        seed=seed,
    )
