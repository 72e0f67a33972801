"""`codesteer doctor` reports the sandbox isolation actually in force."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.fixtures.cli import run_cli


def test_doctor_reports_isolation_and_a_working_sandbox(tmp_path: Path) -> None:
    r = run_cli("--db", str(tmp_path / "x.db"), "doctor", "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["sandbox"]["probe_ok"] is True
    if shutil.which("bwrap"):
        assert rep["sandbox"]["isolation"] == "bwrap"
    else:
        assert rep["sandbox"]["isolation"] == "namespaces"
    assert {p["name"] for p in rep["models"]["providers"]} >= {"openai", "local", "hf"}
    text = run_cli("--db", str(tmp_path / "x.db"), "doctor")
    assert "sandbox" in text.stdout and rep["sandbox"]["isolation"] in text.stdout
