"""The report counts the guide's decisions, as the engine read them, on seen and unseen
tasks, first turns apart from later ones and those after a right answer apart from those
after a wrong one: a real steer run with a scripted guide and task model (named test
fixtures) and the real sandbox and verifier."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlmodel import select

from codesteer_cli.reporting.model import build_report
from codesteer_cli.reporting.queries import resolve_runs
from codesteer_cli.runs.settings import EpisodeSettings, ExecutionSettings
from codesteer_cli.sandbox.executor import Executor, Limits
from codesteer_cli.steering import runner
from codesteer_cli.steering.episode import Models
from codesteer_cli.store.db import Store, resolve_url
from codesteer_cli.store.models import SampleRow, TurnRow
from tests.fixtures.scripted import ScriptedModel, code


def test_guide_decisions_by_split_and_turn(tmp_path: Path) -> None:
    store = Store(resolve_url(str(tmp_path / "s.db")))
    store.upgrade()

    def guide(messages):  # type: ignore[no-untyped-def]
        first = len(messages) == 1
        if "letter" in messages[0]["content"].lower():  # letters: unseen
            return "<<<Text>>>" if first else "<<<Return Answer>>>"
        return "<<<Code>>>" if first else "<<<Count the digits again.>>>"

    def task_model(messages):  # type: ignore[no-untyped-def]
        # navigate: code that prints the stored answer (right); letters: a wrong one.
        asked = "\n".join(m["content"] for m in messages)
        with store.read() as s:
            rows = s.exec(select(SampleRow)).all()
        (sample,) = [r for r in rows if r.question in asked]
        printed = sample.answer if sample.task == "navigate" else "<<<1>>>"
        return code(f"print({printed!r})")

    task = ScriptedModel("task", task_model)
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
        "unseen, later turns after a wrong answer": {"return": 2},
        "seen, first turn": {"code": 2},
        "seen, later turns after a right answer": {"free": 2},
    }
    assert {
        "run": "g",
        "split": "unseen",
        "turn": "later",
        "after": "wrong",
        "n": 2,
        "counts": {"return": 2},
    } in report.decision_rows()
    by_task = build_report(store, resolve_runs(store, ["g"]), [], decisions_by="task")
    assert {r["task"]: r["after"] for r in by_task.decision_rows() if r["turn"] == "later"} == {
        "letters": "wrong",
        "navigate": "right",
    }
    assert by_task.guide_choices["g"] == {
        "letters, first turn": {"text": 2},
        "letters, later turns after a wrong answer": {"return": 2},
        "navigate, first turn": {"code": 2},
        "navigate, later turns after a right answer": {"free": 2},
    }
    # A store written before the engine kept each answer's verdict: the report scores the
    # answers itself and finds the same.
    with store.session() as s:
        turns = s.exec(select(TurnRow).where(TurnRow.role == "task")).all()
        assert {t.extra["correct"] for t in turns if t.extra} == {True, False}
        for t in turns:
            t.extra = {k: v for k, v in (t.extra or {}).items() if k != "correct"}
            s.add(t)
    assert build_report(store, resolve_runs(store, ["g"]), []).guide_choices["g"] == choices
    from codesteer_cli.reporting.render import render_text

    text = render_text(report)
    assert "Guide decisions" in text and "unseen, first turn" in text
    assert "after a right answer" in text and "the answer just before" in text
    # rows follow the report's order (seen before unseen), first turns first
    shown = render_text(by_task)
    at = [
        shown.index(scope)
        for scope in (
            "navigate, first turn",
            "navigate, later turns after a right answer",
            "letters, first turn",
            "letters, later turns after a wrong answer",
        )
    ]
    assert at == sorted(at)
    from codesteer_cli.reporting.render import render_csv

    rows = [r for r in csv.DictReader(io.StringIO(render_csv(report))) if r["section"] == "guide"]
    got = {(r["group"], r["decision"]): (r["count"], r["samples"]) for r in rows}
    assert got[("seen, later turns after a right answer", "free")] == ("2", "2")
    assert len(rows) == 4 and {r["method"] for r in rows} == {"g"}
