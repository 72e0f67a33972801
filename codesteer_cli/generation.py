"""Making and importing SymBench samples (the engine behind `codesteer generate`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from symbench.core import Sample, Split, Task, import_release

# How many further seeds to try per wanted sample when small problem spaces repeat.
_SEED_SLACK = 20
MAX_PER_LEVEL = 100_000  # -n: samples per task and level


def seeds_needed(n: int) -> int:
    """How many seeds, from the first, `generate_distinct` may try for `n` samples."""
    return n * _SEED_SLACK + 10


def generate_distinct(
    task: Task,
    complexity: int,
    n: int,
    seed: int,
    split: Split,
    exclude: set[str] | None = None,
    on_short: Callable[[str], None] | None = None,
) -> Iterator[Sample]:
    """Up to `n` distinct samples from seeds seed, seed+1, ...; skips problems in
    `exclude` (problem keys, e.g. of the other split's stored samples) and repeats.

    Small problem spaces (a 1x2 BoxNet grid) may hold fewer than `n` distinct problems:
    then what exists is returned and `on_short` is told why."""
    seen = set(exclude or ())
    made = 0
    for s in range(seed, seed + seeds_needed(n)):
        if made == n:
            return
        sample = task.generate(complexity, s, split)
        key = task.problem_key(sample)
        if key in seen:
            continue
        seen.add(key)
        made += 1
        yield sample
    if on_short is not None:
        on_short(
            f"{task.id} at complexity {complexity}: only {made} distinct {split} "
            f"problems found (asked for {n})"
        )


@dataclass
class ImportCheck:
    """Outcome of importing (and optionally verifying) one task's original samples."""

    task: str
    samples: list[Sample] = field(default_factory=list)
    verified: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (origin, why)
    known_bad: list[tuple[str, str]] = field(default_factory=list)  # failed, and listed
    known_bad_now_pass: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)  # the release folders read

    @property
    def levels(self) -> list[int]:
        """The complexity levels the samples' folder names stated."""
        return sorted({s.complexity for s in self.samples if s.complexity is not None})

    @property
    def ok(self) -> bool:
        return not self.failed and not self.errors


def import_original(
    root: Path,
    tasks: list[Task],
    check: bool,
    on_sample: Callable[[], None] | None = None,
) -> list[ImportCheck]:
    """Import the original release under `root` for `tasks`; with `check`, verify each
    stored reference answer with the task's verifier."""
    wanted = {t.id for t in tasks}
    results = []
    for rep in import_release(root, only=lambda t: t.id in wanted):
        res = ImportCheck(rep.task, rep.samples, errors=rep.errors, sets=rep.sets)
        if check:
            from symbench.core import get_task

            task = get_task(rep.task)
            for sample in rep.samples:
                verdict = task.verify(sample, sample.answer)
                bad = task.known_bad.get(sample.origin)
                if verdict.correct:
                    res.verified += 1
                    if bad is not None:
                        res.known_bad_now_pass.append(sample.origin)
                elif bad is not None:
                    res.known_bad.append((sample.origin, bad))
                else:
                    res.failed.append((sample.origin, verdict.detail or "rejected"))
                if on_sample:
                    on_sample()
        results.append(res)
    return results
