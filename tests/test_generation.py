"""Generating many samples: distinct problems, and training problems that never
coincide with test problems, whatever the wording (`Task.problem_key`)."""

from __future__ import annotations

from codesteer_cli.generation import generate_distinct
from symbench.core import get_task
from tests.conftest import reference_root


def test_distinct_problems_and_seed_order() -> None:
    task = get_task("number_multiply")
    made = list(generate_distinct(task, 2, 30, 0, "test"))
    assert len({task.problem_key(s) for s in made}) == 30
    assert made == list(generate_distinct(task, 2, 30, 0, "test"))


def test_train_problems_avoid_the_original_test_puzzles() -> None:
    """At complexity 1 every solvable 4-number game-24 puzzle is one of the original
    test set's 1,362: excluding them by problem key leaves nothing to train on."""
    task = get_task("game24")
    originals = [s for s in task.import_original(reference_root()) if len(s.data["numbers"]) == 4
                 and s.data["target"] == 24]  # fmt: skip
    keys = {task.problem_key(s) for s in originals}
    assert len(keys) >= 1362
    notes: list[str] = []
    made = list(generate_distinct(task, 1, 20, 0, "train", keys, on_short=notes.append))
    assert not [s for s in made if task.problem_key(s) in keys]
    assert len(made) < 20 and notes and "distinct train problems" in notes[0]


def test_eight_queens_key_ignores_wording() -> None:
    task = get_task("eight_queens")
    original = next(iter(task.import_original(reference_root())))
    from symbench.core import Sample

    reworded = Sample(task.id, "a different wording", original.data, original.answer)
    assert reworded.content_hash != original.content_hash
    assert task.problem_key(reworded) == task.problem_key(original)
