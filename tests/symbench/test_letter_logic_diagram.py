"""letter_logic_diagram: any completion obeying the rules verifies (not one stored
grid), each broken rule is named, answer forms, and the solver on hand-made cases."""

from __future__ import annotations

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.letter_logic_diagram import LETTERS, N, render, solve_grid, violations

TASK = get_task("letter_logic_diagram")
EMPTY = [[None] * N for _ in range(N)]


def _grid(f) -> list[list[str]]:
    return [[LETTERS[f(r, c) % N] for c in range(N)] for r in range(N)]


# (r + c) mod 7 is a Latin square; on the minor diagonal r + (6 - r) = 6, so all "g".
CYCLIC = _grid(lambda r, c: r + c)
# renaming the letters keeps every rule: another valid grid, diagonal all "a"
RENAMED = [[LETTERS[6 - LETTERS.index(x)] for x in row] for row in CYCLIC]
# (r + 2c) mod 7 is Latin too, but the minor diagonal runs through 12 - r: all different
SKEW = _grid(lambda r, c: r + 2 * c)


def _sample(grid) -> Sample:
    return Sample(TASK.id, "hand-made", {"grid": grid}, "")


def test_several_valid_completions_all_verify() -> None:
    s = _sample(EMPTY)
    for grid in (CYCLIC, RENAMED, solve_grid(EMPTY)):
        assert TASK.verify(s, f"<<<\n{render(grid)}\n>>>").correct


def test_each_rule_is_checked() -> None:
    assert any("minor diagonal" in v for v in violations(EMPTY, SKEW))
    given = [row[:] for row in EMPTY]
    given[0][0] = "b"  # CYCLIC has "a" there
    assert any("pre-filled 'b' changed" in v for v in violations(given, CYCLIC))
    swapped = [row[:] for row in CYCLIC]
    swapped[0][0], swapped[0][1] = swapped[0][1], swapped[0][0]
    bad = violations(EMPTY, swapped)
    assert "column 1 is not a permutation of a-g" in bad and len(bad) >= 2
    assert violations(EMPTY, CYCLIC[:6]) and violations(EMPTY, [["h"] * N] * N)


@pytest.mark.parametrize(
    "fmt",
    [
        lambda g: "\n".join(",".join(r) for r in g),
        lambda g: "\n".join(" ".join(r) for r in g),
        lambda g: "\n".join("".join(r) for r in g).upper(),
        lambda g: str(g),
        lambda g: "; ".join(",".join(r) for r in g),
    ],
)
def test_accepted_forms(fmt) -> None:
    assert TASK.verify(_sample(EMPTY), f"<<<{fmt(CYCLIC)}>>>").correct


def test_solver_keeps_givens_and_detects_contradictions() -> None:
    givens = [row[:] for row in EMPTY]
    givens[0][6], givens[3][3], givens[1][0] = "c", "c", "e"
    filled = solve_grid(givens)
    assert filled is not None and not violations(givens, filled)
    assert filled[6][0] == "c"
    clash = [row[:] for row in EMPTY]
    clash[0][6], clash[6][0] = "a", "b"  # two letters on the minor diagonal
    assert solve_grid(clash) is None
    with pytest.raises(ValueError):
        TASK.solve(_sample(clash))
