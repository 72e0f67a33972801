"""Synthesis on a real PostgreSQL store (started by tests/store/test_postgres.py's
fixture): SFT and DPO runs, resume, export and stats use only portable SQL."""

from __future__ import annotations

from pathlib import Path

from codesteer_cli.runs.lifecycle import open_run
from codesteer_cli.sandbox.executor import Executor, Limits
from codesteer_cli.store.db import Store
from codesteer_cli.synthesis import trajectories as tj
from codesteer_cli.synthesis.export import export
from codesteer_cli.synthesis.stats import synthesis_stats
from tests.synthesis.helpers import FAST_WRONG_TREE, AnswerBook, grow, synthesize


def test_synthesis_on_postgres(pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    store = Store(pg_url)
    store.upgrade()
    executor = Executor(Limits(wall_s=10), workers=2)
    srun, out, *_ = synthesize(store, executor, AnswerBook(), name="pg-sft", hard=1)
    assert out.finished == 9
    done, _, pairs, *_ = grow(store, executor, FAST_WRONG_TREE)
    assert done.finished == 1 and sorted(p.kept for p in pairs) == [False, True, True]
    res = export(store, tmp_path / "sft.jsonl", tmp_path / "dpo.jsonl", val_fraction=0)
    assert res.sft.examples == 2 * 8 - 2 and res.dpo.rows == 2  # type: ignore[union-attr]
    st = synthesis_stats(store)
    assert sum(x.trajectories for x in st.sft) == 6 and st.dpo[0].pairs_kept == 2
    again = open_run(store, tj.SftConfig(teacher="a:b", task_model="a:b"), resume="pg-sft")
    assert again.resumed and not again.todo and again.done == 9
