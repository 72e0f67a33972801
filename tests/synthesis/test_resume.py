"""Kill -9 in the middle of a synthesis, then resume: no duplicate trajectories or tree
nodes, and no finished model call made again.

One driver process runs `synthesize sft` then `synthesize dpo` (tests/synthesis/driver.py).
The first is killed during the SFT run, the second during the DPO run, the third
finishes. Guide calls are counted at a real llm-katan echo server; the scripted task
model logs the response-cache key of every request it really receives. Re-running the
finished synthesis (in this process) makes no call at all.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.fixtures.katan import KEYS, Katan

CONCURRENCY = 2  # the driver's


def _start(db: Path, log: Path, server: Katan) -> subprocess.Popen[str]:
    env = {**os.environ, **KEYS, "OPENAI_BASE_URL": f"{server.url}/v1", "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.synthesis.driver", str(db), str(log)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _q(db: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(db, timeout=30)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _kill_when(p: subprocess.Popen[str], db: Path, sql: str, at_least: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise AssertionError(f"finished before the kill: {p.communicate()[1][-2000:]}")
        try:
            if _q(db, sql)[0][0] >= at_least:
                break
        except sqlite3.OperationalError:  # tables not there yet
            pass
        time.sleep(0.03)
    else:
        raise AssertionError("no progress before the deadline")
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    time.sleep(1.0)  # requests the dead client left at the server finish and are counted


class Calls:
    """Calls seen so far: at the server, in the task model's log, in the cache."""

    def __init__(self, db: Path, log: Path, server: Katan) -> None:
        self.db, self.log, self.server = db, log, server
        self.served = server.requests()
        self.logged = self._log()
        rows = _q(db, "select key, model from response_cache")
        self.task_keys = {k for k, m in rows if m == "scripted:task"}
        self.guide_rows = sum(m == "openai:gpt-4o" for _, m in rows)

    def _log(self) -> list[str]:
        return self.log.read_text().split() if self.log.exists() else []

    def check_nothing_repeated_since(self, before: Calls, killed: bool) -> None:
        """No task-model call since `before` had its answer stored already (exact, by
        cache key); every guide call since `before` made a new cache row, apart from
        those in flight when the process was killed (at most one per worker)."""
        new = self.logged[len(before.logged) :]
        assert new and not set(new) & before.task_keys
        served, stored = self.served - before.served, self.guide_rows - before.guide_rows
        assert stored > 0
        if killed:
            assert 0 <= served - stored <= CONCURRENCY
        else:
            assert served == stored
            assert set(new) <= self.task_keys


@pytest.mark.slow
def test_kill_9_then_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = Katan(tmp_path, "--latency-ms", "100").start().wait_ready()
    db, log = tmp_path / "s.db", tmp_path / "task-calls.log"
    unfinished = "select count(*) from episodes e join runs r on r.id = e.run_id "
    unfinished += "where r.kind = '{}' and e.status != 'finished'"
    try:
        # 1. killed in the middle of the SFT run
        _kill_when(
            _start(db, log, server), db, "select count(*) from episodes where status='finished'", 2
        )
        after_1 = Calls(db, log, server)
        assert _q(db, unfinished.format("synthesize-sft"))[0][0] > 0

        # 2. finishes SFT, killed in the middle of the DPO run
        _kill_when(_start(db, log, server), db, "select count(*) from dpo_nodes", 6)
        after_2 = Calls(db, log, server)
        after_2.check_nothing_repeated_since(after_1, killed=True)
        assert _q(db, unfinished.format("synthesize-sft")) == [(0,)]
        assert _q(db, unfinished.format("synthesize-dpo"))[0][0] > 0
        # 3 samples x 2 variants, each correct with 3 guide turns (weights 1, 2, 2)
        sft = "select count(*), count(distinct sample_id || '-' || repeat) from episodes e "
        sft += "join runs r on r.id = e.run_id where r.kind = 'synthesize-sft'"
        assert _q(db, sft) == [(6, 6)]
        assert _q(db, "select count(*), count(distinct episode_id || '-' || turn) "
                  "from sft_examples") == [(18, 18)]  # fmt: skip
        assert _q(db, "select weight, count(*) from sft_examples group by 1 order by 1") == [
            (1, 6),
            (2, 12),
        ]

        # 3. finishes DPO
        p = _start(db, log, server)
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err[-3000:]
        after_3 = Calls(db, log, server)
        after_3.check_nothing_repeated_since(after_2, killed=False)
        assert _q(db, unfinished.format("synthesize-dpo")) == [(0,)]
        # 2 trees of 1 + 2 + 4 + 4 nodes; every leaf correct at the round limit (12)
        assert _q(db, "select count(*), count(distinct episode_id || '/' || path) "
                  "from dpo_nodes") == [(22, 22)]  # fmt: skip
        assert _q(db, "select count(*), sum(kept) from dpo_pairs") == [(6, 0)]
        assert _q(db, "select distinct score from dpo_nodes where final") == [(12.0,)]
        assert _q(db, "select count(*) from sft_examples") == [(18,)]

        # 4. the finished synthesis, run again: no call at all
        from codesteer_cli.models.registry import clear_models
        from tests.synthesis import driver

        for k, v in {**KEYS, "OPENAI_BASE_URL": f"{server.url}/v1"}.items():
            monkeypatch.setenv(k, v)
        clear_models()
        driver.main(str(db), str(log))
        clear_models()
        again = Calls(db, log, server)
        assert again.served == after_3.served and again.logged == after_3.logged
        assert again.guide_rows == after_3.guide_rows
    finally:
        server.stop()
