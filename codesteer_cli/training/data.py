"""Training data: reading the JSONL files of `synthesize export` and tokenizing them.

SFT rows: `{"messages": [...], "weight", "task", "sample_id", "turn"}`; the last message
is the guide turn being taught (assistant). Rows of weight 2 are already duplicated in the
file, so `weight` is informational. DPO rows (TRL's conversational preference format):
`{"prompt": [... ending with a user message], "chosen": [assistant], "rejected":
[assistant], "task", "sample_id"}`.

Every problem is reported with the file and line number, as a `UserError`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codesteer_cli.errors import UserError

ROLES = ("system", "user", "assistant")
TRAIN_ON = ("last", "all")


@dataclass
class SFTExample:
    messages: list[dict[str, str]]
    line: int
    task: str | None = None
    weight: int = 1


@dataclass
class PreferencePair:
    prompt: list[dict[str, str]]
    chosen: dict[str, str]
    rejected: dict[str, str]
    line: int
    task: str | None = None


@dataclass
class TokenStats:
    examples: int = 0
    kept: int = 0
    too_long: int = 0
    tokens: int = 0  # all tokens of the kept examples
    trained_tokens: int = 0  # tokens that carry the loss
    max_tokens: int = 0
    tasks: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "kept": self.kept,
            "too_long": self.too_long,
            "tokens": self.tokens,
            "trained_tokens": self.trained_tokens,
            "max_tokens": self.max_tokens,
            "tasks": dict(self.tasks),
        }


def read_jsonl(path: str | Path, what: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; errors name the line."""
    p = Path(path).expanduser()
    if not p.exists():
        raise UserError(f"{what} file {p} does not exist")
    if not p.is_file():
        raise UserError(f"{what} file {p} is not a file")
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        with p.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise UserError(
                        f"{p}:{n}: not valid JSON ({exc.msg} at column {exc.colno})"
                    ) from None
                if not isinstance(obj, dict):
                    raise UserError(f"{p}:{n}: expected a JSON object, got {type(obj).__name__}")
                rows.append((n, obj))
    except UnicodeDecodeError as exc:
        raise UserError(f"{p}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise UserError(f"cannot read {what} file {p}: {exc.strerror or exc}") from None
    if not rows:
        raise UserError(f"{what} file {p} has no examples")
    return rows


def _message(where: str, m: Any, i: int, roles: tuple[str, ...] = ROLES) -> dict[str, str]:
    if not isinstance(m, dict):
        raise UserError(f"{where}: message {i} is not an object")
    role, content = m.get("role"), m.get("content")
    if role not in roles:
        raise UserError(
            f"{where}: message {i} has role {role!r}; expected one of {', '.join(roles)}"
        )
    if not isinstance(content, str):
        raise UserError(f"{where}: message {i} ({role}) has no text content")
    return {"role": role, "content": content}


def _messages(where: str, value: Any, key: str) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise UserError(f"{where}: {key!r} must be a non-empty list of messages")
    return [_message(where, m, i) for i, m in enumerate(value)]


def load_sft(path: str | Path) -> list[SFTExample]:
    out: list[SFTExample] = []
    p = Path(path).expanduser()
    for n, row in read_jsonl(p, "SFT data"):
        where = f"{p}:{n}"
        if "messages" not in row:
            if "chosen" in row or "prompt" in row:
                raise UserError(f"{where}: this looks like DPO data; `train sft` needs 'messages'")
            raise UserError(f"{where}: missing 'messages'")
        msgs = _messages(where, row["messages"], "messages")
        if msgs[-1]["role"] != "assistant":
            raise UserError(f"{where}: the last message must be the guide's (assistant) turn")
        weight = row.get("weight", 1)
        if not isinstance(weight, int) or weight < 1:
            raise UserError(f"{where}: 'weight' must be a positive integer")
        task = row.get("task")
        out.append(SFTExample(msgs, n, str(task) if task is not None else None, weight))
    return out


def _answer(where: str, value: Any, key: str) -> dict[str, str]:
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or len(value) != 1:
        raise UserError(f"{where}: {key!r} must be a list with one assistant message")
    return _message(where, value[0], 0, roles=("assistant",))


def load_dpo(path: str | Path) -> list[PreferencePair]:
    out: list[PreferencePair] = []
    p = Path(path).expanduser()
    for n, row in read_jsonl(p, "DPO data"):
        where = f"{p}:{n}"
        missing = [k for k in ("prompt", "chosen", "rejected") if k not in row]
        if missing:
            hint = "; this looks like SFT data" if "messages" in row else ""
            raise UserError(f"{where}: missing {', '.join(repr(k) for k in missing)}{hint}")
        prompt = _messages(where, row["prompt"], "prompt")
        if prompt[-1]["role"] != "user":
            raise UserError(f"{where}: the prompt must end with a user message")
        chosen = _answer(where, row["chosen"], "chosen")
        rejected = _answer(where, row["rejected"], "rejected")
        task = row.get("task")
        out.append(
            PreferencePair(prompt, chosen, rejected, n, str(task) if task is not None else None)
        )
    return out


def tokenize_sft(
    examples: list[SFTExample],
    tokenizer: Any,
    template: Any,
    train_on: str,
    max_length: int,
    path: str,
) -> tuple[list[dict[str, list[int]]], TokenStats]:
    """Rows with `input_ids` and `labels`; examples longer than max_length are left out."""
    from codesteer_cli.training.templates import TemplateMismatch, encode_conversation

    rows: list[dict[str, list[int]]] = []
    stats = TokenStats()
    for ex in examples:
        stats.examples += 1
        try:
            enc = encode_conversation(tokenizer, template, ex.messages, train_on=train_on)
        except TemplateMismatch as exc:
            raise UserError(f"{path}:{ex.line}: cannot mask the guide's turns: {exc}") from None
        if len(enc.input_ids) > max_length:
            stats.too_long += 1
            continue
        stats.kept += 1
        stats.tokens += len(enc.input_ids)
        stats.trained_tokens += enc.trained_tokens
        stats.max_tokens = max(stats.max_tokens, len(enc.input_ids))
        stats.tasks[ex.task or "?"] += 1
        rows.append({"input_ids": enc.input_ids, "labels": enc.labels})
    if not rows:
        raise UserError(
            f"{path}: no example fits in --max-length {max_length} tokens "
            f"(longest is over it; {stats.too_long} left out)"
        )
    return rows, stats


def tokenize_dpo(
    pairs: list[PreferencePair],
    tokenizer: Any,
    template: Any,
    max_length: int,
    path: str,
) -> tuple[list[dict[str, list[int]]], TokenStats]:
    """Rows with `prompt_ids`, `chosen_ids`, `rejected_ids` (answers: content + end token)."""
    from codesteer_cli.training.templates import TemplateMismatch, encode_preference

    rows: list[dict[str, list[int]]] = []
    stats = TokenStats()
    for pair in pairs:
        stats.examples += 1
        try:
            enc = encode_preference(tokenizer, template, pair.prompt, pair.chosen, pair.rejected)
        except TemplateMismatch as exc:
            raise UserError(f"{path}:{pair.line}: cannot tokenize the pair: {exc}") from None
        longest = len(enc.prompt_ids) + max(len(enc.chosen_ids), len(enc.rejected_ids))
        if longest > max_length:
            stats.too_long += 1
            continue
        stats.kept += 1
        stats.tokens += 2 * len(enc.prompt_ids) + len(enc.chosen_ids) + len(enc.rejected_ids)
        stats.trained_tokens += len(enc.chosen_ids) + len(enc.rejected_ids)
        stats.max_tokens = max(stats.max_tokens, longest)
        stats.tasks[pair.task or "?"] += 1
        rows.append(
            {
                "prompt_ids": enc.prompt_ids,
                "chosen_ids": enc.chosen_ids,
                "rejected_ids": enc.rejected_ids,
            }
        )
    if not rows:
        raise UserError(
            f"{path}: no pair fits in --max-length {max_length} tokens ({stats.too_long} left out)"
        )
    return rows, stats
