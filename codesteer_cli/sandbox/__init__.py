"""Running model-written code safely (see isolation.py for the modes)."""

from codesteer_cli.sandbox.executor import ExecResult, Executor, Limits, default_executor
from codesteer_cli.sandbox.isolation import MODES, Isolation, choose_isolation

__all__ = [
    "MODES",
    "ExecResult",
    "Executor",
    "Isolation",
    "Limits",
    "choose_isolation",
    "default_executor",
]
