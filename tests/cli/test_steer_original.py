"""`codesteer steer --protocol original` through the command: one-line errors, and a run
against a real local OpenAI-compatible server (llm-katan echo backend) whose recorded
guide input is the release's choice prompt and the question, as the golden tests fix."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from codesteer_cli.steering.original_release import load_release
from tests.fixtures.cli import run_cli
from tests.fixtures.katan import Katan

REPO = Path(__file__).resolve().parents[2]
RELEASE = Path(
    os.environ.get("CODESTEER_ORIGINAL_RELEASE", REPO.parent / "shared" / "original-release")
)
NO_RELEASE = {"CODESTEER_ORIGINAL_RELEASE": ""}


def test_missing_release_and_wrong_method_are_one_line_errors(tmp_path: Path) -> None:
    db = ["--db", str(tmp_path / "s.db")]
    r = run_cli(*db, "steer", "--protocol", "original", "-t", "number_multiply", env=NO_RELEASE)
    assert r.returncode == 2 and "--original-release" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run_cli(*db, "steer", "--protocol", "original", "--original-release", str(tmp_path))
    assert r.returncode == 2 and "cannot read prompt.py" in r.stderr
    r = run_cli(
        *db, "steer", "--protocol", "original", "--method", "all_code",
        "--original-release", str(RELEASE),
    )  # fmt: skip
    assert r.returncode == 2 and "runs codesteer or symbolic_agent" in r.stderr
    r = run_cli(*db, "steer", "--protocol", "ours", env=NO_RELEASE)
    assert r.returncode == 2 and "--protocol must be one of default, original" in r.stderr


def test_doctor_says_whether_a_release_is_readable(tmp_path: Path) -> None:
    r = run_cli("--db", str(tmp_path / "s.db"), "doctor", env=NO_RELEASE)
    assert "original   not configured" in r.stdout
    r = run_cli("doctor", env={"CODESTEER_ORIGINAL_RELEASE": str(RELEASE), "COLUMNS": "200"})
    assert "original   readable" in r.stdout and load_release(str(RELEASE)).fingerprint in r.stdout


def test_run_against_a_local_server_records_the_originals_guide_input(tmp_path: Path) -> None:
    server = Katan(tmp_path).start().wait_ready()
    try:
        spec = f"openai-compat:{server.url}/v1#echo-model"
        db = tmp_path / "s.db"
        env = {"OPENAI_COMPAT_API_KEY": "x", "CODESTEER_ORIGINAL_RELEASE": str(RELEASE)}
        args = ["--db", str(db), "steer", "-m", spec, "--guide", spec, "--protocol", "original"]
        r = run_cli(*args, "-t", "number_multiply", "-c", "1", "-n", "1", "--name", "o", env=env)
        assert r.returncode in (0, 1), r.stderr[-2000:]
        con = sqlite3.connect(db)
        try:
            config_json, prompt_version = con.execute(
                "select config, prompt_version from runs"
            ).fetchone()
            config = json.loads(config_json)
            question = con.execute("select question from samples").fetchone()[0]
            first = con.execute(
                "select messages, params from turns where role = 'guide' order by seq limit 1"
            ).fetchone()
            episode = con.execute("select id, status from episodes").fetchone()
        finally:
            con.close()
        rel = load_release(str(RELEASE))
        assert config["protocol"] == "original" and config["original_prompts"] == rel.fingerprint
        assert prompt_version == f"original@{rel.fingerprint}"
        assert config["code_timeout_s"] == 10.0 and config["guide_temperature"] == 0.95
        assert json.loads(first[0]) == [{"role": "user", "content": rel.choice + question}]
        assert json.loads(first[1])["max_tokens"] == 1024
        assert episode[1] == "finished"
        shown = run_cli("--db", str(db), "runs", "episode", str(episode[0]), env=env)
        assert shown.returncode == 0 and "guide" in shown.stdout
    finally:
        server.stop()
