"""The methods `steer --method` runs: CodeSteer and the paper's baselines (SPEC §2).

Each method is a function (Episode) -> Outcome, registered with `@method`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from codesteer_cli.errors import UserError
from codesteer_cli.steering.checkers import symbolic_check
from codesteer_cli.steering.code import run_answer_code
from codesteer_cli.steering.episode import Answer, Episode, EpisodeFailed, Outcome, Stopped
from codesteer_cli.steering.guidance import Guidance, parse_guidance

MethodFn = Callable[[Episode], Outcome]
METHODS: dict[str, MethodFn] = {}
NEEDS_GUIDE = {"codesteer", "symbolic_agent"}
# Methods whose --guide model is not a guide but writes the final answer (a summarizer);
# it defaults to the task model like a guide does, and its turns are recorded as "guide"
# (its tokens apart from the task model's, as the paper counts them).
SUMMARIZER_GUIDE = {"code_text_sum2"}
NEEDS_GUIDE |= SUMMARIZER_GUIDE


def method(name: str) -> Callable[[MethodFn], MethodFn]:
    def deco(fn: MethodFn) -> MethodFn:
        METHODS[name] = fn
        return fn

    return deco


def get_method(name: str) -> MethodFn:
    try:
        return METHODS[name]
    except KeyError:
        raise UserError(f"unknown method {name!r}; choose from {', '.join(METHODS)}") from None


def _user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def _assistant(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


def _single(ep: Episode, instruction: str | None, mode: str) -> Outcome:
    q = ep.sample.question
    ans = ep.answer([_user(f"{instruction}\n\n{q}" if instruction else q)], 0, mode)
    return Outcome(ans, 1, "single", [mode])


# --- guided methods ---------------------------------------------------------------
def _instruction(ep: Episode, g: Guidance) -> tuple[str, str]:
    """(instruction for the task model, mode) for a guidance."""
    p = ep.setup.prompts
    if g.kind == "code":
        return p.code, "code"
    if g.kind == "text":
        return p.text, "text"
    return g.text, "free"


@dataclass
class GuidedState:
    """A guided episode between two guide turns, forkable: the guide's conversation
    (ending with the user turn the guide answers next), the task model's conversation,
    the round of that next guide turn, the answer modes so far, the last answer, and,
    once the episode has ended, its outcome. `fork` gives an independent copy, so a
    data-synthesis tree can continue one state with several guidances."""

    guide_msgs: list[dict[str, str]]
    task_msgs: list[dict[str, str]] = field(default_factory=list)
    round: int = 0
    modes: list[str] = field(default_factory=list)
    last: Answer | None = None
    outcome: Outcome | None = None

    def fork(self) -> GuidedState:
        return GuidedState(
            list(self.guide_msgs),
            list(self.task_msgs),
            self.round,
            list(self.modes),
            self.last,
            self.outcome,
        )


def guided_start(ep: Episode, teacher: bool) -> GuidedState:
    """The state before the first guide turn: (teacher prompt +) choice prompt."""
    s, p = ep.setup, ep.setup.prompts
    guide_msgs: list[dict[str, str]] = []
    if teacher:
        extra = p.variants.get(s.variant, "")
        guide_msgs.append({"role": "system", "content": f"{p.teacher}\n{extra}".strip()})
    guide_msgs.append(_user(p.choice.format(question=ep.sample.question)))
    return GuidedState(guide_msgs)


def guided_step(ep: Episode, st: GuidedState, reply: str) -> GuidedState:
    """Apply the guide's `reply` to `st` (in place): stop, or have the task model answer,
    run its code and the checkers, and add the next round's prompt to the guide's
    conversation. Returns `st`; `st.outcome` is set once the episode has ended."""
    s, p, q = ep.setup, ep.setup.prompts, ep.sample.question
    g = parse_guidance(reply, p.options_for(st.round))
    if st.round == 0:
        if g.stops:  # nothing to return yet: start with code, the method's default
            g = Guidance("code", g.text)
        instruction, mode = _instruction(ep, g)
        st.task_msgs = [_user(f"{instruction}\n\n{q}")]
    else:
        assert st.last is not None
        if g.kind in ("return", "terminate"):
            reason = "return" if g.kind == "return" else "terminate"
            st.outcome = Outcome(st.last, st.round, reason, list(st.modes))
            return st
        instruction, mode = _instruction(ep, g)
        nxt = (
            p.after_code.format(feedback=st.last.code.feedback(), guidance=instruction)
            if st.last.code is not None
            else instruction
        )
        st.task_msgs = [*st.task_msgs, _assistant(st.last.text), _user(nxt)]
    ans = ep.answer(st.task_msgs, st.round, mode)
    st.modes = [*st.modes, mode]
    if st.round == s.settings.max_rounds:
        st.outcome = Outcome(ans, st.round + 1, "max_rounds", list(st.modes))
        return st
    feedback = ep.feedback(ans)
    reminder = p.reminder.format(answer_format=ep.task.answer_format)
    st.guide_msgs = [
        *st.guide_msgs,
        _assistant(reply),
        _user(p.round.format(answer=ans.text, feedback=feedback, reminder=reminder)),
    ]
    st.last = ans
    st.round += 1
    return st


def _guided(ep: Episode, teacher: bool) -> Outcome:
    st = guided_start(ep, teacher)
    while st.outcome is None:
        reply = ep.guide_call(st.guide_msgs, st.round)
        guided_step(ep, st, reply.text)
    return st.outcome


@method("codesteer")
def codesteer(ep: Episode) -> Outcome:
    """A guide model (fine-tuned or prompted) steers the task model round by round."""
    return _guided(ep, teacher=False)


@method("symbolic_agent")
def symbolic_agent(ep: Episode) -> Outcome:
    """A large model guides with the detailed teacher prompt (the synthesis teacher)."""
    return _guided(ep, teacher=True)


# --- baselines --------------------------------------------------------------------
@method("only_question")
def only_question(ep: Episode) -> Outcome:
    """The question alone, no guidance."""
    return _single(ep, None, "free")


@method("all_text")
def all_text(ep: Episode) -> Outcome:
    """Always reason in text (chain of thought)."""
    return _single(ep, ep.setup.prompts.text, "text")


@method("all_code")
def all_code(ep: Episode) -> Outcome:
    """Always answer with code (chain of thought, then a program)."""
    return _single(ep, ep.setup.prompts.code, "code")


@method("code_interpreter")
def code_interpreter(ep: Episode) -> Outcome:
    """The task model decides: its code is run and the output fed back until it answers."""
    p = ep.setup.prompts
    msgs = [{"role": "system", "content": p.interpreter}, _user(ep.sample.question)]
    modes: list[str] = []
    for round_ in range(ep.setup.settings.max_rounds + 1):
        ans = ep.answer(msgs, round_, "free")
        modes.append("code" if ans.code is not None else "text")
        if ans.code is None:
            return Outcome(ans, round_ + 1, "answered", modes)
        msgs += [
            _assistant(ans.text),
            _user(p.interpreter_next.format(feedback=ans.code.feedback())),
        ]
    return Outcome(ans, len(modes), "max_rounds", modes)


@method("code_text_sum")
def code_text_sum(ep: Episode) -> Outcome:
    """A code answer and a text answer, summarized by the task model into one."""
    p, q = ep.setup.prompts, ep.sample.question
    code_ans = ep.answer([_user(f"{p.code}\n\n{q}")], 0, "code")
    text_ans = ep.answer([_user(f"{p.text}\n\n{q}")], 0, "text")
    code_part = code_ans.text + ("\n\n" + code_ans.code.feedback() if code_ans.code else "")
    msgs = [_user(p.summarize.format(question=q, code_answer=code_part, text_answer=text_ans.text))]
    final = ep.answer(msgs, 1, "free", purpose="summary")
    return Outcome(final, 3, "summary", ["code", "text", "free"])


@method("self_estimate")
def self_estimate(ep: Episode) -> Outcome:
    """The task model first estimates whether code or text suits it, then answers so."""
    s, p = ep.setup, ep.setup.prompts
    msgs = [_user(p.estimate.format(question=ep.sample.question))]
    comp = ep.call(
        "task", s.task_model, msgs, 0, 64, s.settings.temperature, extra={"purpose": "estimate"}
    )
    ep.rec.turn("task", 0, msgs, comp, None, {"purpose": "estimate", "mode": "estimate"})
    g = parse_guidance(comp.text, p.choice_options)
    out = _single(
        ep, p.text if g.kind == "text" else p.code, "text" if g.kind == "text" else "code"
    )
    return Outcome(out.final, 1, f"estimate:{'text' if g.kind == 'text' else 'code'}", out.modes)


@method("code_first_rule")
def code_first_rule(ep: Episode) -> Outcome:
    """Code first; if the code is missing, fails or prints nothing, answer in text."""
    p, q = ep.setup.prompts, ep.sample.question
    first = ep.answer([_user(f"{p.code}\n\n{q}")], 0, "code")
    if first.code is not None and first.code.run.ok and first.code.run.stdout.strip():
        return Outcome(first, 1, "code_ok", ["code"])
    second = ep.answer([_user(f"{p.text}\n\n{q}")], 1, "text")
    return Outcome(second, 2, "code_failed", ["code", "text"])


@method("autogen_concat")
def autogen_concat(ep: Episode) -> Outcome:
    """Table 1's AutoGen Conca.: an AutoGen-style coding assistant's instructions put in
    front of the question, one answer; its code is run and both scored, no feedback turn."""
    return _single(ep, ep.setup.prompts.autogen, "free")


def _summarizer_answer(ep: Episode, messages: list[dict[str, str]], round_: int) -> Answer:
    """The final answer written by the summarizer (the run's --guide model), with its code
    run and the Symbolic Checker as for a task-model answer, recorded as a guide turn.
    It writes an answer, so it gets the task model's token limit and temperature."""
    s, cfg = ep.setup, ep.setup.settings
    model = s.guide or s.task_model  # no --guide: the task model summarizes (as in Sum.1)
    if s.stop.is_set():
        raise Stopped()
    params = {
        "temperature": cfg.temperature,
        "max_tokens": cfg.task_max_tokens,
        "seed": cfg.seed,
        "repeat": ep.repeat,
    }
    extra: dict[str, Any] = {"purpose": "summary", "mode": "free"}
    comp = model.complete(list(messages), **params)  # type: ignore[arg-type]
    if not comp.ok:
        ep.rec.turn("guide", round_, messages, comp, params, extra)
        raise EpisodeFailed(f"summarizer model call failed: {comp.error}")
    code = run_answer_code(comp.text, s.executor)
    extra["has_code"] = code is not None
    ans = Answer(comp.text, round_, code, "free")
    if code is not None and cfg.symbolic_checker:
        report = symbolic_check(code.code)
        extra["symbolic"] = report.to_dict()
        ans.symbolic_text = report.text()
    run = ("answer", code.code, code.run) if code is not None else None
    ep.rec.turn("guide", round_, messages, comp, params, extra, run)
    ep.answers.append(ans)
    return ans


@method("code_text_sum2")
def code_text_sum2(ep: Episode) -> Outcome:
    """Table 1's Code + Text + Sum.2: the task model's code answer and text answer, as in
    `code_text_sum`, summarized into the final answer by a separate summarizer model, the
    run's --guide (the paper fine-tunes Llama-3.1-8B on correct summaries for it)."""
    p, q = ep.setup.prompts, ep.sample.question
    code_ans = ep.answer([_user(f"{p.code}\n\n{q}")], 0, "code")
    text_ans = ep.answer([_user(f"{p.text}\n\n{q}")], 0, "text")
    code_part = code_ans.text + ("\n\n" + code_ans.code.feedback() if code_ans.code else "")
    msgs = [_user(p.summarize.format(question=q, code_answer=code_part, text_answer=text_ans.text))]
    final = _summarizer_answer(ep, msgs, 1)
    return Outcome(final, 3, "summary", ["code", "text", "free"])


def final_modes(outcome: Outcome) -> list[str]:
    return outcome.modes


__all__ = [
    "METHODS",
    "NEEDS_GUIDE",
    "SUMMARIZER_GUIDE",
    "Answer",
    "GuidedState",
    "get_method",
    "guided_start",
    "guided_step",
    "method",
]
