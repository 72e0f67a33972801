"""`steer --protocol original`: the original release's CodeSteer loop, as its benchmark
script runs it, with every prompt read from the user's copy of the release.

`codesteer` is its path for a fine-tuned guide (the released `CodeSteer-v1`): the guide's
first input is the choice prompt and the question, and its raw reply, put before the
question, is the task model's first message. Each later guide input is the short
"training" form (the response with its execution result, the checker's verdict, the
code-complexity summary), and the guide sees its whole history as alternating turns
with its raw replies. `symbolic_agent` is its path for an API guide (GPT-4o): the first
choice is paraphrased into the task model's instruction, every later input carries the
decision prompt and the question, and the guide's last `<<<...>>>` span is its reply.
Either way `<<<Code>>>`/`<<<Text>>>` become the fixed code/text prompts, a reply holding
"Return Answer" or "Terminate" stops, and anything else reaches the task model as is.
The task model's history holds its own answers only, never the execution results.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from codesteer_cli.errors import UserError
from codesteer_cli.steering import original_checks as oc
from codesteer_cli.steering.episode import Answer, Outcome

if TYPE_CHECKING:
    from codesteer_cli.models.base import ChatModel
    from codesteer_cli.sandbox.executor import ExecResult
    from codesteer_cli.steering.episode import Episode
    from codesteer_cli.steering.original_release import OriginalRelease

METHODS = ("codesteer", "symbolic_agent")
CODE, TEXT = "<<<Code>>>", "<<<Text>>>"
STOPS = ("Return Answer", "Terminate")
GUIDE_SAMPLING = {"top_p": 0.7, "top_k": 50}  # LLaMA-Factory's defaults, the trained guide's
_SPAN = re.compile(r"<<<(.*?)>>>", re.DOTALL)


def defaults(method: str) -> dict[str, Any]:
    """The original's settings, where the user gave none: task model and checker at
    temperature 0 with 2,000 new tokens; the fine-tuned guide with LLaMA-Factory's
    default sampling (temperature 0.95, top_p 0.7, top_k 50 — `GUIDE_SAMPLING` — and 1,024
    new tokens; APIs without top_k get top_p only), the API guide as the task model; 10 s
    code runs; 5 rounds after the first answer."""
    guide = (0.95, 1024) if method == "codesteer" else (0.0, 2000)
    return {
        "task_max_tokens": 2000,
        "checker_max_tokens": 2000,
        "guide_temperature": guide[0],
        "guide_max_tokens": guide[1],
        "code_timeout_s": 10.0,
        "max_rounds": 5,
    }


def check_method(method: str) -> None:
    if method not in METHODS:
        raise UserError(
            f"--protocol original runs {' or '.join(METHODS)}, not {method!r} "
            "(the baselines keep our protocol)"
        )


@dataclass
class _Step:
    """One task-model answer, with what the loop made of it."""

    text: str
    turn_id: int
    blocks: list[str]
    run: ExecResult | None = None
    summary: str = ""


def play(ep: Episode, method: str) -> Outcome:
    check_method(method)
    rel = ep.setup.release
    if rel is None:
        raise UserError("--protocol original needs the original release (--original-release)")
    return _Loop(ep, rel, api_guide=method == "symbolic_agent").run()


class _Loop:
    def __init__(self, ep: Episode, rel: OriginalRelease, api_guide: bool) -> None:
        self.ep, self.rel, self.api = ep, rel, api_guide
        self.cfg = ep.setup.settings
        self.q = ep.sample.question
        self.guide_full: list[str] = []  # the API guide's inputs
        self.guide_short: list[str] = []  # the fine-tuned guide's ("training list")
        self.guide_out: list[str] = []
        self.task_in: list[str] = []
        self.task_out: list[str] = []
        self.modes: list[str] = []

    @property
    def guide(self) -> ChatModel:
        assert self.ep.setup.guide is not None
        return self.ep.setup.guide

    def guide_call(self, round_: int, user: list[str], purpose: str | None = None) -> str:
        prefix = oc.system_prefix(self.guide) if self.api else []
        msgs = [*prefix, *oc.alternate(user, self.guide_out)]
        if purpose:  # the paraphrase: a conversation of its own
            msgs = [*prefix, {"role": "user", "content": user[-1]}]
        extra = {"protocol": "original", **({"purpose": purpose} if purpose else {})}
        comp = self.ep.call(
            "guide",
            self.guide,
            msgs,
            round_,
            self.cfg.guide_max_tokens,
            self.cfg.guide_temperature,
            extra,
            None if self.api else GUIDE_SAMPLING,
        )
        return comp.text

    def answer(self, round_: int, mode: str) -> _Step:
        """The task model's next answer; its first code block is analyzed and run now
        when a checking round follows (the last answer's code runs only at the end)."""
        ep, s = self.ep, self.ep.setup
        msgs = [*oc.system_prefix(s.task_model), *oc.alternate(self.task_in, self.task_out)]
        comp, params = oc.complete(
            ep, "task", s.task_model, msgs, round_, self.cfg.task_max_tokens, self.cfg.temperature
        )
        step = _Step(comp.text, 0, oc.code_blocks(self.rel, comp.text))
        extra: dict[str, Any] = {
            "protocol": "original",
            "mode": mode,
            "has_code": bool(step.blocks),
        }
        code_run = None
        if step.blocks and round_ < self.cfg.max_rounds:
            step.summary, score = oc.summary_with_warning(self.rel, step.blocks[0])
            extra["symbolic"] = {
                "complexity": score,
                "low_complexity": score <= oc.LOW_COMPLEXITY,
                "summary": step.summary,
            }
            limits = dataclasses.replace(s.executor.limits, wall_s=self.cfg.code_timeout_s)
            step.run = s.executor.run(step.blocks[0], limits=limits)
            code_run = ("answer", step.blocks[0], step.run)
        if round_ < self.cfg.max_rounds:  # the answer a guide reads next (the last runs later)
            ep.note_verdict(extra, comp.text, step.run.stdout if step.run is not None else None)
        step.turn_id = ep.rec.turn("task", round_, msgs, comp, params, extra, code_run)
        self.modes.append(mode)
        return step

    def first_instruction(self) -> tuple[str, str] | None:
        """(instruction, mode) for the first answer; None when the API guide chose
        neither code nor text (the original skipped the sample)."""
        reply = self.guide_call(0, [self.rel.choice + self.q])
        if not self.api:
            self.guide_out.append(reply)
            return reply, _mode(reply)
        for mark, prompt, mode in ((CODE, self.rel.code, "code"), (TEXT, self.rel.text, "text")):
            if mark in reply:
                para = self.guide_call(0, [self.rel.paraphrase + prompt], purpose="paraphrase")
                self.guide_out.append(para)
                return para, mode
        return None

    def run(self) -> Outcome:
        self.guide_full, self.guide_short = [self.rel.choice + self.q], [self.rel.choice + self.q]
        first = self.first_instruction()
        if first is None:
            return Outcome(Answer("", 0, None, "free"), 0, "no_choice", [])
        self.task_in = [first[0] + self.q]
        steps = [self.answer(0, first[1])]
        reason = "max_rounds"
        for depth in range(self.cfg.max_rounds):
            step = steps[-1]
            seen = step.text
            if step.blocks:
                assert step.run is not None
                seen = oc.execution_view(self.rel, seen, step.run, depth, self.cfg.code_timeout_s)
            check = oc.answer_check(self.ep, self.rel, seen, depth)
            if step.blocks:
                short = self.rel.round_code.fill(
                    response=seen, check_result=check, code_complexity_summary=step.summary
                )
            else:
                short = self.rel.round_text.fill(response=seen, check_result=check)
            head = self.rel.round_head.fill(decision_prompt=self.rel.decision, question=self.q)
            self.guide_full.append(head + short)
            self.guide_short.append(short)
            reply = self.guide_call(depth + 1, self.guide_full if self.api else self.guide_short)
            if self.api:
                spans = _SPAN.findall(reply)
                reply = spans[-1] if spans else reply
            self.guide_out.append(reply)
            if CODE in reply:
                instruction, mode = self.rel.code, "code"
            elif TEXT in reply:
                instruction, mode = self.rel.text, "text"
            elif any(stop in reply for stop in STOPS):
                reason = "return" if STOPS[0] in reply else "terminate"
                break
            else:
                instruction, mode = reply, "free"
            self.task_in.append(instruction)
            self.task_out.append(step.text)
            steps.append(self.answer(depth + 1, mode))
        return self.finish(steps, reason)

    def finish(self, steps: list[_Step], reason: str) -> Outcome:
        """Score the last answer's text and its first code block re-run; with no block
        in it, the code the first round ran stands in (the original re-ran the file that
        round left behind)."""
        last = steps[-1]
        code = last.blocks[0] if last.blocks else None
        if code is None and steps[0].blocks and self.cfg.max_rounds > 0:
            code = steps[0].blocks[0]
        final = oc.final_run(self.ep, code)
        if final is not None:
            self.ep.rec.code_run(last.turn_id, "final", final.code, final.run)
            if final.run.timed_out or final.run.error:
                final = None
        ans = Answer(last.text, len(steps) - 1, final, self.modes[-1])
        self.ep.answers.append(ans)
        return Outcome(ans, len(steps), reason, list(self.modes))


def _mode(reply: str) -> str:
    return "code" if CODE in reply else "text" if TEXT in reply else "free"
