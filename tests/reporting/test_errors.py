"""Bad input is one line on stderr, exit code 2, no traceback, and no store created."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fixtures.cli import run_cli
from tests.reporting.conftest import StoreBuilder, eps


@pytest.fixture
def store_with_run(builder: StoreBuilder) -> Path:
    builder.run("cs-1", "codesteer", eps("game24", [1, 0]))
    builder.store.engine.dispose()
    return builder.path


@pytest.mark.parametrize(
    "args, message",
    [
        (["no-such-run"], "unknown run 'no-such-run'"),
        (["42"], "unknown run '42'"),
        (["--compare", "o1,gpt-5"], "unknown --compare name 'gpt-5'"),
        (["--compare", "paper", "--by", "model"], "--by must be one of task, family, split"),
        (["--compare", "paper", "--format", "xml"], "--format must be one of"),
        (["--compare", "paper", "--decisions-by", "run"], "--decisions-by must be one of split"),
        (["--compare", "paper", "--out", "/no/such/folder/r.md"], "folder /no/such/folder"),
        (["--diff", "cs-1"], "--diff needs two runs"),
        (["--diff", "cs-1,o1", "--compare", "o1"], "the paper publishes no per-sample"),
        (["--diff", "cs-1,cs-1"], "--diff needs two different runs"),
        (["--diff", "cs-1,nope"], "unknown run 'nope'"),
        (["--hindsight", "cs-1"], "--hindsight needs two or more different runs"),
        (["--hindsight", "cs-1,cs-1"], "--hindsight needs two or more different runs"),
        (["--hindsight", "cs-1,1"], "names the same run twice"),
        (["--hindsight", "cs-1,o1", "--compare", "o1"], "the paper publishes no per-sample"),
        (["--hindsight", "cs-1|cs-2,cs-1"], "named one by one"),
        (["--hindsight", "cs-1,nope"], "unknown run 'nope'"),
    ],
)
def test_bad_input_is_one_line(args: list[str], message: str, store_with_run: Path) -> None:
    r = run_cli("report", *args, env={"CODESTEER_DB": str(store_with_run)})
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_unknown_run_names_the_known_ones(store_with_run: Path) -> None:
    r = run_cli("report", "cs-2", env={"CODESTEER_DB": str(store_with_run)})
    assert "steer runs: cs-1" in r.stderr


def test_unwritable_out_file(store_with_run: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        r = run_cli(
            "report",
            "--out",
            str(locked / "r.md"),
            "--format",
            "md",
            env={"CODESTEER_DB": str(store_with_run)},
        )
        if os.geteuid() == 0:  # root writes anywhere: use a folder as the target instead
            r = run_cli("report", "--out", str(tmp_path), env={"CODESTEER_DB": str(store_with_run)})
            assert "it is a folder" in r.stderr
        else:
            assert "permission denied" in r.stderr
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
    finally:
        locked.chmod(0o700)


def test_unwritable_plot_folder(store_with_run: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run_cli(
        "report", "--plot", str(blocker / "plots"), env={"CODESTEER_DB": str(store_with_run)}
    )
    assert r.returncode == 2 and "cannot create plot folder" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_missing_store(tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    r = run_cli("report", env={"CODESTEER_DB": str(db)})
    assert r.returncode == 2 and "nothing to report" in r.stderr and "--compare paper" in r.stderr
    r = run_cli("report", "cs-1", env={"CODESTEER_DB": str(db)})
    assert r.returncode == 2 and "does not exist" in r.stderr
    assert not db.exists()


def test_empty_store_with_compare_paper(db_path: Path, builder: StoreBuilder) -> None:
    r = run_cli("report", "--compare", "paper", "--format", "md")
    assert r.returncode == 0, r.stderr
    assert "| normalized, total (37) |" in r.stdout
    r = run_cli("report")
    assert r.returncode == 2 and "no finished steer runs" in r.stderr
