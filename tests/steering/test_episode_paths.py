"""The steering loop's paths, forced with scripted models and checked in the store.

Code runs in the real sandbox; the verifier is the real task's; only model replies are
scripted (a named test fixture)."""

from __future__ import annotations

import math
import threading

import pytest
from sqlmodel import select

from codesteer_cli.runs.lifecycle import open_run
from codesteer_cli.runs.settings import EpisodeSettings, ExecutionSettings
from codesteer_cli.sandbox.executor import Executor
from codesteer_cli.steering import runner
from codesteer_cli.steering.episode import Models
from codesteer_cli.steering.prompts import get_prompts
from codesteer_cli.store import repo
from codesteer_cli.store.db import Store
from codesteer_cli.store.models import CodeExecutionRow, EpisodeRow, TurnRow
from symbench.core import get_task
from tests.fixtures.scripted import ScriptedModel, code

TASK = get_task("number_multiply")


def _checker(correct: bool = True) -> ScriptedModel:
    verdict = "Correct" if correct else "Wrong: the product is off"
    return ScriptedModel("checker", [code(f"print({verdict!r})")])


def _run(
    store: Store,
    executor: Executor,
    method: str,
    task_model,
    guide=None,  # type: ignore[no-untyped-def]
    checker=None,
    n: int = 1,
    max_rounds: int = 5,
    **cfg_kw,
):
    samples = [TASK.generate(3, s) for s in range(n)]
    repo.add_samples(store, samples)
    cfg = runner.SteerConfig(
        method=method,
        tasks="number_multiply",
        complexity="3",
        limit=n,
        episode=EpisodeSettings(max_rounds=max_rounds, **cfg_kw),
        execution=ExecutionSettings(concurrency=2),
    )
    models = Models(task_model, [guide] if guide else [], checker, executor)
    out = runner.steer(store, cfg, models=models)
    run = out.run
    with store.read() as s:
        eps = s.exec(
            select(EpisodeRow).where(EpisodeRow.run_id == run.id).order_by(EpisodeRow.id)
        ).all()
        turns = {
            e.id: s.exec(
                select(TurnRow).where(TurnRow.episode_id == e.id).order_by(TurnRow.seq)
            ).all()
            for e in eps
        }
        execs = {
            e.id: s.exec(select(CodeExecutionRow).where(CodeExecutionRow.episode_id == e.id)).all()
            for e in eps
        }
    return out, eps, turns, execs, samples


def _expr(text: str) -> str:
    """The product asked for in a number_multiply question."""
    return text.split("result of ")[1].split("?")[0]


def _product_code(messages) -> str:  # type: ignore[no-untyped-def]
    """A task model that reads the factors from the question and writes correct code."""
    return code(f"print('<<<' + str({_expr(messages[0]['content'])}) + '>>>')")


def test_return_after_a_verified_code_answer(store: Store, executor: Executor) -> None:
    guide = ScriptedModel("guide", ["<<<Code>>>", "<<<Return Answer>>>"])
    task_model = ScriptedModel("task", _product_code)
    out, eps, turns, execs, _ = _run(store, executor, "codesteer", task_model, guide, _checker())
    ep = eps[0]
    assert out.finished == 1 and ep.status == "finished"
    assert ep.score == 1.0 and ep.passed_by == "code" and ep.stop_reason == "return"
    assert ep.rounds == 1
    roles = [t.role for t in turns[ep.id]]
    assert roles == ["guide", "task", "checker", "guide"]
    assert [t.seq for t in turns[ep.id]] == [0, 1, 2, 3]
    task_turn = turns[ep.id][1]
    assert task_turn.extra["mode"] == "code" and task_turn.extra["has_code"]
    assert task_turn.extra["symbolic"]["valid"] is True
    assert task_turn.messages[0]["content"].startswith(get_prompts().code)
    checker_turn = turns[ep.id][2]
    assert checker_turn.extra["correct"] is True
    purposes = sorted(e.purpose for e in execs[ep.id])
    assert purposes == ["answer", "self_check"]
    # the guide saw the execution output and both checkers' findings
    last_guide_prompt = turns[ep.id][3].messages[-1]["content"]
    assert "output: <<<" in last_guide_prompt and "Symbolic checker" in last_guide_prompt
    assert "Self-answer checker: the answer checks out" in last_guide_prompt
    assert ep.extra["answer_modes"] == ["code"]


def test_terminate_scores_the_last_answer(store: Store, executor: Executor) -> None:
    guide = ScriptedModel("guide", ["<<<Text>>>", "<<<Terminate>>>"])
    task_model = ScriptedModel("task", ["I think it is <<<12>>>"])
    out, eps, turns, _, _ = _run(store, executor, "codesteer", task_model, guide, _checker(False))
    ep = eps[0]
    assert ep.stop_reason == "terminate" and ep.score == 0.0 and ep.passed_by == "none"
    assert turns[ep.id][1].extra["mode"] == "text" and not turns[ep.id][1].extra["has_code"]
    assert turns[ep.id][1].messages[0]["content"].startswith(get_prompts().text)


def test_code_error_then_switch_to_text(store: Store, executor: Executor) -> None:
    guide = ScriptedModel("guide", ["<<<Code>>>", "<<<Text>>>", "<<<Return Answer>>>"])

    def task_script(messages):  # type: ignore[no-untyped-def]
        if len(messages) == 1:
            return code("raise ZeroDivisionError('oops')")
        expr = _expr(messages[0]["content"])
        return f"Multiplying by hand: <<<{math.prod(int(x) for x in expr.split('*'))}>>>"

    out, eps, turns, execs, _ = _run(
        store, executor, "codesteer", ScriptedModel("task", task_script), guide, _checker()
    )
    ep = eps[0]
    assert ep.status == "finished" and ep.score == 1.0 and ep.passed_by == "text"
    assert ep.rounds == 2 and ep.extra["answer_modes"] == ["code", "text"]
    answer_run = [e for e in execs[ep.id] if e.purpose == "answer"][0]
    assert answer_run.exit_status == 1 and "ZeroDivisionError" in answer_run.stderr
    second_task = [t for t in turns[ep.id] if t.role == "task"][1]
    nxt = second_task.messages[-1]["content"]
    assert "ZeroDivisionError" in nxt and get_prompts().text in nxt
    guide_feedback = [t for t in turns[ep.id] if t.role == "guide"][1].messages[-1]["content"]
    assert "errors:" in guide_feedback


def test_round_limit(store: Store, executor: Executor) -> None:
    guide = ScriptedModel("guide", ["<<<Code>>>", "<<<Check the second factor again.>>>"])
    task_model = ScriptedModel("task", [code("print('<<<1>>>')")])
    out, eps, turns, _, _ = _run(
        store, executor, "codesteer", task_model, guide, _checker(False), max_rounds=2
    )
    ep = eps[0]
    assert ep.stop_reason == "max_rounds" and ep.rounds == 3 and ep.score == 0.0
    roles = [t.role for t in turns[ep.id]]
    assert roles.count("task") == 3 and roles.count("guide") == 3
    assert roles.count("checker") == 2  # no self-check after the final answer
    free = [t for t in turns[ep.id] if t.role == "task"][1].messages[-1]["content"]
    assert "Check the second factor again." in free


def test_checkers_can_be_switched_off(store: Store, executor: Executor) -> None:
    guide = ScriptedModel("guide", ["<<<Code>>>", "<<<Return Answer>>>"])
    out, eps, turns, execs, _ = _run(
        store,
        executor,
        "codesteer",
        ScriptedModel("task", _product_code),
        guide,
        _checker(),
        self_check=False,
        symbolic_checker=False,
    )
    ep = eps[0]
    assert [t.role for t in turns[ep.id]] == ["guide", "task", "guide"]
    assert "symbolic" not in turns[ep.id][1].extra
    assert "Symbolic checker" not in turns[ep.id][2].messages[-1]["content"]
    assert [e.purpose for e in execs[ep.id]] == ["answer"]


def test_a_failing_call_fails_only_its_episode(store: Store, executor: Executor) -> None:
    calls = {"n": 0}
    lock = threading.Lock()

    def task_script(messages):  # type: ignore[no-untyped-def]
        with lock:
            calls["n"] += 1
            first = calls["n"] == 1
        return "FAIL" if first else _product_code(messages)

    out, eps, turns, _, _ = _run(
        store, executor, "all_code", ScriptedModel("task", task_script), n=3
    )
    assert out.failed == 1 and out.finished == 2
    failed = [e for e in eps if e.status == "failed"]
    assert len(failed) == 1 and "scripted failure" in failed[0].error
    assert [t.error is not None for t in turns[failed[0].id]] == [True]
    assert all(e.score == 1.0 for e in eps if e.status == "finished")


@pytest.mark.parametrize(
    "method, roles",
    [
        ("only_question", ["task"]),
        ("all_text", ["task"]),
        ("all_code", ["task"]),
        ("code_interpreter", ["task", "task"]),
        ("code_text_sum", ["task", "task", "task"]),
        ("self_estimate", ["task", "task"]),
        ("code_first_rule", ["task"]),
    ],
)
def test_baselines(store: Store, executor: Executor, method: str, roles: list[str]) -> None:
    def task_script(messages):  # type: ignore[no-untyped-def]
        expr = _expr(" ".join(m["content"] for m in messages))
        last = messages[-1]["content"]
        if last.startswith("Before solving"):
            return "<<<Code>>>"
        if last.startswith("Running your code gave"):  # code_interpreter: final, no code
            return "The final answer is " + last.split("output: ")[1].splitlines()[0]
        if last.startswith("Two attempts"):  # code_text_sum's summary
            return f"Both agree: <<<{math.prod(int(x) for x in expr.split('*'))}>>>"
        return code(f"print('<<<' + str({expr}) + '>>>')")

    out, eps, turns, _, _ = _run(store, executor, method, ScriptedModel("task", task_script))
    ep = eps[0]
    assert ep.status == "finished", ep.error
    assert [t.role for t in turns[ep.id]] == roles
    assert ep.score == 1.0, (method, ep.final_answer, ep.extra)


def test_guide_is_required_only_by_guided_methods() -> None:
    # code_text_sum2's --guide is its summarizer (tests/steering/test_paper_baselines.py)
    assert {"codesteer", "symbolic_agent", "code_text_sum2"} == runner.NEEDS_GUIDE


def test_a_stopped_episode_restarts_clean_on_resume(store: Store, executor: Executor) -> None:
    stop = threading.Event()
    guide = ScriptedModel("guide", ["<<<Code>>>", "<<<Return Answer>>>"])

    def task_script(messages):  # type: ignore[no-untyped-def]
        stop.set()  # Ctrl-C arrives while the task model answers
        return _product_code(messages)

    repo.add_samples(store, [TASK.generate(3, 0)])
    cfg = runner.SteerConfig(
        method="codesteer",
        tasks="number_multiply",
        complexity="3",
        limit=1,
        episode=EpisodeSettings(self_check=False),
        execution=ExecutionSettings(concurrency=1),
    )

    def models(task_model) -> Models:  # type: ignore[no-untyped-def]
        return Models(task_model, [guide], executor=executor)

    out = runner.steer(
        store, cfg, models=models(ScriptedModel("task", task_script)), stop=stop, name="stopped"
    )
    assert out.results[0].status == "stopped"
    assert out.status == "stopped" and out.left == 1 and out.exit_code == 3
    with store.read() as s:
        assert len(s.exec(select(TurnRow)).all()) == 2  # guide + task before the stop
    opened = open_run(store, cfg, resume="stopped")
    assert opened.done == 0 and len(opened.todo) == 1
    with store.read() as s:
        assert s.exec(select(TurnRow)).all() == []  # the partial turns are gone
    guide.script = ["<<<Code>>>", "<<<Return Answer>>>"]
    guide.requests.clear()
    out = runner.steer(
        store, cfg, resume="stopped", models=models(ScriptedModel("task", _product_code))
    )
    assert out.finished == 1 and out.exit_code == 0
    with store.read() as s:
        seqs = [t.seq for t in s.exec(select(TurnRow).order_by(TurnRow.seq)).all()]
    assert seqs == [0, 1, 2]
