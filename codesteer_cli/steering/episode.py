"""One episode: a method applied to one sample, every call recorded, the result scored."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from codesteer_cli.runs.settings import EpisodeSettings, ExecutionSettings
from codesteer_cli.steering.checkers import self_answer_check, symbolic_check
from codesteer_cli.steering.code import CodeAnswer, run_answer_code
from codesteer_cli.steering.prompts import PromptSet, get_prompts
from codesteer_cli.steering.record import EpisodeRecorder
from symbench.answers import extract_answer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from codesteer_cli.models.base import ChatModel, Completion
    from codesteer_cli.sandbox.executor import Executor
    from codesteer_cli.steering.original_release import OriginalRelease
    from codesteer_cli.store.db import Store
    from symbench.core import Sample, Task


class EpisodeFailed(Exception):
    """A model call failed after its retries, or the episode could not go on."""


class Stopped(Exception):
    """The run was asked to stop (Ctrl-C, --max-cost) before this call."""


@dataclass
class Setup:
    """Everything an episode needs besides its sample; shared by all episodes of a run."""

    task_model: ChatModel
    executor: Executor
    settings: EpisodeSettings = field(default_factory=EpisodeSettings)
    guide: ChatModel | None = None
    checker_model: ChatModel | None = None  # Self-answer Checker; default: the task model
    variant: str = "free"  # teacher prompt variant (synthesis)
    stop: threading.Event = field(default_factory=threading.Event)
    release: OriginalRelease | None = None  # --protocol original: the release's strings

    @property
    def prompts(self) -> PromptSet:
        return get_prompts(self.settings.prompts)


@dataclass
class Models:
    """The models and executor a run plays with; tests pass their own."""

    task_model: ChatModel
    guides: list[ChatModel] = field(default_factory=list)
    checker_model: ChatModel | None = None
    executor: Executor | None = None

    @property
    def guide(self) -> ChatModel | None:
        return self.guides[0] if self.guides else None

    def setup(
        self, settings: EpisodeSettings, stop: threading.Event, guide: ChatModel | None = None
    ) -> Setup:
        from codesteer_cli.sandbox.executor import Executor, Limits

        if self.executor is None:
            self.executor = Executor(Limits(wall_s=settings.code_timeout_s))
        return Setup(
            task_model=self.task_model,
            executor=self.executor,
            settings=settings,
            guide=guide or self.guide,
            checker_model=self.checker_model,
            stop=stop,
        )


def make_models(
    store: Store,
    execution: ExecutionSettings,
    task_model: str,
    guides: Sequence[str] = (),
    checker_model: str | None = None,
) -> Models:
    """The models a config names, behind the store's response cache unless turned off."""
    from codesteer_cli.models import get_model

    def model(spec: str) -> ChatModel:
        return get_model(
            spec,
            store=store,
            cache=execution.cache,
            concurrency=execution.concurrency,
            request_timeout=execution.request_timeout,
        )

    return Models(
        task_model=model(task_model),
        guides=[model(g) for g in guides],
        checker_model=model(checker_model) if checker_model else None,
    )


@dataclass
class Answer:
    """One task-model answer, with its code run and checker findings."""

    text: str
    round: int
    code: CodeAnswer | None = None
    mode: str = "free"  # code | text | free: what the task model was asked to do
    symbolic_text: str = ""

    def candidate(self) -> str:
        """The answer the checkers and guide judge: printed by the code, else the text."""
        if self.code is not None and self.code.run.stdout.strip():
            return self.code.run.stdout.strip()[-3000:]
        ext = extract_answer(self.text)
        return ext.value if ext.value and not ext.fallback else self.text.strip()[-3000:]


@dataclass
class Outcome:
    final: Answer
    rounds: int
    stop_reason: str
    modes: list[str]


class Episode:
    """The state and helpers of one running episode; methods drive it."""

    def __init__(
        self, setup: Setup, task: Task, sample: Sample, rec: EpisodeRecorder, repeat: int = 0
    ) -> None:
        self.setup, self.task, self.sample, self.rec, self.repeat = (
            setup,
            task,
            sample,
            rec,
            repeat,
        )
        self.answers: list[Answer] = []

    # --- model calls ----------------------------------------------------------------
    def call(
        self,
        role: str,
        model: ChatModel,
        messages: list[dict[str, str]],
        round_: int,
        max_tokens: int,
        temperature: float,
        extra: dict[str, Any] | None = None,
        sampling: dict[str, Any] | None = None,
    ) -> Completion:
        comp, params = self.complete(
            role, model, messages, round_, max_tokens, temperature, extra, sampling
        )
        if role != "task":
            self.rec.turn(role, round_, messages, comp, params, extra)
        return comp

    def complete(
        self,
        role: str,
        model: ChatModel,
        messages: list[dict[str, str]],
        round_: int,
        max_tokens: int,
        temperature: float,
        extra: dict[str, Any] | None = None,
        sampling: dict[str, Any] | None = None,
    ) -> tuple[Completion, dict[str, Any]]:
        """One call with this episode's seed and repeat (and `sampling`: top_p/top_k); a
        failed call is recorded and ends the episode, a good one is left to the caller."""
        if self.setup.stop.is_set():
            raise Stopped()
        params = {
            "temperature": temperature,
            "max_tokens": max_tokens,
            "seed": self.setup.settings.seed,
            "repeat": self.repeat,
            **(sampling or {}),
        }
        comp = model.complete(list(messages), **params)  # type: ignore[arg-type]
        if not comp.ok:
            self.rec.turn(role, round_, messages, comp, params, extra)
            raise EpisodeFailed(f"{role} model call failed: {comp.error}")
        return comp, params

    def guide_call(self, messages: list[dict[str, str]], round_: int) -> Completion:
        s = self.setup
        assert s.guide is not None
        return self.call(
            "guide",
            s.guide,
            messages,
            round_,
            s.settings.guide_max_tokens,
            s.settings.guide_temperature,
        )

    def answer(
        self, messages: list[dict[str, str]], round_: int, mode: str, purpose: str | None = None
    ) -> Answer:
        """A task-model answer: run its code, apply the Symbolic Checker, record it."""
        s, cfg = self.setup, self.setup.settings
        comp = self.call(
            "task", s.task_model, messages, round_, cfg.task_max_tokens, cfg.temperature
        )
        code = run_answer_code(comp.text, s.executor)
        extra: dict[str, Any] = {"mode": mode, "has_code": code is not None}
        if purpose:
            extra["purpose"] = purpose
        ans = Answer(comp.text, round_, code, mode)
        if code is not None and cfg.symbolic_checker:
            report = symbolic_check(code.code)
            extra["symbolic"] = report.to_dict()
            ans.symbolic_text = report.text()
        params = {
            "temperature": cfg.temperature,
            "max_tokens": cfg.task_max_tokens,
            "seed": cfg.seed,
            "repeat": self.repeat,
        }
        self.note_verdict(extra, ans.text, code.run.stdout if code is not None else None)
        run = ("answer", code.code, code.run) if code is not None else None
        self.rec.turn("task", round_, messages, comp, params, extra, run)
        self.answers.append(ans)
        return ans

    def note_verdict(self, extra: dict[str, Any], text: str, stdout: str | None) -> None:
        """Store whether an answer is right in its turn's `extra["correct"]`, scored as a
        final answer is: kept for analysis (did the guide then read it right?), never shown
        to a model, and a failure to score never fails the episode."""
        with contextlib.suppress(Exception):
            extra["correct"] = score_texts(self.task, self.sample, text, stdout).correct

    def feedback(self, ans: Answer, with_self_check: bool = True) -> str:
        """Execution result and checker findings, as the guide reads them."""
        s = self.setup
        parts = []
        if ans.code is not None:
            parts.append(ans.code.feedback())
            if ans.symbolic_text:
                parts.append(ans.symbolic_text)
        else:
            parts.append("The answer contains no code.")
        if with_self_check and s.settings.self_check:
            parts.append(self.self_check(ans))
        return "\n\n".join(parts)

    def self_check(self, ans: Answer) -> str:
        s = self.setup
        if s.stop.is_set():
            raise Stopped()
        model = s.checker_model or s.task_model
        result = self_answer_check(
            model,
            self.sample.question,
            ans.candidate(),
            s.executor,
            max_tokens=s.settings.checker_max_tokens,
            max_attempts=s.settings.checker_attempts,
            repeat=self.repeat,
            prompts=s.prompts,
        )
        for i, comp in enumerate(result.completions):
            last = i == len(result.completions) - 1
            run = ("self_check", result.code, result.run) if last and result.code else None
            extra = {"verdict": result.verdict, "correct": result.correct} if last else None
            self.rec.turn("checker", ans.round, result.requests[i], comp, None, extra, run)
        return result.verdict


# --- scoring ----------------------------------------------------------------------
@dataclass
class Scored:
    score: float
    text_score: float
    code_score: float | None
    passed_by: str
    partial: bool
    detail: str

    @property
    def correct(self) -> bool:
        """Right as text or through its code's output."""
        return self.passed_by != "none"


def score_answer(task: Task, sample: Sample, ans: Answer) -> Scored:
    """Score the final answer as text and through its code's output; the better counts."""
    stdout = ans.code.run.stdout if ans.code is not None else None
    return score_texts(task, sample, ans.text, stdout)


def score_texts(task: Task, sample: Sample, text: str, stdout: str | None) -> Scored:
    """`score_answer` from an answer's text and what its code printed (None: no code)."""
    tv = task.verify(sample, text)
    cv = task.verify(sample, stdout) if stdout is not None else None
    code_score = cv.score if cv is not None else None
    best = max(tv.score, code_score or 0.0)
    t_ok, c_ok = tv.correct, bool(cv and cv.correct)
    passed = "both" if t_ok and c_ok else "text" if t_ok else "code" if c_ok else "none"
    chosen = cv if cv is not None and (code_score or 0) > tv.score else tv
    return Scored(best, tv.score, code_score, passed, chosen.partial, chosen.detail)
