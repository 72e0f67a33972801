"""The report counts the guide's decisions, as the engine read them, on seen and unseen
tasks: a real steer run with a scripted guide (a named test fixture) and the real
sandbox and verifier."""

from __future__ import annotations

from pathlib import Path

from codesteer_cli.reporting.model import build_report
from codesteer_cli.reporting.queries import resolve_runs
from codesteer_cli.runs.settings import EpisodeSettings, ExecutionSettings
from codesteer_cli.sandbox.executor import Executor, Limits
from codesteer_cli.steering import runner
from codesteer_cli.steering.episode import Models
from codesteer_cli.store.db import Store, resolve_url
from tests.fixtures.scripted import ScriptedModel, code


def test_guide_decisions_by_split_and_turn(tmp_path: Path) -> None:
    store = Store(resolve_url(str(tmp_path / "s.db")))
    store.upgrade()

    def guide(messages):  # type: ignore[no-untyped-def]
        first = len(messages) == 1
        if "letter" in messages[0]["content"].lower():  # letters: unseen
            return "<<<Text>>>" if first else "<<<Return Answer>>>"
        return "<<<Code>>>" if first else "<<<Count the digits again.>>>"

    task = ScriptedModel("task", [code("print('<<<1>>>')")])
    cfg = runner.SteerConfig(
        method="codesteer",
        tasks="letters,navigate",
        complexity="1",
        limit=2,
        episode=EpisodeSettings(max_rounds=1, self_check=False),
        execution=ExecutionSettings(concurrency=2),
    )
    models = Models(task, [ScriptedModel("guide", guide)], executor=Executor(Limits(wall_s=5)))
    res = runner.steer(store, cfg, "g", models=models)
    assert res.finished == 4
    report = build_report(store, resolve_runs(store, ["g"]), [])
    choices = report.guide_choices["g"]
    assert choices == {
        "unseen, first turn": {"text": 2},
        "unseen, later turns": {"return": 2},
        "seen, first turn": {"code": 2},
        "seen, later turns": {"free": 2},
    }
    from codesteer_cli.reporting.render import render_text

    text = render_text(report)
    assert "Guide decisions" in text and "unseen, first turn" in text
