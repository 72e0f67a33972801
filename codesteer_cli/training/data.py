"""Training data: reading it (ours or LLaMA-Factory's) and tokenizing it.

Formats (`--data-format`, read from the first example when `auto`):

- `jsonl`, ours (`synthesize export --format trl`). SFT rows: `{"messages": [...],
  "weight", "task", "sample_id", "turn"}`; the last message is the guide turn being
  taught (assistant). Rows of weight 2 are already duplicated in the file, so `weight` is
  informational. DPO rows (TRL's conversational preference format): `{"prompt": [...
  ending with a user message], "chosen": [assistant], "rejected": [assistant], "task",
  "sample_id"}`.
- `alpaca` and `sharegpt`, LLaMA-Factory's (the original release's SFT data is alpaca
  with history, its DPO data sharegpt ranking); see `llamafactory.py`. `train sft` reads
  alpaca or sharegpt conversations, `train dpo` their ranking rows.

A file is JSON lines or one JSON array of objects (LLaMA-Factory's `.json` files), told
apart by its first character. Every problem is reported as a `UserError` naming the file
and the line (`file:LINE`) or array item (`file[INDEX]`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codesteer_cli.errors import UserError
from codesteer_cli.training import llamafactory as lf

ROLES = ("system", "user", "assistant")
FORMATS = ("jsonl", "alpaca", "sharegpt")
FORMAT_NAMES = {
    "jsonl": "codesteer JSONL",
    "alpaca": "LLaMA-Factory alpaca",
    "sharegpt": "LLaMA-Factory sharegpt",
}


@dataclass
class SFTExample:
    messages: list[dict[str, str]]
    where: str  # file:LINE or file[INDEX]
    task: str | None = None
    weight: int = 1


@dataclass
class PreferencePair:
    prompt: list[dict[str, str]]
    chosen: dict[str, str]
    rejected: dict[str, str]
    where: str
    task: str | None = None


@dataclass
class TokenStats:
    examples: int = 0
    kept: int = 0
    too_long: int = 0  # left out: over --max-length (or nothing trained left once cut)
    truncated: int = 0  # kept, cut to --max-length (--overlong truncate)
    tokens: int = 0  # all tokens of the kept examples
    trained_tokens: int = 0  # tokens that carry the loss
    max_tokens: int = 0
    tasks: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "kept": self.kept,
            "too_long": self.too_long,
            "truncated": self.truncated,
            "tokens": self.tokens,
            "trained_tokens": self.trained_tokens,
            "max_tokens": self.max_tokens,
            "tasks": dict(self.tasks),
        }


def read_records(path: str | Path, what: str) -> list[tuple[str, dict[str, Any]]]:
    """(where, object) for every example of a JSON-lines file (blank lines skipped) or of a
    file holding one JSON array; `where` is `file:LINE` or `file[INDEX]`."""
    p = Path(path).expanduser()
    if not p.exists():
        raise UserError(f"{what} file {p} does not exist")
    if not p.is_file():
        raise UserError(f"{what} file {p} is not a file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{p}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise UserError(f"cannot read {what} file {p}: {exc.strerror or exc}") from None
    text = text.removeprefix("\ufeff")
    body = text.lstrip(" \t\r\n")
    rows: list[tuple[str, dict[str, Any]]] = []
    if body.startswith("["):
        try:
            items = json.loads(body)
        except json.JSONDecodeError as exc:
            raise UserError(
                f"{p}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
            ) from None
        for i, obj in enumerate(items):
            if not isinstance(obj, dict):
                raise UserError(f"{p}[{i}]: expected a JSON object, got {type(obj).__name__}")
            rows.append((f"{p}[{i}]", obj))
    else:
        if body.startswith("{") and "\n" in body.strip():
            _refuse_dataset_info(p, body)
        for n, line in enumerate(text.splitlines(), 1):
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
            rows.append((f"{p}:{n}", obj))
    if len(rows) == 1 and lf.is_dataset_info(rows[0][1]):
        _refuse_dataset_info(p, body)
    if not rows:
        raise UserError(f"{what} file {p} has no examples")
    return rows


def _refuse_dataset_info(p: Path, body: str) -> None:
    """A LLaMA-Factory dataset_info.json given as --data: say which files it names."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        return
    if lf.is_dataset_info(data):
        files = [str(v["file_name"]) for v in data.values() if "file_name" in v][:3]
        named = f" (it names {', '.join(files)})" if files else ""
        raise UserError(
            f"{p} is a LLaMA-Factory dataset_info.json; pass --data the data file of one of "
            f"its datasets{named}"
        )


def detect_format(where: str, row: dict[str, Any]) -> str:
    """The format an example is written in, from its keys."""
    if "messages" in row or ("prompt" in row and "chosen" in row):
        return "jsonl"
    if "conversations" in row:
        return "sharegpt"
    if "instruction" in row:
        return "alpaca"
    keys = ", ".join(repr(k) for k in list(row)[:6]) or "none"
    raise UserError(
        f"{where}: cannot tell the data format (keys: {keys}); expected 'messages' or "
        "'prompt'/'chosen'/'rejected' (codesteer JSONL), 'instruction' (LLaMA-Factory "
        "alpaca) or 'conversations' (sharegpt); or pass --data-format"
    )


def _resolve(rows: list[tuple[str, dict[str, Any]]], fmt: str) -> str:
    if fmt == "auto":
        return detect_format(*rows[0])
    if fmt not in FORMATS:
        raise UserError(f"unknown --data-format {fmt!r}: choose from auto, {', '.join(FORMATS)}")
    return fmt


def _parse(
    where: str, row: dict[str, Any], fmt: str, parse: Callable[[str, dict[str, Any]], Any]
) -> Any:
    """`parse(where, row)`, naming the format the row seems to be in when it fails."""
    try:
        return parse(where, row)
    except UserError as exc:
        try:
            seen = detect_format(where, row)
        except UserError:
            raise exc from None
        if seen == fmt:
            raise
        raise UserError(
            f"{exc} (this row looks like {FORMAT_NAMES[seen]} data, read as "
            f"{FORMAT_NAMES[fmt]}: --data-format auto or {seen})"
        ) from None


def _task(row: dict[str, Any]) -> str | None:
    task = row.get("task")
    return str(task) if task is not None else None


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


def _jsonl_sft(where: str, row: dict[str, Any]) -> list[dict[str, str]]:
    if "messages" not in row:
        if "chosen" in row or "prompt" in row:
            raise UserError(f"{where}: this looks like DPO data; `train sft` needs 'messages'")
        raise UserError(f"{where}: missing 'messages'")
    msgs = _messages(where, row["messages"], "messages")
    if msgs[-1]["role"] != "assistant":
        raise UserError(f"{where}: the last message must be the guide's (assistant) turn")
    return msgs


SFT_READERS = {"jsonl": _jsonl_sft, "alpaca": lf.alpaca_sft, "sharegpt": lf.sharegpt_sft}


def read_sft(path: str | Path, fmt: str = "auto") -> tuple[list[SFTExample], str]:
    """The SFT examples of a file and the format they were read in."""
    rows = read_records(path, "SFT data")
    fmt = _resolve(rows, fmt)
    out: list[SFTExample] = []
    for where, row in rows:
        msgs = _parse(where, row, fmt, SFT_READERS[fmt])
        weight = row.get("weight", 1)
        if not isinstance(weight, int) or weight < 1:
            raise UserError(f"{where}: 'weight' must be a positive integer")
        out.append(SFTExample(msgs, where, _task(row), weight))
    return out, fmt


def load_sft(path: str | Path, fmt: str = "auto") -> list[SFTExample]:
    return read_sft(path, fmt)[0]


def _answer(where: str, value: Any, key: str) -> dict[str, str]:
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or len(value) != 1:
        raise UserError(f"{where}: {key!r} must be a list with one assistant message")
    return _message(where, value[0], 0, roles=("assistant",))


def _jsonl_pair(
    where: str, row: dict[str, Any]
) -> tuple[list[dict[str, str]], dict[str, str], dict[str, str]]:
    missing = [k for k in ("prompt", "chosen", "rejected") if k not in row]
    if missing:
        hint = "; this looks like SFT data" if "messages" in row else ""
        raise UserError(f"{where}: missing {', '.join(repr(k) for k in missing)}{hint}")
    prompt = _messages(where, row["prompt"], "prompt")
    if prompt[-1]["role"] != "user":
        raise UserError(f"{where}: the prompt must end with a user message")
    chosen = _answer(where, row["chosen"], "chosen")
    return prompt, chosen, _answer(where, row["rejected"], "rejected")


DPO_READERS = {"jsonl": _jsonl_pair, "alpaca": lf.alpaca_pair, "sharegpt": lf.sharegpt_pair}


def read_dpo(path: str | Path, fmt: str = "auto") -> tuple[list[PreferencePair], str]:
    """The preference pairs of a file and the format they were read in."""
    rows = read_records(path, "DPO data")
    fmt = _resolve(rows, fmt)
    out: list[PreferencePair] = []
    for where, row in rows:
        prompt, chosen, rejected = _parse(where, row, fmt, DPO_READERS[fmt])
        out.append(PreferencePair(prompt, chosen, rejected, where, _task(row)))
    return out, fmt


def load_dpo(path: str | Path, fmt: str = "auto") -> list[PreferencePair]:
    return read_dpo(path, fmt)[0]


def tokenize_sft(
    examples: list[SFTExample],
    tokenizer: Any,
    template: Any,
    train_on: str,
    max_length: int,
    path: str,
    overlong: str = "drop",
) -> tuple[list[dict[str, list[int]]], TokenStats]:
    """Rows with `input_ids` and `labels`. An example longer than max_length is left out
    (`drop`) or cut to its first max_length tokens (`truncate`, as LLaMA-Factory's
    cutoff keeps the start); one left with no trained token once cut is left out too."""
    from codesteer_cli.training.templates import TemplateMismatch, encode_conversation

    rows: list[dict[str, list[int]]] = []
    stats = TokenStats()
    for ex in examples:
        stats.examples += 1
        try:
            enc = encode_conversation(tokenizer, template, ex.messages, train_on=train_on)
        except TemplateMismatch as exc:
            raise UserError(f"{ex.where}: cannot mask the guide's turns: {exc}") from None
        ids, labels = enc.input_ids, enc.labels
        if len(ids) > max_length:
            if overlong != "truncate":
                stats.too_long += 1
                continue
            ids, labels = ids[:max_length], labels[:max_length]
            if all(x == -100 for x in labels[1:]):  # the first label is never predicted
                stats.too_long += 1
                continue
            stats.truncated += 1
        stats.kept += 1
        stats.tokens += len(ids)
        stats.trained_tokens += sum(1 for x in labels if x != -100)
        stats.max_tokens = max(stats.max_tokens, len(ids))
        stats.tasks[ex.task or "?"] += 1
        rows.append({"input_ids": ids, "labels": labels})
    if not rows:
        hint = "" if overlong == "truncate" else "; --overlong truncate cuts them instead"
        raise UserError(
            f"{path}: no example fits in --max-length {max_length} tokens "
            f"(longest is over it; {stats.too_long} left out{hint})"
        )
    return rows, stats


def fit_pair(
    prompt: list[int], chosen: list[int], rejected: list[int], max_length: int
) -> tuple[list[int], list[int], list[int]]:
    """A pair cut to max_length tokens (prompt + the longer answer): each answer keeps
    at least half the budget (all of itself when shorter), the prompt keeps its start."""
    longest = max(len(chosen), len(rejected))
    answer = min(longest, max(max_length - len(prompt), max_length // 2))
    return prompt[: max_length - answer], chosen[:answer], rejected[:answer]


def tokenize_dpo(
    pairs: list[PreferencePair],
    tokenizer: Any,
    template: Any,
    max_length: int,
    path: str,
    overlong: str = "drop",
) -> tuple[list[dict[str, list[int]]], TokenStats]:
    """Rows with `prompt_ids`, `chosen_ids`, `rejected_ids` (answers: content + end token).
    A pair longer than max_length is left out (`drop`) or cut by `fit_pair` (`truncate`)."""
    from codesteer_cli.training.templates import TemplateMismatch, encode_preference

    rows: list[dict[str, list[int]]] = []
    stats = TokenStats()
    for pair in pairs:
        stats.examples += 1
        try:
            enc = encode_preference(tokenizer, template, pair.prompt, pair.chosen, pair.rejected)
        except TemplateMismatch as exc:
            raise UserError(f"{pair.where}: cannot tokenize the pair: {exc}") from None
        prompt, chosen, rejected = enc.prompt_ids, enc.chosen_ids, enc.rejected_ids
        if len(prompt) + max(len(chosen), len(rejected)) > max_length:
            if overlong != "truncate":
                stats.too_long += 1
                continue
            prompt, chosen, rejected = fit_pair(prompt, chosen, rejected, max_length)
            stats.truncated += 1
        longest = len(prompt) + max(len(chosen), len(rejected))
        stats.kept += 1
        stats.tokens += 2 * len(prompt) + len(chosen) + len(rejected)
        stats.trained_tokens += len(chosen) + len(rejected)
        stats.max_tokens = max(stats.max_tokens, longest)
        stats.tasks[pair.task or "?"] += 1
        rows.append({"prompt_ids": prompt, "chosen_ids": chosen, "rejected_ids": rejected})
    if not rows:
        hint = "" if overlong == "truncate" else "; --overlong truncate cuts them instead"
        raise UserError(
            f"{path}: no pair fits in --max-length {max_length} tokens "
            f"({stats.too_long} left out{hint})"
        )
    return rows, stats
