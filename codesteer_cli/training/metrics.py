"""Training progress: a live Rich line on the terminal and one store row per logged step.

Both run in the main process only (global rank 0). The trainer's own tqdm bar and dict
printing are replaced by `LiveProgress`; `StoreMetrics` writes `TrainingMetricRow`s
(loss, lr, grad norm, tokens/s and every other logged value, e.g. DPO rewards, margins
and accuracy). Tokens/s counts the non-padding tokens of all processes (TRL's
`num_tokens`) between two logs.
"""

from __future__ import annotations

import math
import time
from typing import Any

from codesteer_cli.store.db import Store

# What the live line shows, in order, when logged: (key, label, format)
_SHOWN = (
    ("loss", "loss", "{:.4f}"),
    ("eval_loss", "eval", "{:.4f}"),
    ("rewards/margins", "margin", "{:.3f}"),
    ("rewards/accuracies", "acc", "{:.2f}"),
    ("eval_rewards/margins", "eval margin", "{:.3f}"),
    ("eval_rewards/accuracies", "eval acc", "{:.2f}"),
    ("learning_rate", "lr", "{:.2e}"),
    ("tokens_per_s", "tok/s", "{:.0f}"),
)


def _clean(logs: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in logs.items():
        if isinstance(v, bool) or not isinstance(v, int | float):
            continue
        if isinstance(v, float) and not math.isfinite(v):
            continue
        out[k] = float(v)
    return out


class TokenRate:
    """Tokens/s between consecutive logs, from the cumulative `num_tokens`."""

    def __init__(self) -> None:
        self.last_tokens: float | None = None
        self.last_time = time.monotonic()
        self.start = self.last_time

    def update(self, logs: dict[str, float]) -> float | None:
        now = time.monotonic()
        tokens = logs.get("num_tokens")
        rate = None
        if tokens is not None:
            if self.last_tokens is not None and now > self.last_time and tokens > self.last_tokens:
                rate = (tokens - self.last_tokens) / (now - self.last_time)
            elif self.last_tokens is None and now > self.start:
                rate = tokens / (now - self.start)
            self.last_tokens = tokens
        self.last_time = now
        return rate


def write_metrics(store: Store, run_id: int, rows: list[dict[str, Any]]) -> None:
    from codesteer_cli.store.training import add_metrics

    add_metrics(store, run_id, rows)


def metric_row(step: int, logs: dict[str, float], elapsed: float) -> dict[str, Any]:
    split = "eval" if any(k.startswith("eval_") for k in logs) else "train"
    loss = logs.get("loss", logs.get("eval_loss"))
    return {
        "step": step,
        "epoch": logs.get("epoch"),
        "split": split,
        "loss": loss,
        "learning_rate": logs.get("learning_rate"),
        "grad_norm": logs.get("grad_norm"),
        "tokens_per_s": logs.get("tokens_per_s"),
        "elapsed_s": round(elapsed, 3),
        "logs": logs,
    }


def describe(logs: dict[str, float]) -> str:
    parts = []
    for key, label, fmt in _SHOWN:
        if key in logs:
            parts.append(f"{label} {fmt.format(logs[key])}")
    return "  ".join(parts)


def make_callbacks(store: Store | None, run_id: int | None, label: str) -> list[Any]:
    """The trainer callbacks: live progress and (with a store) per-step rows."""
    from transformers import TrainerCallback

    class LiveProgress(TrainerCallback):  # type: ignore[misc]
        """Rich progress bar on a terminal; one line per log otherwise (CI, pipes)."""

        def __init__(self) -> None:
            self.progress: Any = None
            self.task: Any = None
            self.rate = TokenRate()
            self.start = time.monotonic()
            self.history: list[dict[str, Any]] = []
            self.final: dict[str, float] = {}
            self.store_failed: str | None = None

        def on_train_begin(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            if not state.is_world_process_zero:
                return
            from codesteer_cli.console import err

            self.start = time.monotonic()
            self.rate = TokenRate()
            if err.is_terminal:
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                    TimeRemainingColumn,
                )

                self.progress = Progress(
                    TextColumn(f"{label}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    TimeRemainingColumn(),
                    TextColumn("{task.fields[info]}"),
                    console=err,
                    transient=False,
                )
                self.progress.start()
                self.task = self.progress.add_task(
                    label, total=state.max_steps, completed=state.global_step, info=""
                )
            else:
                err.print(f"{label}: {state.max_steps} steps", highlight=False)

        def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            if self.progress is not None:
                self.progress.update(self.task, completed=state.global_step)

        def on_log(self, args, state, control, logs=None, **kwargs):  # type: ignore[no-untyped-def]
            if not state.is_world_process_zero or not logs:
                return
            clean = _clean(logs)
            if "train_runtime" in clean:  # the trainer's closing summary
                self.final = clean
                return
            if not any(k.startswith("eval_") for k in clean):
                rate = self.rate.update(clean)
                if rate is not None:
                    clean["tokens_per_s"] = rate
            row = metric_row(state.global_step, clean, time.monotonic() - self.start)
            self.history.append(row)
            info = describe(clean)
            if self.progress is not None:
                self.progress.update(self.task, completed=state.global_step, info=info)
            else:
                from codesteer_cli.console import err

                err.print(
                    f"{label} step {state.global_step}/{state.max_steps} {info}", highlight=False
                )
            if store is not None and run_id is not None and self.store_failed is None:
                try:
                    write_metrics(store, run_id, [row])
                except Exception as exc:  # never lose a training run to a store hiccup
                    self.store_failed = str(exc).splitlines()[0] if str(exc) else repr(exc)
                    from codesteer_cli.console import err

                    err.print(f"[yellow]metrics no longer stored: {self.store_failed}[/]")

        def on_train_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            if self.progress is not None:
                self.progress.update(self.task, completed=state.global_step)
                self.progress.stop()
                self.progress = None

    return [LiveProgress()]


def quiet_trainer(trainer: Any) -> None:
    """Drop the trainer's own tqdm bar and log printing (LiveProgress replaces them)."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    for cb in (PrinterCallback, ProgressCallback):
        trainer.remove_callback(cb)


def update_run_config(store: Store, run_id: int, extra: dict[str, Any]) -> None:
    """Add resolved details (world size, precision, template…) to the run's config."""
    from codesteer_cli.store.training import merge_run_config

    merge_run_config(store, run_id, extra)


def list_training_runs(store: Store, limit: int = 20) -> list[dict[str, Any]]:
    """Recent training runs with what a table shows (base, steps, last loss, output)."""
    from codesteer_cli.store.training import recent_training_runs

    runs = recent_training_runs(store, limit)
    out = []
    for r in runs:
        summary = r.summary or {}
        out.append(
            {
                "id": r.id,
                "name": r.name,
                "kind": r.kind,
                "status": r.status,
                "base": (r.config or {}).get("base"),
                "steps": summary.get("steps"),
                "last_loss": summary.get("last_loss"),
                "started_at": r.started_at,
                "finished_at": r.finished_at,
                "out": (r.config or {}).get("out"),
            }
        )
    return out


def describe_run(store: Store, ref: str) -> dict[str, Any]:
    """A training run with its config, summary and every metric row (step order)."""
    from codesteer_cli.errors import UserError
    from codesteer_cli.store import repo
    from codesteer_cli.store.training import TRAIN_KINDS, metric_rows

    run = repo.get_run(store, ref)
    if run is None:
        raise UserError(f"no run {ref!r} in {store.display}")
    if run.kind not in TRAIN_KINDS:
        raise UserError(f"run {ref!r} is a {run.kind} run, not a training run")
    rows = metric_rows(store, run.id)  # type: ignore[arg-type]
    return {
        "id": run.id,
        "name": run.name,
        "kind": run.kind,
        "status": run.status,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "error": run.error,
        "config": run.config or {},
        "summary": run.summary or {},
        "metrics": [
            {
                "step": m.step,
                "epoch": m.epoch,
                "split": m.split,
                "loss": m.loss,
                "learning_rate": m.learning_rate,
                "grad_norm": m.grad_norm,
                "tokens_per_s": m.tokens_per_s,
                "elapsed_s": m.elapsed_s,
                "logs": m.logs,
            }
            for m in rows
        ],
    }
