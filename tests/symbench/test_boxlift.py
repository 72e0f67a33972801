"""boxlift: the verifier simulates plans step by step; the solver meets the budget."""

from __future__ import annotations

import itertools

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.boxlift import _first_fit_plan, plan_boxlift, render_plan
from tests.conftest import reference_root

TASK = get_task("boxlift")


def _sample(boxes: list[int], lifters: list[int], budget: int) -> Sample:
    data = {"boxes": boxes, "lifters": lifters, "budget": budget}
    return Sample("boxlift", TASK._question(data), data, "")


HAND = _sample([50, 30, 20], [40, 30, 20], 2)


@pytest.mark.parametrize(
    "text",
    [
        "<<<Step 1: [(50, [0, 2]), (30, [1])]\nStep 2: [(20, [0])]>>>",
        "<<<step 1:[(50,[2,0]),(30,[1])] step 2: [(20,[2])]>>>",
        "<<<Step 1: [[50, [0, 2]], [30, [1]]]\nStep 2: [[20, 0]]>>>",
        "<<<Step 1: [(50.0, [0, 2]), (30, [1.0])]\nStep 2: (20, [0])>>>",
        "<<<[[(50, [0, 2]), (30, [1])], [(20, [0])]]>>>",
    ],
)
def test_legal_plans_in_several_spellings(text: str) -> None:
    v = TASK.verify(HAND, text)
    assert v.correct, v.detail


@pytest.mark.parametrize(
    "text, needle",
    [
        ("Step 1: [(50, [0, 2]), (30, [0])]\nStep 2: [(30, [1]), (20, [0])]", "step 1"),
        ("Step 1: [(50, [0, 2]), (30, [1])]\nStep 2: [(20, [2]), (20, [0])]", "no box"),
        ("Step 1: [(50, [0]), (30, [1])]\nStep 2: [(50, [0, 1]), (20, [2])]", "cannot lift"),
        ("Step 1: [(50, [0, 3]), (30, [1])]\nStep 2: [(50, [0, 1]), (20, [2])]", "unknown"),
        ("Step 1: [(50, [0, 0, 2]), (30, [1])]\nStep 2: [(20, [0])]", "twice"),
        ("Step 1: [(50, [0, 2])]\nStep 2: [(30, [1])]\nStep 3: [(20, [0])]", "budget"),
    ],
)
def test_illegal_assignments_are_reported_and_never_full_credit(text: str, needle: str) -> None:
    v = TASK.verify(HAND, f"<<<{text}>>>")
    assert not v.correct
    assert needle in v.detail, v.detail


def test_partial_credit_counts_boxes_lifted_legally() -> None:
    v = TASK.verify(HAND, "<<<Step 1: [(50, [0, 2]), (30, [1])]>>>")
    assert v.score == pytest.approx(2 / 3) and v.partial
    # a box lifted past the budget does not count
    late = "<<<Step 1: [(50, [0, 2])]\nStep 2: [(30, [1])]\nStep 3: [(20, [0])]>>>"
    assert TASK.verify(HAND, late).score == pytest.approx(2 / 3)
    # lifting a robot twice in step 1 lifts only the first box
    v = TASK.verify(HAND, "<<<Step 1: [(50, [0, 2]), (30, [2])]>>>")
    assert v.score == pytest.approx(1 / 3) and "step 1" in v.detail


def test_equal_weights_are_interchangeable_but_counted() -> None:
    s = _sample([30, 30], [30], 2)
    assert TASK.verify(s, "<<<Step 1: [(30, [0])]\nStep 2: [(30, [0])]>>>").correct
    v = TASK.verify(s, "<<<Step 1: [(30, [0])]\nStep 2: [(30, [0])]\nStep 3: [(30, [0])]>>>")
    assert not v.correct


def test_original_budget_and_solver_on_first_release_sample() -> None:
    # BoxLift_10_3/BoxLift0: seven boxes weigh more than any single robot (max 51), and no
    # two robot pairs can be formed from three robots, so one heavy box per step at most:
    # 7 steps is optimal, and first-fit decreasing (the original's budget) needs 7 too.
    root = reference_root()
    s = next(x for x in TASK.import_original(root) if x.origin.endswith("BoxLift_10_3/BoxLift0"))
    assert s.data["boxes"] == [43, 88, 84, 64, 56, 87, 20, 57, 82, 14]
    assert s.data["budget"] == 7
    assert len(plan_boxlift(s.data["boxes"], s.data["lifters"])) == 7
    assert "at most 7 steps" in s.question


def _optimal_steps(boxes: list[int], lifters: list[int]) -> int:
    """Brute force over which boxes each step lifts (tiny cases only)."""
    n = len(lifters)

    def liftable(group: tuple[int, ...]) -> bool:  # can these boxes go up together?
        for teams in itertools.product(range(n + 1), repeat=n):  # robot -> box (n = idle)
            caps = [0] * len(group)
            for r, t in enumerate(teams):
                if t < len(group):
                    caps[t] += lifters[r]
            if all(c >= w for c, w in zip(caps, group, strict=True)):
                return True
        return False

    best = {(): 0}
    for mask in range(1, 1 << len(boxes)):
        left = tuple(boxes[i] for i in range(len(boxes)) if mask >> i & 1)
        opts = []
        for sub in range(1, mask + 1):
            if sub & mask == sub:
                group = tuple(boxes[i] for i in range(len(boxes)) if sub >> i & 1)
                if len(group) <= n and liftable(group):
                    rest = tuple(boxes[i] for i in range(len(boxes)) if (mask & ~sub) >> i & 1)
                    opts.append(best[rest] + 1)
        best[left] = min(opts)
    return best[tuple(boxes)]


@pytest.mark.parametrize(
    "boxes, lifters",
    [
        ([60, 50, 40, 35, 20], [45, 40, 30]),
        ([90, 70, 30, 30, 25], [50, 45]),
        ([10, 10, 10], [5, 5]),
    ],
)
def test_solver_plan_is_legal_and_close_to_optimal(boxes: list[int], lifters: list[int]) -> None:
    plan = plan_boxlift(boxes, lifters)
    opt = _optimal_steps(boxes, lifters)
    assert opt <= len(plan) <= len(_first_fit_plan(boxes, lifters))
    assert len(plan) <= opt + 1
    s = _sample(boxes, lifters, len(plan))
    assert TASK.verify(s, f"<<<{render_plan(plan)}>>>").correct


def test_generated_budget_includes_slack_only_at_low_complexity() -> None:
    for c, slack in ((1, 2), (4, 1), (9, 0)):
        s = TASK.generate(c, 3)
        need = len(plan_boxlift(s.data["boxes"], s.data["lifters"]))
        assert s.data["budget"] == need + slack
        assert max(s.data["boxes"]) <= sum(s.data["lifters"])
