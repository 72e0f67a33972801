"""`codesteer steer` and `codesteer runs` through the command, against a real local
OpenAI-compatible server (llm-katan echo backend)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.cli import run_cli
from tests.fixtures.katan import Katan


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Katan]:
    k = Katan(tmp_path_factory.mktemp("katan")).start().wait_ready()
    yield k
    k.stop()


def _spec(server: Katan) -> str:
    return f"openai-compat:{server.url}/v1#echo-model"


def test_steer_then_runs_list_show_episode(server: Katan, tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    env = {"OPENAI_COMPAT_API_KEY": "x", "COLUMNS": "200"}
    r = run_cli(
        "--db",
        db,
        "steer",
        "-m",
        _spec(server),
        "--method",
        "all_code",
        "-t",
        "number_multiply,letters",
        "-c",
        "1",
        "-n",
        "2",
        "--name",
        "base",
        env=env,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "number_multiply" in r.stdout and "letters" in r.stdout
    assert "4 episodes" in r.stderr
    r = run_cli("--db", db, "runs", "list", env=env)
    assert r.returncode == 0 and "base" in r.stdout and "all_code" in r.stdout
    assert re.search(r"2/2|4/4", r.stdout)
    r = run_cli("--db", db, "runs", "show", "base", env=env)
    assert r.returncode == 0 and "method: all_code" in r.stdout
    r = run_cli("--db", db, "runs", "episode", "1", env=env)
    assert r.returncode == 0 and "round 0 · task" in r.stdout and "final:" in r.stdout
    # same name, different settings: refused with a clear message
    r = run_cli(
        "--db",
        db,
        "steer",
        "-m",
        _spec(server),
        "--method",
        "all_text",
        "-t",
        "number_multiply",
        "-c",
        "1",
        "-n",
        "2",
        "--name",
        "base",
        env=env,
    )
    assert r.returncode == 2 and "exists with different settings" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["steer", "--method", "magic"], "unknown method 'magic'"),
        (["steer", "--prompts", "huge"], "unknown prompt set 'huge'"),
        (["steer", "--tasks", "nope"], "unknown task 'nope'"),
        (["steer", "--split", "dev"], "--split must be"),
        (["steer", "--max-rounds", "-1"], "--max-rounds must be"),
        (["steer", "--resume", "no-such-run"], "no run named or numbered"),
        (["steer", "-m", "openai:gpt-4o", "-t", "game24", "-n", "1"], "OPENAI_API_KEY"),
        (["steer", "-m", "nosuch:model"], "provider"),
        (["runs", "show", "nope"], "no run named or numbered"),
        (["runs", "episode", "999"], "no episode 999"),
    ],
)
def test_bad_input_is_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    r = run_cli("--db", str(tmp_path / "x.db"), *args, env={"OPENAI_API_KEY": ""})
    assert r.returncode != 0
    assert message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_max_cost_stops_starting_episodes(server: Katan, tmp_path: Path) -> None:
    """openai:gpt-4o has a price: a budget below two episodes' cost stops the run early,
    says so, and leaves the rest for --resume."""
    db = str(tmp_path / "s.db")
    env = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": f"{server.url}/v1", "COLUMNS": "200"}
    r = run_cli("--db", db, "steer", "-m", "openai:gpt-4o", "--method", "all_code", "-t",
                "number_multiply", "-c", "1", "-n", "6", "-j", "1", "--max-cost", "0.0005",
                "--name", "budget", env=env)  # fmt: skip
    assert r.returncode == 3, r.stderr[-2000:]  # stopped before all were played
    assert "stopped early: --max-cost $0.0005" in r.stderr
    assert "Resume with: codesteer steer --resume budget" in r.stderr
    import sqlite3

    con = sqlite3.connect(db)
    done, cost = con.execute(
        "select count(*), sum(json_extract(extra, '$.cost_usd')) from episodes "
        "where status = 'finished'"
    ).fetchone()
    assert 1 <= done < 6 and 0 < cost <= 0.0005 + cost / done
    assert con.execute("select status from runs where name = 'budget'").fetchone() == ("stopped",)
