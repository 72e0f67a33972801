"""The store on a real PostgreSQL server started by the test on 127.0.0.1."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codesteer_cli.store import repo
from codesteer_cli.store.db import Store
from symbench.core import get_task


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the `postgres` user then."""
    if os.geteuid() != 0:
        return cmd
    runner = shutil.which("runuser") or shutil.which("su")
    if runner is None:
        pytest.fail("running as root and neither runuser nor su is available", pytrace=False)
    if runner.endswith("runuser"):
        return [runner, "-u", "postgres", "--", *cmd]
    return [runner, "postgres", "-c", " ".join(cmd)]


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed: {proc.stderr.strip()[-800:]}", pytrace=False)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = bins[-1] if bins else shutil.which("initdb")
    if not initdb:
        pytest.fail(
            "PostgreSQL is not installed: `apt-get install postgresql` (Debian) "
            "provides initdb/pg_ctl; .ci/run installs it.",
            pytrace=False,
        )
    bindir = Path(initdb).parent
    # Not under pytest's tmp folder: its parents are private to root, and the server
    # runs as `postgres`.
    base = Path(tempfile.mkdtemp(prefix="codesteer-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
        os.chmod(base, 0o755)
    _run(
        _as_postgres([str(initdb), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
    )
    port = _free_port()
    log = base / "pg.log"
    pg_ctl = str(bindir / "pg_ctl")
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off"
    _run(_as_postgres([pg_ctl, "-D", str(data), "-l", str(log), "-o", opts, "-w", "start"]))
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-m", "fast", "stop"]), check=False)
        shutil.rmtree(base, ignore_errors=True)


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
