"""Normalized score and the paired bootstrap."""

from __future__ import annotations

import numpy as np
import pytest

from codesteer_cli.reporting.stats import normalized_scores, paired_bootstrap

SPLIT = {"a": "seen", "b": "seen", "c": "unseen", "z": "unseen"}


def test_normalized_is_share_of_the_best_per_task_averaged() -> None:
    rates = {"x": {"a": 50, "b": 20, "c": 10}, "y": {"a": 100, "b": 10, "c": 40}}
    n = normalized_scores(rates, ["a", "b", "c"], SPLIT)
    assert n.per_task["x"] == {"a": 50.0, "b": 100.0, "c": 25.0}
    assert n.averages["x"] == {"seen": 75.0, "unseen": 25.0, "total": pytest.approx(175 / 3)}
    assert n.averages["y"]["seen"] == pytest.approx(75.0)
    assert n.excluded == [] and n.counted == {"seen": 2, "unseen": 1, "total": 3}


def test_task_everyone_failed_is_excluded_not_zero() -> None:
    rates = {"x": {"a": 50, "z": 0}, "y": {"a": 25, "z": 0}}
    n = normalized_scores(rates, ["a", "z"], SPLIT)
    assert n.excluded == ["z"] and n.per_task["x"]["z"] is None
    assert n.averages["x"] == {"seen": 100.0, "unseen": None, "total": 100.0}
    assert n.counted == {"seen": 1, "unseen": 0, "total": 1}


def test_scale_free() -> None:
    a = normalized_scores({"x": {"a": 0.5}, "y": {"a": 1.0}}, ["a"], SPLIT)
    b = normalized_scores({"x": {"a": 50}, "y": {"a": 100}}, ["a"], SPLIT)
    assert a.averages == b.averages


def test_bootstrap_counts_flips_and_is_deterministic() -> None:
    a = [1, 0, 0, 1, 1, 0, 0, 0] * 5
    b = [1, 1, 0, 1, 0, 1, 1, 0] * 5
    d = paired_bootstrap(a, b, resamples=10_000, seed=0)
    assert d.n == 40 and d.improved == 15 and d.worsened == 5
    assert d.mean_a == 37.5 and d.mean_b == 62.5 and d.diff == 25.0
    assert d.low < 25 < d.high
    assert paired_bootstrap(a, b, seed=0) == d
    assert paired_bootstrap(a, b, seed=1) != d


def test_bootstrap_matches_index_resampling() -> None:
    """Multinomial counts over distinct differences == resampling sample indices."""
    rng = np.random.default_rng(7)
    a = (rng.random(300) < 0.5).astype(float)
    b = np.clip(a + (rng.random(300) < 0.2) - (rng.random(300) < 0.1), 0, 1)
    d = paired_bootstrap(a, b, resamples=20_000, seed=3)
    idx = np.random.default_rng(11).integers(0, 300, size=(20_000, 300))
    naive = (b - a)[idx].mean(axis=1) * 100
    lo, hi = np.quantile(naive, [0.025, 0.975])
    assert d.low == pytest.approx(lo, abs=0.6) and d.high == pytest.approx(hi, abs=0.6)


def test_bootstrap_with_repeats_and_fractional_values() -> None:
    a = [0.0, 0.5, 1.0, 1 / 3] * 10
    b = [0.5, 0.5, 1.0, 2 / 3] * 10
    d = paired_bootstrap(a, b)
    assert d.improved == 20 and d.worsened == 0 and d.low > 0


def test_bootstrap_on_big_samples() -> None:
    """50,000 pairs (its speed is benchmarks/report.py's): the interval is tight around
    the true difference of 10 points."""
    a = np.random.default_rng(0).random(50_000) < 0.5
    b = np.random.default_rng(1).random(50_000) < 0.6
    d = paired_bootstrap(a.astype(float), b.astype(float))
    assert d.low < d.diff < d.high
    assert d.low > 9.0 and d.high < 11.0 and d.high - d.low < 1.5, d


def test_empty_pairing() -> None:
    d = paired_bootstrap([], [])
    assert d.n == 0 and d.improved == d.worsened == 0
