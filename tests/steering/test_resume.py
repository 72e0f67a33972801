"""Kill -9 in the middle of a run, then resume: one finished episode per sample, and the
same number of model calls (counted at a real server on 127.0.0.1) as an uninterrupted
run, apart from the calls that were in flight when the process died."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.katan import Katan

CONCURRENCY = 2


def _steer(db: Path, server: Katan, *extra: str) -> subprocess.Popen[str]:
    spec = f"openai-compat:{server.url}/v1#echo-model"
    args = [
        "--db",
        str(db),
        "steer",
        "--task-model",
        spec,
        "--guide",
        spec,
        "--tasks",
        "number_multiply",
        "--complexity",
        "2",
        "--limit",
        "4",
        "--max-rounds",
        "2",
        "--concurrency",
        str(CONCURRENCY),
        "--name",
        "r1",
        *extra,
    ]
    env = {**os.environ, "OPENAI_COMPAT_API_KEY": "x", "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "codesteer_cli.app", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _query(db: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(db, timeout=30)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _finish(p: subprocess.Popen[str]) -> str:
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err[-2000:]
    return out + err


@pytest.mark.slow
def test_kill_9_then_resume_repeats_no_finished_call(tmp_path: Path) -> None:
    server = Katan(tmp_path, "--latency-ms", "120").start().wait_ready()
    try:
        base_db = tmp_path / "baseline.db"
        _finish(_steer(base_db, server))
        baseline_calls = server.requests()
        assert baseline_calls > 0
        baseline_scores = _query(
            base_db,
            "select s.content_hash, e.score, e.rounds from episodes "
            "e join samples s on s.id = e.sample_id order by 1",
        )

        db = tmp_path / "killed.db"
        before = server.requests()
        p = _steer(db, server)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if (
                db.exists()
                and _query(db, "select count(*) from sqlite_master where name='episodes'")[0][0]
            ):
                done = _query(db, "select count(*) from episodes where status='finished'")[0][0]
                if done >= 1:
                    break
            time.sleep(0.05)
        else:
            raise AssertionError("no episode finished before the deadline")
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        time.sleep(1.5)  # requests the dead client left at the server finish and are counted
        received_at_kill = server.requests() - before
        cached = _query(db, "select count(*) from response_cache")[0][0]
        in_flight = received_at_kill - cached
        assert 0 <= in_flight <= 2 * CONCURRENCY
        unfinished = _query(db, "select count(*) from episodes where status != 'finished'")[0][0]
        assert unfinished > 0, "the run finished before it was killed"

        out = _finish(_steer(db, server, "--resume", "r1"))
        assert "already done" in out
        total = server.requests() - before
        assert total - in_flight == baseline_calls
        rows = _query(
            db,
            "select s.content_hash, e.score, e.rounds from episodes e "
            "join samples s on s.id = e.sample_id order by 1",
        )
        assert rows == baseline_scores
        assert _query(
            db, "select count(*), count(distinct sample_id) from episodes where status='finished'"
        )[0] == (4, 4)
        assert _query(db, "select status from runs where name='r1'") == [("finished",)]

        # a finished run re-run under its name makes no call at all
        again = server.requests()
        _finish(_steer(db, server))
        assert server.requests() == again
    finally:
        server.stop()
