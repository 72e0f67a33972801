"""`get_task` imports only the module of the task it is asked for (each task lives in the
module of its id), so reading one task's samples does not pay for sympy, nor does listing
them all; unknown ids still get the full list of known tasks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from symbench.core import SymbenchError, all_tasks, get_task
from tests.conftest import REPO


@pytest.mark.parametrize("task", all_tasks(), ids=lambda t: t.id)
def test_each_task_lives_in_the_module_of_its_id(task) -> None:  # type: ignore[no-untyped-def]
    assert type(task).__module__ == f"symbench.tasks.{task.id}"
    assert get_task(task.id) is task


def test_get_task_imports_only_that_task() -> None:
    probe = (
        "import sys; from symbench.core import get_task, _REGISTRY; "
        "t = get_task('navigate'); "
        "print(t.id, sorted(_REGISTRY), 'sympy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True
    ).stdout.split()
    assert out[0] == "navigate" and out[-1] == "False"
    assert "'math_geometry'" not in " ".join(out)


def test_listing_every_task_does_not_import_sympy() -> None:
    """The math tasks load their problem families and checker (sympy) on first use."""
    probe = (
        "import sys; from symbench.core import all_tasks, get_task; "
        "n = len(all_tasks()); before = 'sympy' in sys.modules; "
        "t = get_task('math_geometry'); s = t.generate(1, 0); "
        "print(n, before, 'sympy' in sys.modules, t.verify(s, t.solve(s)).correct)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True
    ).stdout.split()
    assert out == ["38", "False", "True", "True"]


def test_unknown_task_names_the_known_ones() -> None:
    for bad in ("no_such_task", "_bbh", "tasks.navigate", ""):
        with pytest.raises(SymbenchError, match="known tasks: .*navigate"):
            get_task(bad)
