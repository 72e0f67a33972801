"""The run store on SQLite: migrations, idempotent sample writes, concurrent writers."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlmodel import select

from codesteer_cli.errors import UserError
from codesteer_cli.store import repo
from codesteer_cli.store.db import Store, open_store, resolve_url
from codesteer_cli.store.models import ALL_TABLES, RunRow
from symbench.core import get_task


def _fresh(path: Path) -> Store:
    store = Store(resolve_url(str(path)))
    store.upgrade()
    return store


def test_migrations_create_every_table_and_are_idempotent(tmp_path: Path) -> None:
    store = Store(resolve_url(str(tmp_path / "s.db")))
    assert store.current_revision() is None
    before, after = store.upgrade()
    assert before is None and after == store.head_revision()
    tables = set(inspect(store.engine).get_table_names())
    assert {m.__tablename__ for m in ALL_TABLES} <= tables
    assert store.upgrade() == (after, after)
    mode = sqlite3.connect(tmp_path / "s.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_add_samples_is_idempotent(tmp_path: Path) -> None:
    store = _fresh(tmp_path / "s.db")
    task = get_task("number_multiply")
    samples = [task.generate(3, s) for s in range(20)]
    assert repo.add_samples(store, samples) == (20, 0)
    assert repo.add_samples(store, samples + [task.generate(3, 99)]) == (1, 20)
    rows = repo.find_samples(store, "number_multiply", split="test", complexity=[3])
    assert len(rows) == 21
    back = repo.row_to_sample(rows[0])
    assert back.content_hash == rows[0].content_hash and back.data["factors"]


def test_threads_write_concurrently_without_lock_errors(tmp_path: Path) -> None:
    store = _fresh(tmp_path / "s.db")
    task = get_task("number_multiply")
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for i in range(15):
                repo.add_samples(store, [task.generate(5, k * 1000 + i)])
                repo.create_run(store, "test", {"k": k, "i": i})
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    with store.read() as s:
        assert len(s.exec(select(RunRow)).all()) == 120


def _proc_writer(path: str, k: int, q) -> None:  # type: ignore[no-untyped-def]
    try:
        store = open_store(path)
        task = get_task("number_multiply")
        for i in range(25):
            repo.add_samples(store, [task.generate(6, k * 1000 + i)])
            repo.create_run(store, "test", {"k": k, "i": i})
        q.put("ok")
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        q.put(f"{type(exc).__name__}: {exc}")


def test_two_processes_write_concurrently(tmp_path: Path) -> None:
    path = str(tmp_path / "s.db")
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_proc_writer, args=(path, k, q)) for k in range(3)]
    for p in procs:
        p.start()
    results = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert results == ["ok"] * 3
    store = open_store(path)
    assert sum(repo.sample_counts(store).values()) == 75


def test_a_file_that_is_not_a_database_is_a_user_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.db"
    bad.write_text("this is not sqlite\n" * 100)
    with pytest.raises(UserError, match="not a codesteer store"):
        open_store(str(bad))


def test_missing_folder_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        open_store(str(tmp_path / "nope" / "x.db"))


def test_a_drawn_run_name_that_is_taken_is_drawn_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _fresh(tmp_path / "s.db")
    drawn = iter(["test-same", "test-same", "test-other"])
    monkeypatch.setattr(repo, "new_run_name", lambda kind: next(drawn))
    assert repo.create_run(store, "test", {}).name == "test-same"
    assert repo.create_run(store, "test", {}).name == "test-other"
    with pytest.raises(repo.NameTaken):  # a name the caller chose is never changed
        repo.create_run(store, "test", {}, name="test-same")
