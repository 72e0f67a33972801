"""Table 1's AutoGen Conca. (`autogen_concat`) and Code + Text + Sum.2 (`code_text_sum2`),
played through the real runner with scripted models (the named test fixture), the real
sandbox and the real number_multiply verifier."""

from __future__ import annotations

import ast
import math
import os
import re
from pathlib import Path

import pytest

from codesteer_cli.sandbox.executor import Executor
from codesteer_cli.steering import methods
from codesteer_cli.steering.prompts import PROMPT_SETS, get_prompts
from codesteer_cli.store.db import Store
from tests.fixtures.scripted import ScriptedModel, code
from tests.steering.test_episode_paths import _expr, _product_code, _run


def _product(messages) -> int:  # type: ignore[no-untyped-def]
    return math.prod(int(x) for x in _expr(messages[0]["content"]).split("*"))


# --- autogen_concat ---------------------------------------------------------------------
def test_autogen_concat_is_one_turn_after_the_assistant_instructions(
    store: Store, executor: Executor
) -> None:
    task = ScriptedModel("task", _product_code)
    out, eps, turns, execs, samples = _run(store, executor, "autogen_concat", task)
    ep = eps[0]
    assert ep.status == "finished" and ep.score == 1.0 and ep.passed_by == "code"
    assert ep.stop_reason == "single" and ep.rounds == 1
    assert [t.role for t in turns[ep.id]] == ["task"]
    (msg,) = turns[ep.id][0].messages
    assert msg == {"role": "user", "content": f"{get_prompts().autogen}\n\n{samples[0].question}"}
    assert turns[ep.id][0].extra["mode"] == "free"
    assert [e.purpose for e in execs[ep.id]] == ["answer"]
    assert len(task.requests) == 1  # no execution feedback turn: a single answer


def test_autogen_concat_text_answer_with_terminate_scores(store: Store, executor: Executor) -> None:
    def text_answer(messages):  # type: ignore[no-untyped-def]
        return f"Plan: multiply step by step. The product is <<<{_product(messages)}>>>\nTERMINATE"

    out, eps, turns, execs, _ = _run(
        store, executor, "autogen_concat", ScriptedModel("task", text_answer)
    )
    assert eps[0].score == 1.0 and eps[0].passed_by == "text" and not execs[eps[0].id]


# --- code_text_sum2 ---------------------------------------------------------------------
def _code_right_text_wrong(messages):  # type: ignore[no-untyped-def]
    if messages[0]["content"].startswith(get_prompts().code):
        return _product_code(messages)
    return "By hand I get <<<12>>>"


def test_code_text_sum2_summarizer_is_the_guide_model(store: Store, executor: Executor) -> None:
    task = ScriptedModel("task", _code_right_text_wrong)
    seen: list[str] = []

    def summarize(messages):  # type: ignore[no-untyped-def]
        seen.append(messages[-1]["content"])
        expr = messages[-1]["content"].split("result of ")[1].split("?")[0]
        return "The program's output is right.\n" + code(f"print('<<<' + str({expr}) + '>>>')")

    summarizer = ScriptedModel("summarizer", summarize)
    out, eps, turns, execs, samples = _run(store, executor, "code_text_sum2", task, summarizer)
    ep = eps[0]
    assert ep.status == "finished" and ep.score == 1.0, ep.error
    assert ep.stop_reason == "summary" and ep.rounds == 3
    assert ep.extra["answer_modes"] == ["code", "text", "free"]
    roles = [t.role for t in turns[ep.id]]
    assert roles == ["task", "task", "guide"]
    assert len(task.requests) == 2 and len(summarizer.requests) == 1
    summary_turn = turns[ep.id][2]
    assert summary_turn.model == "scripted:summarizer"
    assert summary_turn.extra["purpose"] == "summary" and summary_turn.extra["has_code"]
    assert summary_turn.extra["symbolic"]["valid"] is True
    # the summarizer reads the question, the code attempt with its output, the text attempt
    (prompt,) = seen
    assert prompt.startswith(get_prompts().summarize.split("{")[0])
    assert samples[0].question in prompt and "output: <<<" in prompt and "<<<12>>>" in prompt
    # its answer is final: its code ran (after the code attempt's), and it was scored
    assert ep.final_answer == summary_turn.response
    assert [e.purpose for e in execs[ep.id]] == ["answer", "answer"]
    assert {e.turn_id for e in execs[ep.id]} == {turns[ep.id][0].id, summary_turn.id}
    # the summarizer's tokens are the guide's, apart from the task model's
    assert ep.extra["tokens"]["guide"] > 0 and ep.extra["tokens"]["task"] > 0


def test_code_text_sum2_a_wrong_summary_is_the_final_answer(
    store: Store, executor: Executor
) -> None:
    task = ScriptedModel("task", _code_right_text_wrong)
    summarizer = ScriptedModel("summarizer", ["The text attempt is right: <<<12>>>"])
    out, eps, turns, execs, _ = _run(store, executor, "code_text_sum2", task, summarizer)
    ep = eps[0]
    assert ep.status == "finished" and ep.score == 0.0 and ep.passed_by == "none"
    assert not turns[ep.id][2].extra["has_code"]


def test_code_text_sum2_a_failing_summarizer_fails_the_episode(
    store: Store, executor: Executor
) -> None:
    task = ScriptedModel("task", _code_right_text_wrong)
    out, eps, turns, _, _ = _run(
        store, executor, "code_text_sum2", task, ScriptedModel("summarizer", ["FAIL"])
    )
    ep = eps[0]
    assert ep.status == "failed" and "summarizer model call failed" in ep.error
    assert [t.role for t in turns[ep.id]] == ["task", "task", "guide"]
    assert turns[ep.id][2].error is not None


def test_code_text_sum2_without_a_guide_the_task_model_summarizes(
    store: Store, executor: Executor
) -> None:
    def script(messages):  # type: ignore[no-untyped-def]
        if messages[-1]["content"].startswith("Two attempts"):
            return "Both agree: <<<0>>>"
        return _code_right_text_wrong(messages)

    task = ScriptedModel("task", script)
    out, eps, turns, _, _ = _run(store, executor, "code_text_sum2", task)
    ep = eps[0]
    assert ep.status == "finished", ep.error
    assert [t.role for t in turns[ep.id]] == ["task", "task", "guide"]
    assert {t.model for t in turns[ep.id]} == {"scripted:task"} and len(task.requests) == 3


def test_the_summarizer_method_has_a_guide_slot() -> None:
    assert methods.SUMMARIZER_GUIDE == {"code_text_sum2"} <= methods.NEEDS_GUIDE
    assert {"autogen_concat", "code_text_sum2"} <= set(methods.METHODS)
    assert "autogen_concat" not in methods.NEEDS_GUIDE


# --- our own words --------------------------------------------------------------------
def _original_prompt_strings() -> list[str]:
    root = Path(__file__).resolve().parents[2].parent / "shared" / "original-release"
    path = Path(os.environ.get("CODESTEER_ORIGINAL_RELEASE", root)) / "prompt.py"
    if not path.is_file():
        pytest.fail(f"the original release's {path} is missing (set CODESTEER_ORIGINAL_RELEASE)")
    tree = ast.parse(path.read_text(encoding="utf-8"))  # read, never executed
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append(node.value)
    return out


def _shingles(text: str, n: int = 6) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@pytest.mark.parametrize("name", sorted(PROMPT_SETS))
def test_baseline_prompts_are_not_the_originals_sentences(name: str) -> None:
    theirs = set().union(*(_shingles(s) for s in _original_prompt_strings()))
    p = PROMPT_SETS[name]
    for ours in (p.autogen, p.summarize):
        shared = _shingles(ours) & theirs
        assert not shared, f"{name}: six-word runs shared with the original: {shared}"
