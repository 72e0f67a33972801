"""Helpers for the synthesis tests: scripted models that see the call's parameters, a
task model that answers from the stored reference answers, and runs driven in-process.

The scripted models are TEST FIXTURES (tests/fixtures/scripted.py): only model replies
are scripted; code runs in the real sandbox and answers are scored by the real verifier.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlmodel import select

from codesteer_cli.models.base import GenParams, RawReply
from codesteer_cli.steering.prompts import get_prompts
from codesteer_cli.store.db import Store, resolve_url
from codesteer_cli.store.models import SampleRow
from tests.fixtures.scripted import ScriptedModel, ScriptFailure, code

P = get_prompts()
SELF_CHECK_PREFIX = P.self_check.split("{")[0][:60]
WRONG = "<<<0.123456>>>"


class ParamScripted(ScriptedModel):
    """A scripted model whose script also gets the generation parameters (`repeat`,
    `temperature`): sibling branches of a tree differ only there."""

    def __init__(self, name: str, script: Callable[[list[dict[str, str]], GenParams], str]):
        super().__init__(name, lambda m: "")
        self.pscript = script
        self.params: list[GenParams] = []

    def _request(self, messages: list[dict[str, str]], params: GenParams) -> RawReply:
        with self._lock:
            self.requests.append(messages)
            self.params.append(params)
        text = self.pscript(messages, params)
        if text == "FAIL":
            raise ScriptFailure("scripted failure")
        return RawReply(text, len(str(messages)) // 4, len(text) // 4)


def new_store(path: Path) -> Store:
    s = Store(resolve_url(str(path)))
    s.upgrade()
    return s


class AnswerBook:
    """Question text -> reference answer, filled from the store's samples."""

    def __init__(self) -> None:
        self.by_question: dict[str, str] = {}
        self.hard: set[str] = set()  # questions the task model always gets wrong
        self._lock = threading.Lock()

    def load(self, store: Store) -> AnswerBook:
        with store.read() as s:
            rows = s.exec(select(SampleRow)).all()
        with self._lock:
            self.by_question = {r.question: r.answer for r in rows}
        return self

    def find(self, text: str) -> str:
        for q in self.by_question:
            if q in text:
                return q
        raise AssertionError(f"no known question in: {text[:200]!r}")


def task_script(book: AnswerBook) -> Callable[[list[dict[str, str]]], str]:
    """A task model: correct code when asked for code or given free guidance, a wrong
    answer when asked for text; always wrong on `book.hard` questions; and a checking
    program printing Correct when asked to verify (Self-answer Checker)."""

    def script(messages: list[dict[str, str]]) -> str:
        first, last = messages[0]["content"], messages[-1]["content"]
        if first.startswith(SELF_CHECK_PREFIX):
            return code("print('Correct')")
        q = book.find(first)
        if q in book.hard:
            return code(f"print({WRONG!r})")
        if last.endswith(P.text) or last.startswith(P.text):
            return f"Reasoning in text, I get {WRONG}"
        return code(f"print({book.by_question[q]!r})")

    return script


def grow(
    store: Store,
    executor: Any,
    guide_replies: dict[tuple[int, ...], str] | list[dict[tuple[int, ...], str]],
    book: AnswerBook | None = None,
    **cfg_kw: Any,
):  # type: ignore[no-untyped-def]
    """Grow one tree per sample (gsm_hard, complexity 2 unless told); each scripted guide
    answers by its node's path, decoded from the call's `repeat`. Returns (outcome,
    nodes by path of the last tree, pairs, episodes, guides, task model, run)."""
    from codesteer_cli.runs.settings import EpisodeSettings, ExecutionSettings
    from codesteer_cli.steering.episode import Models
    from codesteer_cli.store.models import DPONodeRow, DPOPairRow, EpisodeRow
    from codesteer_cli.synthesis import dpo
    from codesteer_cli.synthesis.tree import repeat_path

    kw: dict[str, Any] = {
        "tasks": "gsm_hard",
        "per_task": 1,
        "complexity": "2",
        "branches": 2,
        "max_depth": 2,
        **cfg_kw,
    }
    max_rounds = kw.pop("max_rounds", 5)
    concurrency = kw.pop("concurrency", 3)
    tables = guide_replies if isinstance(guide_replies, list) else [guide_replies]
    book = book or AnswerBook()
    specs = tuple(f"scripted:guide{i}" for i in range(len(tables)))
    cfg = dpo.DpoConfig(
        guides=specs,
        task_model="scripted:task",
        episode=EpisodeSettings(max_rounds=max_rounds),
        execution=ExecutionSettings(concurrency=concurrency),
        **kw,
    )

    def guide_script(table: dict[tuple[int, ...], str]):  # type: ignore[no-untyped-def]
        def script(messages: list[dict[str, str]], params: GenParams) -> str:
            return table[repeat_path(params.repeat, cfg.branches)]

        return script

    guides = [ParamScripted(f"guide{i}", guide_script(t)) for i, t in enumerate(tables)]
    task = ParamScripted("task", lambda m, p: task_script(book)(m))
    models = Models(task_model=task, guides=list(guides), executor=executor)  # type: ignore[arg-type]
    out = dpo.synthesize_dpo(store, cfg, models=models, on_open=lambda r: book.load(store))
    drun = out.run
    with store.read() as s:
        nodes = {
            n.path: n for n in s.exec(select(DPONodeRow).where(DPONodeRow.run_id == drun.id)).all()
        }
        pairs = s.exec(select(DPOPairRow).where(DPOPairRow.run_id == drun.id)).all()
        eps = s.exec(select(EpisodeRow).where(EpisodeRow.run_id == drun.id)).all()
    return out, nodes, pairs, eps, guides, task, drun


FAST_WRONG_TREE = {
    (0,): "<<<Text>>>",  # wrong text answer at round 0
    (0, 0): "<<<Return Answer>>>",  # return it: wrong at round 1 -> -1
    (0, 1): "<<<Code>>>",  # right code at round 1
    (0, 1, 0): "<<<Check the factors again.>>>",  # (rollout) right again at round 2
    (0, 1, 0, 0): "<<<Return Answer>>>",  # correct at round 3 -> 12
    (1,): "<<<Code>>>",  # right code at round 0
    (1, 0): "<<<Return Answer>>>",  # correct at round 1 -> 14
    (1, 1): "<<<Text>>>",  # wrong text at round 1
    (1, 1, 0): "<<<Return Answer>>>",  # (rollout) wrong at round 2 -> -2
}


PLANS = {  # the teacher's replies, by variant and guide turn
    "free": ["<<<Code>>>", "<<<Return Answer>>>"],
    "text_to_code": ["<<<Text>>>", "<<<Code>>>", "<<<Return Answer>>>"],
    "more_code": ["<<<Code>>>", "<<<Check it once more.>>>", "<<<Check it once more.>>>"],
}


def teacher_script(messages: list[dict[str, str]], params: GenParams) -> str:
    system = messages[0]["content"]
    variant = next((v for v in ("text_to_code", "more_code") if P.variants[v] in system), "free")
    turn = sum(m["role"] == "assistant" for m in messages)
    return PLANS[variant][turn]


def synthesize(
    store: Store,
    executor: Any,
    book: AnswerBook,
    name: str | None = None,
    hard: int = 0,
    per_task: int = 3,
):  # type: ignore[no-untyped-def]
    """A scripted `synthesize sft` (gsm_hard, complexity 2, all three variants, at most 3
    guide turns): the teacher follows PLANS, the task model `task_script`; `hard`
    samples are always answered wrong. Models sit behind the store's response cache."""
    from codesteer_cli.models.cache import CachedModel
    from codesteer_cli.runs.settings import EpisodeSettings, ExecutionSettings
    from codesteer_cli.steering.episode import Models
    from codesteer_cli.synthesis import trajectories as tj

    cfg = tj.SftConfig(
        teacher="scripted:teacher",
        task_model="scripted:task",
        tasks="gsm_hard",
        per_task=per_task,
        complexity="2",
        episode=EpisodeSettings(max_rounds=2),  # at most 3 guide turns
        execution=ExecutionSettings(concurrency=3),
    )

    def on_open(run) -> None:  # type: ignore[no-untyped-def]
        book.load(store)
        if hard:
            book.hard = set(sorted({s.question for _, s in run.todo})[:hard])

    teacher = ParamScripted("teacher", teacher_script)
    task = ParamScripted("task", lambda m, p: task_script(book)(m))
    models = Models(CachedModel(task, store), [CachedModel(teacher, store)], executor=executor)
    out = tj.synthesize_sft(store, cfg, name, models=models, on_open=on_open)
    return out.run, out, teacher, task
