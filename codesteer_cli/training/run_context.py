"""The run a training process works for: its output folder, its row in the store (written
by the main process only) and the checkpoint it resumes from. Made by `launch.py` in the
command's process, or read back from the job file in each launched worker."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codesteer_cli.store.db import Store


@dataclass
class RunContext:
    kind: str
    out_dir: Path
    run_id: int | None = None
    db_url: str | None = None
    resume_from: str | None = None
    _store: Store | None = field(default=None, repr=False)

    @property
    def is_main(self) -> bool:
        return int(os.environ.get("RANK", "0")) == 0

    @property
    def store(self) -> Store | None:
        """The run store, in the main process only (other ranks never write)."""
        if self._store is None and self.db_url and self.run_id is not None and self.is_main:
            from codesteer_cli.store.db import open_store

            self._store = open_store(self.db_url)
        return self._store

    def record_config(self, extra: dict[str, Any]) -> None:
        store = self.store
        if store is not None and self.run_id is not None:
            from codesteer_cli.training.metrics import update_run_config

            update_run_config(store, self.run_id, {"resolved": extra})

    def finish(
        self, status: str, summary: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        store = self.store
        if store is None or self.run_id is None:
            return
        from codesteer_cli.runs.host import host
        from codesteer_cli.store import repo

        if summary is not None:
            summary = {**summary, "host": host()}
        repo.finish_run(store, self.run_id, status, summary=summary, error=error)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "out_dir": str(self.out_dir),
            "run_id": self.run_id,
            "db_url": self.db_url,
            "resume_from": self.resume_from,
        }
