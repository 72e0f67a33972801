"""The search teacher: every applicable guide action explored with a scripted task model,
paths scored by the real verifier, the shortest correct trajectory kept as SFT examples,
siblings paired for DPO; resumable, and driven from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from codesteer_cli.runs.settings import EpisodeSettings, ExecutionSettings
from codesteer_cli.sandbox.executor import Executor, Limits
from codesteer_cli.steering.episode import Models
from codesteer_cli.store.db import Store
from codesteer_cli.store.models import DPONodeRow, DPOPairRow, SFTExampleRow, TurnRow
from codesteer_cli.synthesis import search
from tests.synthesis.helpers import AnswerBook, P, ParamScripted, new_store, task_script


@pytest.fixture(scope="module")
def executor() -> Executor:
    return Executor(Limits(wall_s=10), workers=2)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return new_store(tmp_path / "s.db")


def _search(store: Store, executor: Executor, book: AnswerBook, **kw):  # type: ignore[no-untyped-def]
    cfg = search.SearchConfig(
        task_model="scripted:task",
        tasks="gsm_hard",
        per_task=kw.pop("per_task", 1),
        complexity="2",
        episode=EpisodeSettings(max_rounds=1, self_check=False),
        execution=ExecutionSettings(concurrency=3),
        **kw,
    )
    task = ParamScripted("task", lambda m, p: task_script(book)(m))
    models = Models(task, executor=executor)
    out = search.synthesize_search(
        store, cfg, "search", models=models, on_open=lambda r: book.load(store)
    )
    return out, task


def test_actions_explored_scored_paired_and_kept(store: Store, executor: Executor) -> None:
    book = AnswerBook()
    out, task = _search(store, executor, book)
    assert out.exit_code == 0 and out.finished == 1
    with store.read() as s:
        nodes = {n.path: n for n in s.exec(select(DPONodeRow)).all()}
        pairs = s.exec(select(DPOPairRow)).all()
        exs = s.exec(select(SFTExampleRow).order_by(SFTExampleRow.turn)).all()
        guide_turns = s.exec(select(TurnRow).where(TurnRow.role == "guide")).all()
    code, text = str(search.ORDER.index("code")), str(search.ORDER.index("text"))
    ret, term = str(search.ORDER.index("return")), str(search.ORDER.index("terminate"))
    # round 0: code (right) or text (wrong, the script answers text wrongly)
    assert {p for p in nodes if p.count(".") == 0 and p} == {code, text}
    assert nodes[code].extra["answer_correct"] and not nodes[text].extra["answer_correct"]
    # below a right answer only stopping is tried; below a wrong one also continuing
    assert {p for p in nodes if p.startswith(code + ".")} == {f"{code}.{ret}", f"{code}.{term}"}
    below_text = {p.split(".")[1] for p in nodes if p.startswith(text + ".")}
    assert below_text == {ret, term, code, text}  # no "fix"/"thorough": the text had no code
    # Terminate ends the episode with the answer as it is: scored like Return (SPEC §4)
    assert nodes[f"{code}.{ret}"].score == 14 == nodes[f"{code}.{term}"].score
    assert nodes[f"{text}.{code}"].score == 13 and nodes[f"{text}.{text}"].score == -2
    assert nodes[code].score == 14
    assert nodes[text].score == pytest.approx((-1 - 1 + 13 - 2) / 4)
    kept = {(p.chosen_id, p.rejected_id) for p in pairs if p.kept}
    by_id = {n.id: n.path for n in nodes.values()}
    assert {(by_id[a], by_id[b]) for a, b in kept} == {
        (code, text),
        (f"{text}.{code}", f"{text}.{ret}"),
        (f"{text}.{code}", f"{text}.{term}"),
        (f"{text}.{code}", f"{text}.{text}"),
    }
    # the shortest correct trajectory: Code, then Return, both weighted 2
    assert [(x.turn, x.weight, x.kind, x.variant) for x in exs] == [
        (0, 2, "code", "search"),
        (1, 2, "return", "search"),
    ]
    question = book.find(exs[0].messages[0]["content"])
    assert exs[0].messages == [
        {"role": "user", "content": P.choice.format(question=question)},
        {"role": "assistant", "content": search.ACTIONS["code"]},
    ]
    assert exs[1].messages[:2] == exs[0].messages
    assert exs[1].messages[-1] == {"role": "assistant", "content": search.ACTIONS["return"]}
    # guide turns are recorded (model search:teacher, no tokens), one per child node
    assert len(guide_turns) == len(nodes) - 1
    assert {t.model for t in guide_turns} == {search.TEACHER}
    # the task model answered once per non-stopping node (return/terminate cost nothing)
    assert len(task.requests) == 2 + 2
    # resumed: nothing left, no call
    again, task2 = _search(store, executor, book)
    assert again.run.resumed and again.run.done == 1 and task2.requests == []


def test_failed_code_is_offered_a_fix(store: Store, executor: Executor) -> None:
    book = AnswerBook()
    cfg_actions = ("code", "text", "return", "fix")

    def script(messages, params):  # type: ignore[no-untyped-def]
        last = messages[-1]["content"]
        q = book.find(messages[0]["content"])
        if "fix the program" in last:
            return f"Fixed.\n```python\nprint({book.by_question[q]!r})\n```"
        return "```python\nraise ValueError('oops')\n```"

    cfg = search.SearchConfig(
        task_model="scripted:task",
        tasks="gsm_hard",
        per_task=1,
        complexity="2",
        actions=cfg_actions,
        episode=EpisodeSettings(max_rounds=1, self_check=False),
    )
    task = ParamScripted("task", script)
    out = search.synthesize_search(
        store, cfg, models=Models(task, executor=executor), on_open=lambda r: book.load(store)
    )
    assert out.finished == 1
    with store.read() as s:
        nodes = {n.path: n for n in s.exec(select(DPONodeRow)).all()}
        exs = s.exec(select(SFTExampleRow).order_by(SFTExampleRow.turn)).all()
    code, fix = search.ORDER.index("code"), search.ORDER.index("fix")
    assert f"{code}.{fix}" in nodes and nodes[f"{code}.{fix}"].correct
    assert [x.messages[-1]["content"] for x in exs] == [
        search.ACTIONS["code"],
        search.ACTIONS["fix"],
    ]


def test_bad_actions_are_refused() -> None:
    from codesteer_cli.errors import UserError

    def cfg(*actions: str) -> search.SearchConfig:
        return search.SearchConfig(task_model="a:b", tasks="gsm_hard", actions=actions)

    with pytest.raises(UserError, match="unknown action 'dance'"):
        cfg("code", "dance").validate()
    with pytest.raises(UserError, match="must include 'text'"):
        cfg("code", "return").validate()


def test_search_from_the_command_line(tmp_path: Path) -> None:
    """`synthesize sft --teacher search` with the embedded model: a real run, stats, and
    an export that includes the search run's examples (if any were correct)."""
    from tests.fixtures.cli import run_cli

    db = str(tmp_path / "s.db")
    r = run_cli("--db", db, "synthesize", "sft", "--teacher", "search", "-m", "local:smollm2",
                "--tasks", "navigate", "--per-task", "1", "-c", "1", "--max-tokens", "24",
                "--no-self-check", "--max-guidance-turns", "1", "--name", "s")  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    assert "search teacher guiding local:smollm2" in r.stderr
    r = run_cli("--db", db, "synthesize", "stats", "--json")
    st = json.loads(r.stdout)
    assert [x["variant"] for x in st["sft"]] == ["search"] and st["dpo"][0]["trees"] == 1
    assert st["runs"][0]["kind"] == "synthesize-search"
