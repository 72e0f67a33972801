"""docs/analysis/output_rule.py: the README's set-6 'read the code's output' figures."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from sqlmodel import col, select, update

from codesteer_cli.store.models import CodeExecutionRow, EpisodeRow, SampleRow
from tests.reporting.conftest import StoreBuilder, eps

SCRIPT = Path(__file__).parents[2] / "docs" / "analysis" / "output_rule.py"


def test_rule_takes_text_only_where_the_code_visibly_failed(
    builder: StoreBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    builder.run("demo-all-code", "all_code", eps("letters", [1, 0, 0, 1, 0]), guide=None)
    builder.run(
        "demo-all-text", "all_text", eps("letters", [0, 1, 1, 0, 1], modes=("text",)), guide=None
    )
    with builder.store.session() as s:  # the code of samples 1, 2 (text right), 3 failed
        failed = s.exec(
            select(CodeExecutionRow.id)
            .join(EpisodeRow, col(EpisodeRow.id) == CodeExecutionRow.episode_id)
            .join(SampleRow, col(SampleRow.id) == EpisodeRow.sample_id)
            .where(col(SampleRow.seed).in_([1, 2, 3]), CodeExecutionRow.purpose == "answer")
        ).all()
        assert len(failed) == 3
        s.exec(
            update(CodeExecutionRow)
            .where(col(CodeExecutionRow.id).in_(failed))
            .values(exit_status=1)
        )  # type: ignore[call-overload]
    runpy.run_path(str(SCRIPT), run_name="analysis")["main"](str(builder.path))
    out = capsys.readouterr().out
    assert out.splitlines()[1].split() == ["letters", "5", "2", "3", "3", "3"]
    assert "rule - demo-all-code: +20.0" in out and "2 better / 1 worse" in out
    assert "rule - demo-all-text: +0.0" in out and "1 better / 1 worse" in out
