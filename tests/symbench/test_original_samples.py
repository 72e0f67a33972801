"""Every original SymBench sample imports and its stored reference answer verifies,
except the documented known-bad samples, which must really fail."""

from __future__ import annotations

import pytest

from symbench.core import all_tasks
from tests.conftest import reference_root

TASKS = [t for t in all_tasks() if t.original_paths]


@pytest.mark.parametrize("task", TASKS, ids=[t.id for t in TASKS])
def test_reference_answers_verify(task) -> None:
    root = reference_root()
    present = [p for p in task.original_paths if (root / p).exists()]
    assert present, f"{task.id}: none of {task.original_paths} under {root}"
    samples = list(task.import_original(root))
    assert samples, f"{task.id}: nothing imported"
    failed, known_bad_passing = [], []
    for s in samples:
        assert s.task == task.id and s.split == "test" and s.origin != "generated"
        verdict = task.verify(s, s.answer)
        if s.origin in task.known_bad:
            if verdict.correct:
                known_bad_passing.append(s.origin)
        elif not verdict.correct:
            failed.append((s.origin, verdict.detail))
    assert not failed, f"{len(failed)}/{len(samples)} rejected, e.g. {failed[:5]}"
    assert not known_bad_passing, f"listed as known-bad but verify: {known_bad_passing[:5]}"
    origins = [s.origin for s in samples]
    assert len(set(origins)) == len(origins), "duplicate origins"
    assert set(task.known_bad) <= set(origins), "known_bad names samples that do not exist"
