"""Code in a model's answer: finding it, running it, reading the answer it prints."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codesteer_cli.sandbox.executor import ExecResult, Executor

_BLOCK = re.compile(r"```[ \t]*(?:python3?|py)[ \t]*\r?\n(.*?)(?:```|\Z)", re.DOTALL | re.I)
# Output longer than this (about 2,000 tokens) is replaced by a notice (SPEC §2).
MAX_FEEDBACK_CHARS = 8000


def extract_code(text: str | None) -> str | None:
    """The first ```python block (an unclosed final block counts), or None."""
    if not text:
        return None
    m = _BLOCK.search(text)
    if m is None:
        return None
    code = m.group(1).strip("\n")
    return code if code.strip() else None


@dataclass
class CodeAnswer:
    """The first code block of an answer, its run, and the output as answer text."""

    code: str
    run: ExecResult

    @property
    def output(self) -> str:
        return self.run.stdout

    def feedback(self) -> str:
        """The execution result as the guide and task model read it."""
        r = self.run
        if r.error:
            return f"The code could not be run: {r.error}"
        out = _fit(r.stdout, r.stdout_truncated, r.stdout_bytes)
        err = _fit(r.stderr, r.stderr_truncated, r.stderr_bytes)
        parts = [f"output: {out}" if out.strip() else "output: (nothing printed)"]
        if r.timed_out:
            parts.append(f"errors: the code was stopped after {r.duration_s:.0f} s (time limit)")
        elif err.strip():
            parts.append(f"errors: {err}")
        return "\n".join(parts)


def _fit(text: str, truncated: bool, total: int) -> str:
    if len(text) > MAX_FEEDBACK_CHARS or truncated:
        return f"[{total} bytes of output, too long to show; the first lines were:]\n" + text[:600]
    return text


def run_answer_code(text: str, executor: Executor) -> CodeAnswer | None:
    """Run the first python block of a task-model answer; None when there is none."""
    code = extract_code(text)
    if code is None:
        return None
    return CodeAnswer(code, executor.run(code))
