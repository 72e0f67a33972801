"""Runs that cannot be corrupted and failures that say so, through the real command
against a real local server (llm-katan): one process per run (a lease in the store),
exit statuses that tell failed and stopped runs from finished ones, and every bad input
a one-line error."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.cli import run_cli
from tests.fixtures.katan import Katan

ENV = {"OPENAI_COMPAT_API_KEY": "x", "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}


@pytest.fixture(scope="module")
def slow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Katan]:
    k = Katan(tmp_path_factory.mktemp("slow"), "--latency-ms", "400").start().wait_ready()
    yield k
    k.stop()


def _args(server: Katan, db: Path, *extra: str) -> list[str]:
    spec = f"openai-compat:{server.url}/v1#echo-model"
    return ["--db", str(db), "steer", "-m", spec, "-g", spec, "-t", "number_multiply",
            "-c", "2", "-n", "6", "--max-rounds", "2", "-j", "1", *extra]  # fmt: skip


def _popen(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "codesteer_cli.app", *args],
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _started(db: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.exists():
            con = sqlite3.connect(db, timeout=30)
            try:
                n = (
                    con.execute(
                        "select count(*) from sqlite_master where name = 'turns'"
                    ).fetchone()[0]
                    and con.execute("select count(*) from turns").fetchone()[0]
                )
            finally:
                con.close()
            if n:
                return
        time.sleep(0.05)
    raise AssertionError("the first run made no call in time")


@pytest.mark.slow
def test_a_second_process_on_a_live_run_is_refused(slow: Katan, tmp_path: Path) -> None:
    base = tmp_path / "base.db"
    before = slow.requests()
    r = run_cli(*_args(slow, base, "--name", "r"), env=ENV)
    assert r.returncode == 0, r.stderr[-2000:]
    uninterrupted = slow.requests() - before

    db = tmp_path / "s.db"
    before = slow.requests()
    first = _popen(_args(slow, db, "--name", "r"))
    _started(db)
    # the same run resumed, and a "new" run under the taken name: both refused at once
    for extra in (["--resume", "r"], ["--name", "r"]):
        r = run_cli(*_args(slow, db, *extra), env=ENV)
        assert r.returncode == 2, r.stderr[-2000:]
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and "is being played by another process" in lines[0], r.stderr
        assert "Traceback" not in r.stderr
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err[-2000:]
    assert slow.requests() - before == uninterrupted  # the refused ones made no call
    con = sqlite3.connect(db)
    try:
        turns = con.execute(
            "select episode_id, seq, count(*) from turns group by 1, 2 having count(*) > 1"
        ).fetchall()
        assert turns == []  # no duplicated turn numbers
        assert con.execute("select lease_owner from runs").fetchall() == [(None,)]
    finally:
        con.close()
    # once it has ended, the run may be continued again (nothing left: no call)
    r = run_cli(*_args(slow, db, "--resume", "r"), env=ENV)
    assert r.returncode == 0 and "6 already done" in r.stderr, r.stderr[-2000:]


def test_failed_episodes_make_the_exit_status_non_zero(tmp_path: Path) -> None:
    dead = "openai-compat:http://127.0.0.1:9/v1#m"  # nothing listens on port 9
    args = ["steer", "-m", dead, "--method", "all_code", "-t", "number_multiply", "-c", "1",
            "-n", "2", "--name", "dead"]  # fmt: skip
    # one retry (not the default five, ~30 s of backoff): a failure is a failure
    env = {**ENV, "CODESTEER_OPENAI_COMPAT_RETRIES": "1"}
    r = run_cli("--db", str(tmp_path / "d.db"), *args, env=env)
    assert r.returncode == 1, r.stderr[-2000:]
    assert "2 of 2 episodes failed" in r.stderr and "--resume dead" in r.stderr
    assert "Traceback" not in r.stderr


def _newer_store(path: Path) -> Path:
    r = run_cli("--db", str(path), "db", "upgrade")
    assert r.returncode == 0, r.stderr
    con = sqlite3.connect(path)
    con.execute("update alembic_version set version_num = '9999'")
    con.commit()
    con.close()
    return path


NEWER = "written by a newer codesteer (revision 9999"


@pytest.mark.parametrize(
    "args, message",
    [
        (["steer", "--seed", "99999999999999999999999"], "--seed must be an integer"),
        (["steer", "--seed", "-1"], "--seed must be an integer"),
        (["steer", "--temperature", "-1"], "--temperature must be a finite number"),
        (["steer", "--temperature", "nan"], "--temperature must be a finite number"),
        (["steer", "--code-timeout", "0"], "--code-timeout must be a finite number above 0"),
        (["steer", "--code-timeout", "-1"], "--code-timeout must be"),
        (["steer", "--code-timeout", "nan"], "--code-timeout must be"),
        (["steer", "--code-timeout", "inf"], "--code-timeout must be"),
        (["steer", "--max-cost", "-1"], "--max-cost must be a finite number at least 0"),
        (["steer", "--max-tokens", "0"], "--max-tokens must be an integer"),
        (["steer", "--concurrency", "0"], "--concurrency must be an integer"),
        (["steer", "--repeats", "0"], "--repeats must be an integer"),
        (["steer", "--limit", "0"], "--limit must be an integer"),
        (["steer", "--name", ""], "--name must be 1 to 200 printable characters"),
        (["steer", "--name", "a\x1b[31mred"], "--name must be 1 to 200 printable characters"),
        (["steer", "--resume", "\x1b]0;x\x07"], "--resume must be 1 to 200 printable"),
        (["steer", "--sandbox", "jail"], "unknown sandbox mode 'jail'"),
        (
            [
                "synthesize",
                "sft",
                "--teacher",
                "search",
                "-m",
                "local:smollm2",
                "--max-guidance-turns",
                "0",
            ],
            "--max-guidance-turns must be",
        ),  # fmt: skip
        (["synthesize", "dpo", "-m", "a:b", "-g", "a:b", "--temperature", "inf"], "must be"),
        (["runs", "episode", "99999999999999999999"], "episode id must be an integer"),
        (["runs", "episode", "0"], "episode id must be an integer"),
        (["generate", "-t", "letters", "--out", "/tmp"], "--out /tmp is a directory"),
        (["generate", "-t", "letters", "--out", "/proc/x.jsonl"], "/proc and /sys are not"),
        (["generate", "-t", "letters", "--out", "/proc/self/status"], "/proc and /sys are not"),
        (["generate", "-t", "letters", "--out", "/no/such/dir/s.jsonl"], "does not exist"),
        (["generate", "-t", "letters", "--out", "/dev/full"], "cannot write: No space left"),
        (["generate", "-n", "99999999999"], "-n must be an integer from 1 to 100,000"),
        (["generate", "-n", "0"], "-n must be an integer from 1 to 100,000"),
        (["generate", "--seed", "99999999999999999999999"], "--seed must be an integer"),
    ],
)
def test_bad_input_is_one_line_and_exits_non_zero(
    args: list[str], message: str, tmp_path: Path
) -> None:
    r = run_cli("--db", str(tmp_path / "x.db"), *args, env=ENV)
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], r.stderr
    assert "\x1b]" not in r.stderr and "\x1b[31m" not in r.stderr  # escapes neutralised


@pytest.mark.parametrize(
    "args",
    [
        ["-n", "99999999999"],
        ["--out", "{dir}"],
        ["--out", "/proc/self/status"],
        ["--seed", "9223372036854775807"],
    ],
)
def test_generate_refuses_before_any_work(args: list[str], tmp_path: Path) -> None:
    """Checked before a sample is made or the store opened: no 30 s of silence."""
    db = tmp_path / "x.db"
    start = time.monotonic()
    args = [a.format(dir=tmp_path) for a in args]
    r = run_cli("--db", str(db), "generate", "-t", "all", "-c", "1-10", *args, env=ENV)
    took = time.monotonic() - start
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert len([ln for ln in r.stderr.splitlines() if ln.strip()]) == 1, r.stderr
    assert not db.exists() and took < 30, took  # (interpreter start-up only, even loaded)


def test_an_empty_db_option_is_refused(tmp_path: Path) -> None:
    r = run_cli("--db", "", "runs", "list", cwd=tmp_path, env=ENV)
    assert r.returncode == 2 and "--db is empty" in r.stderr
    assert not (tmp_path / "codesteer.db").exists()


@pytest.mark.parametrize(
    "args",
    [["runs", "list"], ["steer", "-t", "game24", "-n", "1"], ["db", "upgrade"], ["db", "status"]],
)
def test_a_store_of_a_newer_schema_is_one_line(args: list[str], tmp_path: Path) -> None:
    db = _newer_store(tmp_path / "n.db")
    r = run_cli("--db", str(db), *args, env=ENV)
    assert r.returncode == 2, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and NEWER in lines[0], r.stderr
    assert "Traceback" not in r.stderr


def test_model_output_with_escape_sequences_is_neutralised(slow: Katan, tmp_path: Path) -> None:
    """The echo server repeats the prompt; a question with escapes comes back as the
    model's answer. `runs episode` and `runs show` print it with the escapes shown."""
    from codesteer_cli.store import repo
    from codesteer_cli.store.db import open_store
    from symbench.core import get_task

    db = tmp_path / "e.db"
    store = open_store(str(db))
    s = get_task("number_multiply").generate(1, 0)
    import dataclasses

    evil = dataclasses.replace(s, question=s.question + " \x1b[2J\x1b]0;pwned\x07 \x9b31m")
    repo.add_samples(store, [evil])
    spec = f"openai-compat:{slow.url}/v1#echo-model"
    r = run_cli("--db", str(db), "steer", "-m", spec, "--method", "only_question",
                "-t", "number_multiply", "-c", "1", "--name", "e\u00e9", env=ENV)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    for cmd in (["runs", "episode", "1", "--full"], ["runs", "show", "e\u00e9"]):
        r = run_cli("--db", str(db), *cmd, env=ENV)
        assert r.returncode == 0, r.stderr
        for seq in ("\x1b[2J", "\x1b]0;", "\x07", "\x9b"):
            assert seq not in r.stdout
    r = run_cli("--db", str(db), "runs", "episode", "1", env=ENV)
    assert "\\x1b[2J" in r.stdout  # shown, not obeyed
