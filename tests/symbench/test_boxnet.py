"""boxnet: the verifier simulates per-step action dicts; the solver plans legal routes."""

from __future__ import annotations

import json

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.boxnet import plan_boxnet

TASK = get_task("boxnet")


def _sample(rows: int, cols: int, grid: dict[str, list[str]]) -> Sample:
    data = {"rows": rows, "cols": cols, "grid": grid}
    return Sample("boxnet", TASK._question(data), data, "")


# a 1x2 field where the two boxes must swap squares
SWAP = _sample(1, 2, {"0.5_0.5": ["box_red", "target_blue"], "0.5_1.5": ["target_red", "box_blue"]})
SWAP_PLAN = [
    {"Agent[0.5, 0.5]": "move(box_red, square[0.5, 1.5])",
     "Agent[0.5, 1.5]": "move(box_blue, square[0.5, 0.5])"},
    {"Agent[0.5, 0.5]": "move(box_blue, target_blue)",
     "Agent[0.5, 1.5]": "move(box_red, target_red)"},
]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(SWAP_PLAN),
        str(SWAP_PLAN),  # Python quoting
        json.dumps(SWAP_PLAN, separators=(",", ":")).replace(", ", ","),
        json.dumps(SWAP_PLAN).replace("move(", "Move(").replace("box_", "Box_"),
        json.dumps(SWAP_PLAN).replace("square[0.5, 1.5]", "square(0.5,1.5)"),
        json.dumps(SWAP_PLAN + [{}]),  # an empty step is harmless
    ],
)
def test_legal_plan_in_several_spellings(text: str) -> None:
    v = TASK.verify(SWAP, f"<<<{text}>>>")
    assert v.correct, v.detail


def test_solver_finds_the_two_step_swap() -> None:
    plan = plan_boxnet(1, 2, SWAP.data["grid"])
    assert len(plan) == 2  # each box needs a pass and a placing: 2 steps is optimal
    assert TASK.verify(SWAP, f"<<<{json.dumps(plan)}>>>").correct


def test_actions_use_the_state_at_the_start_of_the_step() -> None:
    # the red box arrives in square [0.5, 1.5] during step 1: it cannot be placed in step 1
    plan = [
        {"Agent[0.5, 0.5]": "move(box_red, square[0.5, 1.5])",
         "Agent[0.5, 1.5]": "move(box_red, target_red)"},
    ]  # fmt: skip
    v = TASK.verify(SWAP, f"<<<{json.dumps(plan)}>>>")
    assert v.score == 0.0 and "step 1" in v.detail and "no box_red" in v.detail


GRID = _sample(
    2,
    2,
    {
        "0.5_0.5": ["box_red", "box_green"],
        "0.5_1.5": ["target_green"],
        "1.5_0.5": [],
        "1.5_1.5": ["target_red"],
    },
)


@pytest.mark.parametrize(
    "step, needle",
    [
        ({"Agent[0.5, 0.5]": "move(box_red, square[1.5, 1.5])"}, "not a square next"),
        ({"Agent[0.5, 0.5]": "move(box_red, square[-0.5, 0.5])"}, "not a square next"),
        ({"Agent[0.5, 0.5]": "move(box_red, target_green)"}, "cannot go into"),
        ({"Agent[0.5, 0.5]": "move(box_red, target_red)"}, "no target_red"),
        ({"Agent[2.5, 0.5]": "move(box_red, square[1.5, 0.5])"}, "no agent"),
        ({"Agent[1.5, 0.5]": "move(box_red, square[1.5, 1.5])"}, "no box_red"),
        ({"Agent[0.5, 0.5]": "lift(box_red)"}, "cannot read"),
        (
            {
                "Agent[0.5, 0.5]": "move(box_red, square[1.5, 0.5])",
                "Agent[0.5,0.5]": "move(box_green, square[0.5, 1.5])",
            },
            "two actions",
        ),  # fmt: skip
    ],
)
def test_illegal_actions_are_reported_with_their_step(step: dict, needle: str) -> None:
    good_rest = [
        {"Agent[0.5, 0.5]": "move(box_red, square[1.5, 0.5])"},
        {"Agent[0.5, 0.5]": "move(box_green, square[0.5, 1.5])",
         "Agent[1.5, 0.5]": "move(box_red, square[1.5, 1.5])"},
        {"Agent[0.5, 1.5]": "move(box_green, target_green)",
         "Agent[1.5, 1.5]": "move(box_red, target_red)"},
    ]  # fmt: skip
    assert TASK.verify(GRID, f"<<<{json.dumps(good_rest)}>>>").correct
    v = TASK.verify(GRID, f"<<<{json.dumps([step] + good_rest)}>>>")
    assert "step 1" in v.detail and needle in v.detail, v.detail
    assert not v.correct  # every box still placed, but an invalid action was given


def test_partial_credit_is_the_share_of_boxes_placed() -> None:
    half = [
        {"Agent[0.5, 0.5]": "move(box_green, square[0.5, 1.5])"},
        {"Agent[0.5, 1.5]": "move(box_green, target_green)"},
    ]
    v = TASK.verify(GRID, f"<<<{json.dumps(half)}>>>")
    assert v.score == 0.5 and v.partial
    assert TASK.verify(GRID, "<<<[]>>>").score == 0.0


def test_several_boxes_of_one_colour_and_shared_squares() -> None:
    s = _sample(
        1,
        3,
        {
            "0.5_0.5": ["box_blue", "box_blue", "target_blue"],
            "0.5_1.5": [],
            "0.5_2.5": ["target_blue"],
        },
    )
    plan = plan_boxnet(1, 3, s.data["grid"])
    # one box goes two squares right (2 passes + placing = 3 actions, one per step), the
    # other is placed at home in one of the steps the agent is free: 3 steps suffice.
    assert len(plan) == 3
    assert TASK.verify(s, f"<<<{json.dumps(plan)}>>>").correct
    # placing both blue boxes into the single home target is impossible
    twice = [{"Agent[0.5, 0.5]": "move(box_blue, target_blue)"}] * 2
    v = TASK.verify(s, f"<<<{json.dumps(twice)}>>>")
    assert v.score == 0.5 and "step 2" in v.detail


def test_imported_original_keeps_the_grid() -> None:
    from tests.conftest import reference_root

    samples = list(TASK.import_original(reference_root()))
    assert len(samples) == 50
    s = next(x for x in samples if x.origin.endswith("env_pg_state_2_2/pg_state0"))
    assert (s.data["rows"], s.data["cols"]) == (2, 2)
    assert s.data["grid"]["0.5_0.5"] == ["target_red", "target_purple"]
    assert "square[0.5, 0.5] (Agent[0.5, 0.5]): target_red, target_purple" in s.question
