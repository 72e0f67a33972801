"""Running model-written code safely."""

from codesteer_cli.sandbox.executor import (
    ExecResult,
    Executor,
    Limits,
    default_executor,
    detect_isolation,
)

__all__ = ["ExecResult", "Executor", "Limits", "default_executor", "detect_isolation"]
