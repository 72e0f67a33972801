"""The store on a real PostgreSQL server started by the test on 127.0.0.1."""

from __future__ import annotations

from codesteer_cli.store import repo
from codesteer_cli.store.db import Store
from symbench.core import get_task


def test_migrations_and_samples_on_postgres(pg_url: str) -> None:
    store = Store(pg_url)
    before, after = store.upgrade()
    assert before is None and after == store.head_revision()
    assert store.upgrade() == (after, after)
    task = get_task("number_multiply")
    samples = [task.generate(4, s) for s in range(30)]
    assert repo.add_samples(store, samples) == (30, 0)
    assert repo.add_samples(store, samples) == (0, 30)
    rows = repo.find_samples(store, "number_multiply", split="test", complexity=[4])
    assert sorted(r.content_hash for r in rows) == sorted(s.content_hash for s in samples)
    back = repo.row_to_sample(rows[0])
    assert task.verify(back, back.answer).correct
    run = repo.create_run(store, "test", {"on": "postgres"})
    repo.finish_run(store, run.id, summary={"ok": 1})
    got = repo.get_run(store, run.name)
    assert got is not None and got.status == "finished" and got.summary == {"ok": 1}
    assert "postgres@" in store.display and "***" not in store.display
