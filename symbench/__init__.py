"""SymBench: 37 symbolic tasks + Sokoban, generated at any complexity, with solvers and
verifiers. Importable on its own; depends on nothing in `codesteer_cli`."""

from symbench.answers import Extraction, extract_answer
from symbench.core import (
    Sample,
    SymbenchError,
    Task,
    Verdict,
    all_tasks,
    get_task,
    import_release,
    parse_complexity,
    register,
    select_tasks,
)

__all__ = [
    "Extraction",
    "Sample",
    "SymbenchError",
    "Task",
    "Verdict",
    "all_tasks",
    "extract_answer",
    "get_task",
    "import_release",
    "parse_complexity",
    "register",
    "select_tasks",
]
