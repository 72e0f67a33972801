"""Run model-written Python with limits, in the strongest safe isolation available.

``process`` starts one program; ``isolation`` chooses and proves the mode; this module
holds the process-wide ``Executor`` that ties them together.
"""

from __future__ import annotations

import functools
import logging
import os
import threading

from codesteer_cli.sandbox.isolation import MODES, Isolation, choose_isolation
from codesteer_cli.sandbox.process import ExecResult, Limits, _give_slot, _take_slot, execute

log = logging.getLogger("codesteer.sandbox")

__all__ = ["MODES", "ExecResult", "Executor", "Limits", "default_executor", "execute"]


class Executor:
    """Runs code strings; thread-safe; at most `workers` runs at once.

    `isolation`: "auto", "bwrap", "namespaces" or "none"; None reads $CODESTEER_SANDBOX
    (default auto). A mode that cannot run safely here raises UserError.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        workers: int | None = None,
        isolation: str | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.workers = min(256, workers or max(1, os.cpu_count() or 1))
        self.isolation: Isolation = choose_isolation(isolation)
        if not self.isolation.safe:
            log.warning("sandbox: %s", self.isolation.description)
        self._sem = threading.BoundedSemaphore(self.workers)

    def run(self, code: str, stdin: str = "", limits: Limits | None = None) -> ExecResult:
        lim = limits or self.limits
        with self._sem:
            slot = _take_slot()
            try:
                return execute(self.isolation, code, stdin, lim, slot)
            finally:
                _give_slot(slot)


@functools.cache
def default_executor() -> Executor:
    """A process-wide executor shared by every episode."""
    return Executor()
