"""matrix_transformation: each operation on a hand-made matrix, accepted answer forms,
and symbols that the generic answer cleaner would strip."""

from __future__ import annotations

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.matrix_transformation import OPS, transform
from tests.conftest import reference_root

TASK = get_task("matrix_transformation")
M = [["A", "B", "C"], ["D", "E", "F"]]  # 2 rows, 3 columns


def _sample(matrix, ops) -> Sample:
    return Sample(TASK.id, "hand-made", {"matrix": matrix, "ops": ops}, "")


@pytest.mark.parametrize(
    ("op", "want"),
    [  # worked out by hand on paper
        ("rot90cw", [["D", "A"], ["E", "B"], ["F", "C"]]),
        ("rot90ccw", [["C", "F"], ["B", "E"], ["A", "D"]]),
        ("rot180", [["F", "E", "D"], ["C", "B", "A"]]),
        ("flip_lr", [["C", "B", "A"], ["F", "E", "D"]]),
        ("flip_ud", [["D", "E", "F"], ["A", "B", "C"]]),
        ("transpose", [["A", "D"], ["B", "E"], ["C", "F"]]),
    ],
)
def test_each_operation(op: str, want) -> None:
    assert transform(M, [op]) == want


def test_operations_compose_in_order() -> None:
    assert transform(M, ["rot90cw", "rot90cw"]) == transform(M, ["rot180"])
    assert transform(M, ["rot90cw", "rot90ccw"]) == M
    assert transform(M, ["flip_lr", "transpose"]) == transform(M, ["rot90ccw"])
    assert set(OPS) == {"rot90cw", "rot90ccw", "rot180", "flip_lr", "flip_ud", "transpose"}


@pytest.mark.parametrize(
    "text",
    [
        "<<<D,A,E,B,F,C>>>",
        "<<<D, A, E, B, F, C>>>",
        "<<<[['D', 'A'], ['E', 'B'], ['F', 'C']]>>>",
        "<<<D A\nE B\nF C>>>",
        "<<<d,a,e,b,f,c>>>",
    ],
)
def test_accepted_forms(text: str) -> None:
    s = _sample(M, ["rot90cw"])
    assert TASK.solve(s) == "<<<D,A,E,B,F,C>>>"
    assert TASK.verify(s, text).correct, TASK.verify(s, text).detail


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("<<<A,D,B,E,C,F>>>", "row 0, column 0"),  # the transpose, not the rotation
        ("<<<D,A,E,B,F>>>", "expected 6 cells"),
    ],
)
def test_rejected(text: str, detail: str) -> None:
    v = TASK.verify(_sample(M, ["rot90cw"]), text)
    assert not v.correct and detail in v.detail


def test_trailing_punctuation_cells_count() -> None:
    s = _sample([["!", "A"], ["#", "!"]], ["rot180"])
    # rot180 of [[!, A], [#, !]] is [[!, #], [A, !]]: the answer ends with "!"
    assert TASK.verify(s, "<<<!,#,A,!>>>").correct
    assert not TASK.verify(s, "<<<!,#,A>>>").correct


def test_original_sample_imports() -> None:
    samples = {s.origin: s for s in TASK.import_original(reference_root())}
    s = samples["matrix_transformation_dataset/sample_0"]
    assert s.data == {"matrix": [["Q", "R"], ["J", "H"]], "ops": ["rot90cw"]}
    assert TASK.solve(s) == "<<<J,Q,H,R>>>" == s.answer
