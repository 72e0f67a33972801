"""The contract every SymBench task keeps, checked for every registered task.

For each task: 100 generated samples at complexities 1, 5 and 10 are solved by the task's
solver and the answer verifies; a perturbed answer does not; generation is deterministic
and split-aware; mean size grows with complexity.
"""

from __future__ import annotations

import random
import statistics

import pytest

from symbench.core import MAX_COMPLEXITY, Sample, all_tasks, split_of_hash

TASKS = all_tasks()
IDS = [t.id for t in TASKS]
N = 100
LEVELS = (1, 5, 10)


def _samples(task, complexity: int, n: int = N) -> list[Sample]:
    return [task.generate(complexity, seed) for seed in range(n)]


@pytest.mark.parametrize("task", TASKS, ids=IDS)
@pytest.mark.parametrize("complexity", LEVELS)
def test_generated_samples_solve_and_verify(task, complexity: int) -> None:
    wrong_accepted = []
    for sample in _samples(task, complexity):
        assert sample.task == task.id and sample.complexity == complexity
        verdict = task.verify(sample, sample.answer)
        assert verdict.correct, f"{task.id} c={complexity} seed={sample.seed}: {verdict.detail}"
        assert not verdict.extraction.fallback
        bad = task.perturb(sample, sample.answer, random.Random(sample.seed))
        if task.verify(sample, bad).correct:
            wrong_accepted.append((sample.seed, bad))
    assert not wrong_accepted, f"perturbed answers accepted: {wrong_accepted[:3]}"


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_size_grows_with_complexity(task) -> None:
    means = [statistics.mean(task.size(s) for s in _samples(task, c, 30)) for c in LEVELS]
    assert means[0] <= means[1] <= means[2] and means[0] < means[2], means


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_generation_is_deterministic_and_split_aware(task) -> None:
    a = task.generate(3, 7, "test")
    b = task.generate(3, 7, "test")
    assert a == b
    tr = task.generate(3, 7, "train")
    assert split_of_hash(a.content_hash) == "test"
    assert split_of_hash(tr.content_hash) == "train"
    assert a.content_hash != tr.content_hash


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_task_metadata(task) -> None:
    assert task.split in ("seen", "unseen")
    assert task.answer_format and task.description
    for c in range(1, MAX_COMPLEXITY + 1):
        assert isinstance(task.knobs(c), dict) and task.knobs(c)
    s = task.generate(1, 0)
    assert task.verify(s, "").score == 0.0
    assert task.verify(s, "I don't know").score < 1.0
