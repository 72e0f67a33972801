"""The pieces of the original release's CodeSteer loop that read code and answers: its
code-block pattern, its code-complexity summary with the `<= 2` warning, the execution
result as the guide reads it, its answer checker, and the final re-run of the code.

Every sentence comes from the user's copy of the release (`original_release`); the
behaviour is re-implemented here from the release's description, not imported.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from codesteer_cli.steering.code import CodeAnswer

if TYPE_CHECKING:
    from codesteer_cli.models.base import ChatModel, Completion
    from codesteer_cli.sandbox.executor import ExecResult
    from codesteer_cli.steering.episode import Episode
    from codesteer_cli.steering.original_release import OriginalRelease

LOW_COMPLEXITY = 2  # the warning is added when the score is at most this
TOO_LONG_TOKENS = 2000  # an execution result (or check output) longer than this is replaced
# The original counted tokens with tiktoken's gpt-3.5-turbo encoding (cl100k_base); our
# estimate uses that encoding when its data is on this machine, else ~4 bytes per token.
TOKEN_MODEL = "gpt-3.5-turbo"
CHECK_ATTEMPTS, CHECK_CALLS = 3, 5  # checking code runs at most 3 times; 5 asks for code each
FINAL_TIMEOUT_S = 15.0  # the final re-run's limit (the loop's runs use --code-timeout)
FINAL_NAMES = ("result", "Answer", "answer")  # printed after the final code, in this order
# Providers the original sent an empty system message to (OpenAI, Mistral, DeepSeek models).
EMPTY_SYSTEM = frozenset({"openai", "mistral", "deepseek"})


def system_prefix(model: ChatModel) -> list[dict[str, str]]:
    return [{"role": "system", "content": ""}] if model.provider in EMPTY_SYSTEM else []


def alternate(users: list[str], replies: list[str]) -> list[dict[str, str]]:
    """user, assistant, user, ... ending with the last of `users`."""
    out = []
    for i, u in enumerate(users):
        out.append({"role": "user", "content": u})
        if i < len(users) - 1:
            out.append({"role": "assistant", "content": replies[i]})
    return out


def code_blocks(rel: OriginalRelease, text: str) -> list[str]:
    return re.findall(rel.code_block, text, re.DOTALL)


def complexity(rel: OriginalRelease, code: str) -> tuple[str, float]:
    """The release's summary of how the code computes, and its complexity score."""
    import ast

    t = rel.symbolic
    try:
        tree = ast.parse(code)
    except Exception as exc:  # as the original: any parse failure is "invalid code"
        return t.invalid.fill_one(str(exc)), 0
    loops, itertools, evals, formats, maths = t.reasons
    found: list[str] = []
    search = symbolic = numerical = False
    for node in ast.walk(tree):
        if isinstance(node, ast.For | ast.While):
            search = True
            found.append(loops)
        if isinstance(node, ast.Import | ast.ImportFrom) and t.itertools_mark in node.names[0].name:
            search = True
            found.append(itertools)
    if any(m in code for m in t.eval_marks):
        symbolic = True
        found.append(evals)
    if any(m in code for m in t.format_marks):
        symbolic = True
        found.append(formats)
    ops = sum(isinstance(n, ast.BinOp) for n in ast.walk(tree))
    if ops:
        numerical = True
        found += [maths] * ops
    score: float = sum(len(re.findall(p, code)) for p in t.counted) + ops * 0.25
    lines: list[str] = []
    for shown, header, keys in zip(
        (search, symbolic, numerical), t.headers, t.keywords, strict=True
    ):
        if shown:
            lines.append(header)
            lines += [t.bullet.fill(exp=e) for e in found if any(k in e.lower() for k in keys)]
    lines.append(t.score.fill_one(score))
    return "\n".join(lines), score


def summary_with_warning(rel: OriginalRelease, code: str) -> tuple[str, float]:
    text, score = complexity(rel, code)
    return (text + rel.low_complexity if score <= LOW_COMPLEXITY else text), score


def _too_long(text: str, run: ExecResult) -> bool:
    from codesteer_cli.models.tokens import estimate_tokens

    truncated = run.stdout_truncated or run.stderr_truncated
    return truncated or estimate_tokens(text, TOKEN_MODEL) > TOO_LONG_TOKENS


def _timeout_note(template: Any, file: str, seconds: float) -> str:
    # The original named the file it ran; ours has no such file, so its name stands in.
    return template.fill(e_cmd=str(["python3", file]), e_timeout=f"{seconds:g}")


def _outputs(run: ExecResult, note: str) -> tuple[str, str, bool]:
    """(output, errors, output_is_text) as the original's subprocess call saw them: after
    a timeout, output that was printed came back as bytes (not text)."""
    if run.error:
        return "", run.error, True
    if run.timed_out:
        return run.stdout, run.stderr + note, not run.stdout
    return run.stdout, run.stderr, True


def execution_view(
    rel: OriginalRelease, response: str, run: ExecResult, round_: int, timeout_s: float
) -> str:
    """The response as the guide (and the checker) read it: with the execution result."""
    note = _timeout_note(rel.timeout, f"code_1_{round_}.py", timeout_s)
    output, errors, is_text = _outputs(run, note)
    if not is_text:
        return rel.exec_errors.fill(response=response, errors=errors)
    if _too_long(output + errors, run):
        return rel.exec_long.fill(response=response)
    return rel.exec_output.fill(response=response, output=output, errors=errors)


# --- model calls -------------------------------------------------------------------------
def complete(
    ep: Episode,
    role: str,
    model: ChatModel,
    messages: list[dict[str, str]],
    round_: int,
    max_tokens: int,
    temperature: float,
) -> tuple[Completion, dict[str, Any]]:
    """One call, recorded only when it fails (the caller records it with its code run)."""
    extra = {"protocol": "original"}
    return ep.complete(role, model, messages, round_, max_tokens, temperature, extra)


def answer_check(ep: Episode, rel: OriginalRelease, response: str, round_: int) -> str:
    """The original's answer checker: a model writes code checking the whole response
    against the question (up to 5 asks for code, the code run up to 3 times while it
    writes to stderr); what it printed, or its errors, is the verdict."""
    s, cfg = ep.setup, ep.setup.settings
    model = s.checker_model or s.task_model
    ask = rel.checker_input.fill(
        Code_checker_prompt=rel.checker, question=ep.sample.question, response=response
    )
    msgs = [*system_prefix(model), {"role": "user", "content": ask}]
    limits = dataclasses.replace(s.executor.limits, wall_s=cfg.code_timeout_s)
    output, errors, is_text, verdict = "", "", True, ""
    for _ in range(CHECK_ATTEMPTS):
        blocks: list[str] = []
        for _ in range(CHECK_CALLS):
            comp, params = complete(ep, "checker", model, msgs, round_, cfg.checker_max_tokens, 0.0)
            blocks = code_blocks(rel, comp.text)
            if blocks:
                break
            ep.rec.turn("checker", round_, msgs, comp, params, {"protocol": "original"})
        if not blocks:
            return rel.check_errors.fill(errors=rel.check_no_code)
        run = s.executor.run(blocks[0], limits=limits)
        note = _timeout_note(rel.check_timeout, f"check_code_1_{round_}.py", cfg.code_timeout_s)
        output, errors, is_text = _outputs(run, note)
        if not run.timed_out and not errors:
            verdict = rel.check_output.fill(output=output)
        extra = {"protocol": "original", "verdict": verdict or None}
        ep.rec.turn("checker", round_, msgs, comp, params, extra, ("self_check", blocks[0], run))
        if verdict:
            return verdict
    if not is_text:
        return rel.check_errors.fill(errors=errors)
    from codesteer_cli.models.tokens import estimate_tokens

    if estimate_tokens(output, TOKEN_MODEL) > TOO_LONG_TOKENS:
        return rel.check_too_long
    return rel.check_both.fill(output=output, errors=errors)


def final_run(ep: Episode, code: str | None) -> CodeAnswer | None:
    """Run the final code again, printing `result`, else `Answer`, else `answer` when it
    printed nothing; the last run (None without code). A run that timed out or could not
    run ends it: the original then kept the response's text alone."""
    if code is None:
        return None
    s = ep.setup
    limits = dataclasses.replace(s.executor.limits, wall_s=FINAL_TIMEOUT_S)
    last: CodeAnswer | None = None
    for name in FINAL_NAMES:
        program = f"exec({code!r})\nprint({name})"
        last = CodeAnswer(program, s.executor.run(program, limits=limits))
        if last.run.timed_out or last.run.error or last.run.stdout != "":
            break
    return last
