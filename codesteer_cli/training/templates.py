"""Which tokens of a guide conversation carry the loss.

The loss covers the guide's (assistant) turns only: each turn's content and the
end-of-turn token that follows it, so the model learns what to say and when to stop. The
mask comes from `{% generation %}` markers in a chat template, which transformers turns
into `assistant_masks` (`return_assistant_tokens_mask=True`):

- the model's own template, when it already has the markers;
- otherwise a *training template* of ours: the same layout with the markers added, built
  from what the model's template renders (ChatML, as SmolLM2 and Qwen use; Llama 3 / 3.1
  headers), or TRL's patched copy of a template it knows. A candidate is used only if it
  renders a set of probe conversations token for token like the original, and every
  training example is checked again the same way when it is tokenized
  (`encode_conversation`), so the model is trained on exactly what it sees at inference.

Outputs are always saved with the original template; the training one is never shipped.
Only the standard library is imported at module level.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from codesteer_cli.errors import UserError

_MARKER_RE = re.compile(r"\{%-?\s*generation\s*-?%\}")

# Probe conversations: with and without a system message, several turns, whitespace at the
# edges of contents, characters that mean something to Jinja or to the steering prompts.
_PROBES: list[list[dict[str, str]]] = [
    [{"role": "user", "content": "What is 12 * 13?"}],
    [
        {"role": "system", "content": "You guide a task model."},
        {"role": "user", "content": "Question: {{ x }} and {% y %}"},
        {"role": "assistant", "content": "Write Python code to solve it."},
    ],
    [
        {"role": "user", "content": "  leading and trailing spaces  "},
        {"role": "assistant", "content": "\nAnswer in text.\n\n"},
        {"role": "user", "content": "The task model said <<<156>>>.\nExecution: ok"},
        {"role": "assistant", "content": "<<<Return Answer>>>"},
    ],
    [
        {"role": "system", "content": " padded system "},
        {"role": "user", "content": "ünïcödé — 数学 \t tab"},
        {"role": "assistant", "content": "```python\nprint(12 * 13)\n```"},
        {"role": "user", "content": "ok"},
    ],
]


@dataclass(frozen=True)
class TrainingTemplate:
    """A chat template with `{% generation %}` markers that renders like `original`."""

    template: str
    source: str  # model | chatml | llama3 | trl
    original: str

    @property
    def describe(self) -> str:
        return {
            "model": "the model's own chat template (it has {% generation %} markers)",
            "chatml": "codesteer's ChatML training template (renders like the model's)",
            "llama3": "codesteer's Llama 3 training template (renders like the model's)",
            "trl": "TRL's training copy of the model's chat template",
        }.get(self.source, self.source)


def has_generation_markers(template: str | None) -> bool:
    return bool(template) and _MARKER_RE.search(template or "") is not None


def chat_template_of(tokenizer: Any) -> str:
    tmpl = tokenizer.chat_template
    if isinstance(tmpl, dict):
        tmpl = tmpl.get("default")
    if not tmpl:
        raise UserError(
            "the tokenizer has no chat template; pass --chat-template FILE with the template "
            "the guide should use"
        )
    return str(tmpl)


def resolve_training_template(tokenizer: Any) -> TrainingTemplate:
    """The template whose generation markers give the loss mask (see the module docstring)."""
    original = chat_template_of(tokenizer)
    if has_generation_markers(original):
        tt = TrainingTemplate(original, "model", original)
        if not end_of_turn_trained(tokenizer, tt):
            raise UserError(
                "the model's chat template marks assistant turns with {% generation %} but leaves "
                "the end-of-turn token outside them, so the guide would never learn to stop; "
                "pass --chat-template FILE with the end-of-turn token inside the markers"
            )
        return tt
    tried: list[str] = []
    for source, build in (("chatml", _chatml_candidate), ("llama3", _llama3_candidate)):
        candidate = build(tokenizer, original)
        if candidate is None:
            continue
        tried.append(source)
        tt = TrainingTemplate(candidate, source, original)
        if renders_identically(tokenizer, tt) and end_of_turn_trained(tokenizer, tt):
            return tt
    trl_candidate = _trl_candidate(tokenizer)
    if trl_candidate is not None:
        tt = TrainingTemplate(trl_candidate, "trl", original)
        if renders_identically(tokenizer, tt) and end_of_turn_trained(tokenizer, tt):
            return tt
    raise UserError(
        "cannot mask the guide's turns: the model's chat template has no {% generation %} "
        "markers and is not a layout codesteer knows (ChatML, Llama 3, TRL's list)"
        + (f"; the {'/'.join(tried)} version did not render identically" if tried else "")
        + ". Pass --chat-template FILE with {% generation %}…{% endgeneration %} around each "
        "assistant turn's content and end-of-turn token"
    )


def _render(
    tokenizer: Any,
    messages: Sequence[dict[str, str]],
    template: str,
    add_generation_prompt: bool = False,
) -> str:
    return str(
        tokenizer.apply_chat_template(
            list(messages),
            chat_template=template,
            tokenize=False,
            add_generation_prompt=add_generation_prompt,
        )
    )


def _ids(
    tokenizer: Any,
    messages: Sequence[dict[str, str]],
    template: str | None = None,
    add_generation_prompt: bool = False,
) -> list[int]:
    out = tokenizer.apply_chat_template(
        list(messages),
        chat_template=template,
        tokenize=True,
        return_dict=True,
        add_generation_prompt=add_generation_prompt,
    )
    return list(out["input_ids"])


def renders_identically(tokenizer: Any, tt: TrainingTemplate) -> bool:
    """True when `tt.template` gives the same text and token ids as the original on the probes."""
    try:
        for msgs in _PROBES:
            for agp in (False, True):
                if msgs[-1]["role"] == "assistant" and agp:
                    continue
                a = _render(tokenizer, msgs, tt.original, agp)
                b = _render(tokenizer, msgs, tt.template, agp)
                if a != b:
                    return False
                if _ids(tokenizer, msgs, tt.original, agp) != _ids(
                    tokenizer, msgs, tt.template, agp
                ):
                    return False
    except Exception:
        return False
    return True


def end_of_turn_trained(tokenizer: Any, tt: TrainingTemplate) -> bool:
    """True when each masked assistant span ends on a special (added) end-of-turn token."""
    msgs = _PROBES[2]
    try:
        enc = encode_conversation(tokenizer, tt, msgs, train_on="all", verify=False)
    except Exception:
        return False
    added = set(tokenizer.get_added_vocab().values()) | set(tokenizer.all_special_ids)
    spans = enc.spans
    if len(spans) != 2:
        return False
    return all(enc.input_ids[end - 1] in added for _, end in spans)


# --- candidates ---------------------------------------------------------------------


def _lit(s: str) -> str:
    """A Jinja string literal for `s`."""
    return json.dumps(s)


_CHATML_RE = re.compile(
    r"^(?P<head>.*?)(?:<\|im_start\|>system\n(?P<sys>.*?)<\|im_end\|>\n)?"
    r"<\|im_start\|>user\nPROBE<\|im_end\|>\n$",
    re.DOTALL,
)


def _chatml_candidate(tokenizer: Any, original: str) -> str | None:
    """ChatML (`<|im_start|>role\\n…<|im_end|>\\n`), with the default system message if any."""
    if "<|im_start|>" not in original:
        return None
    try:
        rendered = _render(tokenizer, [{"role": "user", "content": "PROBE"}], original)
    except Exception:
        return None
    m = _CHATML_RE.match(rendered)
    if m is None:
        return None
    head = m.group("head")
    default_system = m.group("sys")
    parts = []
    if head:
        parts.append("{{- " + _lit(head) + " }}")
    parts.append("{%- for message in messages %}")
    if default_system is not None:
        block = "<|im_start|>system\n" + default_system + "<|im_end|>\n"
        parts.append(
            "{%- if loop.first and messages[0]['role'] != 'system' %}{{- "
            + _lit(block)
            + " }}{%- endif %}"
        )
    parts.append(
        "{%- if message['role'] == 'assistant' %}"
        "{{- '<|im_start|>assistant\\n' }}"
        "{%- generation %}{{- message['content'] + '<|im_end|>' }}{%- endgeneration %}"
        "{{- '\\n' }}"
        "{%- else %}"
        "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
        "{%- endif %}"
    )
    parts.append("{%- endfor %}")
    parts.append("{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}")
    return "".join(parts)


_HDR = "<|start_header_id|>{}<|end_header_id|>\n\n"


def _llama3_candidate(tokenizer: Any, original: str) -> str | None:
    """Llama 3 / 3.1 / 3.2 headers, with the fixed system preamble (dates) they add."""
    if "<|start_header_id|>" not in original or "<|eot_id|>" not in original:
        return None
    user_hdr, sys_hdr = _HDR.format("user"), _HDR.format("system")
    try:
        plain = _render(tokenizer, [{"role": "user", "content": "PROBE"}], original)
        with_sys = _render(
            tokenizer,
            [{"role": "system", "content": "SYSPROBE"}, {"role": "user", "content": "PROBE"}],
            original,
        )
        padded = _render(tokenizer, [{"role": "user", "content": " PROBE "}], original)
    except Exception:
        return None
    if not plain.endswith(user_hdr + "PROBE<|eot_id|>"):
        return None
    default_head = plain[: -len(user_hdr + "PROBE<|eot_id|>")]
    i = with_sys.find(sys_hdr)
    j = with_sys.find("SYSPROBE<|eot_id|>")
    if i < 0 or j < i:
        return None
    head = with_sys[:i]
    sys_prefix = with_sys[i + len(sys_hdr) : j]
    if not default_head.startswith(head):
        return None
    default_block = default_head[len(head) :]
    trim = " | trim" if padded.endswith(user_hdr + "PROBE<|eot_id|>") else ""
    parts = []
    if head:
        parts.append("{{- " + _lit(head) + " }}")
    parts.append(
        "{%- if messages and messages[0]['role'] == 'system' %}"
        "{{- " + _lit(sys_hdr + sys_prefix) + " + (messages[0]['content']" + trim + ")"
        " + '<|eot_id|>' }}"
        "{%- set loop_messages = messages[1:] %}"
        "{%- else %}"
    )
    if default_block:
        parts.append("{{- " + _lit(default_block) + " }}")
    parts.append("{%- set loop_messages = messages %}{%- endif %}")
    parts.append(
        "{%- for message in loop_messages %}"
        "{%- if message['role'] == 'assistant' %}"
        "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
        "{%- generation %}{{- (message['content']" + trim + ") + '<|eot_id|>' }}"
        "{%- endgeneration %}"
        "{%- else %}"
        "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
        " + (message['content']" + trim + ") + '<|eot_id|>' }}"
        "{%- endif %}"
        "{%- endfor %}"
        "{%- if add_generation_prompt %}"
        "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
        "{%- endif %}"
    )
    return "".join(parts)


def _trl_candidate(tokenizer: Any) -> str | None:
    try:
        from trl.chat_template_utils import get_training_chat_template

        return get_training_chat_template(tokenizer)
    except Exception:
        return None


# --- encoding -----------------------------------------------------------------------


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]  # -100 outside the trained spans
    spans: list[tuple[int, int]]  # [start, end) token ranges of every assistant turn

    @property
    def trained_tokens(self) -> int:
        return sum(1 for x in self.labels if x != -100)


class TemplateMismatch(ValueError):
    """The training template tokenized a conversation differently from the original."""


def _runs(mask: Sequence[int]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = None
    for i, bit in enumerate(mask):
        if bit and start is None:
            start = i
        elif not bit and start is not None:
            spans.append((start, i))
            start = None
    if start is not None:
        spans.append((start, len(mask)))
    return spans


def encode_conversation(
    tokenizer: Any,
    tt: TrainingTemplate,
    messages: Sequence[dict[str, str]],
    train_on: str = "last",
    verify: bool = True,
) -> Encoded:
    """Token ids and labels: `last` trains the final assistant turn, `all` every one."""
    out = tokenizer.apply_chat_template(
        list(messages),
        chat_template=tt.template,
        tokenize=True,
        return_dict=True,
        return_assistant_tokens_mask=True,
    )
    ids = list(out["input_ids"])
    spans = _runs(out["assistant_masks"])
    n_assistant = sum(1 for m in messages if m["role"] == "assistant")
    if len(spans) != n_assistant:
        raise TemplateMismatch(
            f"found {len(spans)} marked assistant spans for {n_assistant} assistant messages"
        )
    if verify and tt.source != "model" and ids != _ids(tokenizer, messages, tt.original):
        raise TemplateMismatch("the training template tokenizes this conversation differently")
    trained = spans if train_on == "all" else spans[-1:]
    labels = [-100] * len(ids)
    if train_on == "last" and messages and messages[-1]["role"] != "assistant":
        trained = []
    for s, e in trained:
        labels[s:e] = ids[s:e]
    return Encoded(ids, labels, spans)


@dataclass
class EncodedPair:
    prompt_ids: list[int]
    chosen_ids: list[int]
    rejected_ids: list[int]


def encode_preference(
    tokenizer: Any,
    tt: TrainingTemplate,
    prompt: Sequence[dict[str, str]],
    chosen: dict[str, str],
    rejected: dict[str, str],
) -> EncodedPair:
    """Prompt ids (with the generation prompt) and each answer's content + end-of-turn ids."""
    c = encode_conversation(tokenizer, tt, [*prompt, chosen], train_on="last")
    r = encode_conversation(tokenizer, tt, [*prompt, rejected], train_on="last")
    cs, ce = c.spans[-1]
    rs, re_ = r.spans[-1]
    if c.input_ids[:cs] != r.input_ids[:rs]:
        raise TemplateMismatch("chosen and rejected render different prompts")
    # The prompt is what precedes the answer in the full rendering: the conversation and the
    # generation prompt (the same tokens as `add_generation_prompt=True` unless a merge
    # crosses the boundary, as TRL's common-prefix rule also allows).
    return EncodedPair(c.input_ids[:cs], c.input_ids[cs:ce], r.input_ids[rs:re_])
