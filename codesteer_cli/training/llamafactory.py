"""LLaMA-Factory's dataset formats, both ways: the layout of the original release's data.

- **alpaca** (SFT, with history): `{"instruction", "input", "output", "history":
  [[user, assistant], ...], "system"}`; the conversation is the system prompt (if any),
  the history pairs, then `instruction` and `input` joined by a newline as the last user
  turn and `output` as the last assistant turn. A ranking (DPO) row has `chosen` and
  `rejected` strings in place of `output`.
- **sharegpt** (DPO, ranking): `{"conversations": [{"from": "human"|"gpt"|"system",
  "value"}, ...], "chosen": {"from": "gpt", "value"}, "rejected": {...}}`, the
  conversations ending with a human turn; an SFT row ends with a gpt turn instead.

`dataset_info.json` entries declare these columns as LLaMA-Factory reads them (the
original release's file lists its SFT sets with `prompt`/`response`/`history` columns and
its DPO sets as `ranking` sharegpt with `messages`/`chosen`/`rejected`). Every problem is
a `UserError` naming the example (`where`). Only the standard library is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from codesteer_cli.errors import UserError

Message = dict[str, str]

# sharegpt role tags (LLaMA-Factory's defaults) and ours
SHAREGPT_ROLES = {"human": "user", "gpt": "assistant", "system": "system"}
SHAREGPT_TAGS = {v: k for k, v in SHAREGPT_ROLES.items()}


def _text(where: str, row: dict[str, Any], key: str, required: bool = True) -> str:
    value = row.get(key)
    if value is None and not required:
        return ""
    if key not in row and required:
        raise UserError(f"{where}: missing {key!r}")
    if not isinstance(value, str):
        raise UserError(f"{where}: {key!r} must be a string")
    return value


def _alternates(where: str, messages: Sequence[Message], last: str) -> None:
    """user, assistant, user, ... after an optional system message, ending on `last`."""
    body = messages[1:] if messages and messages[0]["role"] == "system" else messages
    for i, m in enumerate(body):
        want = "user" if i % 2 == 0 else "assistant"
        if m["role"] != want:
            raise UserError(
                f"{where}: turn {i} is {m['role']!r} where {want!r} was expected "
                "(turns must alternate user, assistant, ...)"
            )
    if not body or body[-1]["role"] != last:
        raise UserError(f"{where}: the conversation must end with a {last} turn")


# --- alpaca ---------------------------------------------------------------------------


def alpaca_prompt(where: str, row: dict[str, Any]) -> list[Message]:
    """The conversation an alpaca row's answer follows: system, history, the user turn."""
    msgs: list[Message] = []
    system = _text(where, row, "system", required=False)
    if system:
        msgs.append({"role": "system", "content": system})
    history = row.get("history")
    if history is not None:
        if not isinstance(history, list):
            raise UserError(f"{where}: 'history' must be a list of [user, assistant] pairs")
        for i, pair in enumerate(history):
            if (
                not isinstance(pair, list | tuple)
                or len(pair) != 2
                or not all(isinstance(x, str) for x in pair)
            ):
                raise UserError(f"{where}: history item {i} is not a [user, assistant] pair")
            msgs.append({"role": "user", "content": pair[0]})
            msgs.append({"role": "assistant", "content": pair[1]})
    if "instruction" not in row:
        raise UserError(f"{where}: missing 'instruction'")
    parts = [_text(where, row, "instruction"), _text(where, row, "input", required=False)]
    msgs.append({"role": "user", "content": "\n".join(p for p in parts if p)})
    return msgs


def alpaca_sft(where: str, row: dict[str, Any]) -> list[Message]:
    """An alpaca SFT row as messages (the last one the assistant's `output`)."""
    if "output" not in row and ("chosen" in row or "rejected" in row):
        raise UserError(f"{where}: this looks like DPO (ranking) data; `train sft` needs 'output'")
    prompt = alpaca_prompt(where, row)
    return [*prompt, {"role": "assistant", "content": _text(where, row, "output")}]


def alpaca_pair(where: str, row: dict[str, Any]) -> tuple[list[Message], Message, Message]:
    """An alpaca ranking row: (prompt, chosen, rejected)."""
    missing = [k for k in ("chosen", "rejected") if k not in row]
    if missing:
        hint = "; this looks like SFT data" if "output" in row else ""
        raise UserError(f"{where}: missing {', '.join(repr(k) for k in missing)}{hint}")
    prompt = alpaca_prompt(where, row)
    return (
        prompt,
        {"role": "assistant", "content": _text(where, row, "chosen")},
        {"role": "assistant", "content": _text(where, row, "rejected")},
    )


def to_alpaca(messages: Sequence[Message], where: str = "example") -> dict[str, Any]:
    """Messages (system?, user, assistant, ..., assistant) as an alpaca row with history."""
    _alternates(where, messages, last="assistant")
    has_system = messages[0]["role"] == "system"
    system = messages[0]["content"] if has_system else ""
    body = messages[1:] if has_system else messages
    history = [[body[i]["content"], body[i + 1]["content"]] for i in range(0, len(body) - 2, 2)]
    row: dict[str, Any] = {
        "instruction": body[-2]["content"],
        "input": "",
        "output": body[-1]["content"],
        "history": history,
    }
    if system:
        row["system"] = system
    return row


# --- sharegpt -------------------------------------------------------------------------


def _sharegpt_message(where: str, m: Any, i: int) -> Message:
    if not isinstance(m, dict):
        raise UserError(f"{where}: conversations item {i} is not an object")
    tag, value = m.get("from"), m.get("value")
    if tag not in SHAREGPT_ROLES:
        raise UserError(
            f"{where}: conversations item {i} is from {tag!r}; expected one of "
            f"{', '.join(SHAREGPT_ROLES)}"
        )
    if not isinstance(value, str):
        raise UserError(f"{where}: conversations item {i} ({tag}) has no text 'value'")
    return {"role": SHAREGPT_ROLES[tag], "content": value}


def _sharegpt_messages(where: str, row: dict[str, Any]) -> list[Message]:
    convo = row.get("conversations")
    if not isinstance(convo, list) or not convo:
        raise UserError(f"{where}: 'conversations' must be a non-empty list of turns")
    msgs = [_sharegpt_message(where, m, i) for i, m in enumerate(convo)]
    if any(m["role"] == "system" for m in msgs[1:]):
        raise UserError(f"{where}: a system turn may only come first")
    system = _text(where, row, "system", required=False)
    if system:
        if msgs[0]["role"] == "system":
            raise UserError(f"{where}: a 'system' column and a system turn both")
        msgs.insert(0, {"role": "system", "content": system})
    return msgs


def sharegpt_sft(where: str, row: dict[str, Any]) -> list[Message]:
    """A sharegpt SFT row (conversations ending with a gpt turn) as messages."""
    msgs = _sharegpt_messages(where, row)
    if "chosen" in row or "rejected" in row:
        raise UserError(
            f"{where}: this looks like DPO (ranking) data; `train sft` needs conversations "
            "ending with a gpt turn"
        )
    _alternates(where, msgs, last="assistant")
    return msgs


def _sharegpt_answer(where: str, row: dict[str, Any], key: str) -> Message:
    value = row[key]
    if not isinstance(value, dict):
        raise UserError(f"{where}: {key!r} must be one turn {{'from': 'gpt', 'value': ...}}")
    m = _sharegpt_message(where, value, 0)
    if m["role"] != "assistant":
        raise UserError(f"{where}: {key!r} is from {value.get('from')!r}; expected gpt")
    return m


def sharegpt_pair(where: str, row: dict[str, Any]) -> tuple[list[Message], Message, Message]:
    """A sharegpt ranking row: (prompt ending with a user turn, chosen, rejected)."""
    missing = [k for k in ("conversations", "chosen", "rejected") if k not in row]
    if missing:
        hint = "; this looks like SFT data" if "conversations" in row else ""
        raise UserError(f"{where}: missing {', '.join(repr(k) for k in missing)}{hint}")
    prompt = _sharegpt_messages(where, row)
    _alternates(where, prompt, last="user")
    return prompt, _sharegpt_answer(where, row, "chosen"), _sharegpt_answer(where, row, "rejected")


def _sharegpt_turns(messages: Sequence[Message]) -> list[dict[str, str]]:
    return [{"from": SHAREGPT_TAGS[m["role"]], "value": m["content"]} for m in messages]


def to_sharegpt_pair(
    prompt: Sequence[Message], chosen: Message, rejected: Message, where: str = "pair"
) -> dict[str, Any]:
    """A preference pair as a sharegpt ranking row (a system prompt as the first turn)."""
    _alternates(where, prompt, last="user")
    return {
        "conversations": _sharegpt_turns(prompt),
        "chosen": {"from": "gpt", "value": chosen["content"]},
        "rejected": {"from": "gpt", "value": rejected["content"]},
    }


# --- dataset_info.json ----------------------------------------------------------------


def sft_info(file_name: str, with_system: bool) -> dict[str, Any]:
    """The dataset_info.json entry of an alpaca SFT file written by `to_alpaca`."""
    columns = {"prompt": "instruction", "query": "input", "response": "output"}
    columns["history"] = "history"  # without it LLaMA-Factory ignores the history
    if with_system:
        columns["system"] = "system"
    return {"file_name": file_name, "formatting": "alpaca", "columns": columns}


def dpo_info(file_name: str) -> dict[str, Any]:
    """The dataset_info.json entry of a sharegpt ranking file written by `to_sharegpt_pair`."""
    return {
        "file_name": file_name,
        "formatting": "sharegpt",
        "ranking": True,
        "columns": {"messages": "conversations", "chosen": "chosen", "rejected": "rejected"},
        "tags": {
            "role_tag": "from",
            "content_tag": "value",
            "user_tag": "human",
            "assistant_tag": "gpt",
            "system_tag": "system",
        },
    }


def is_dataset_info(data: Any) -> bool:
    """True for a dataset_info.json mapping (names → entries naming a file or hub set)."""
    keys = ("file_name", "hf_hub_url", "ms_hub_url", "script_url", "om_hub_url")
    return (
        isinstance(data, dict)
        and bool(data)
        and all(isinstance(v, dict) and any(k in v for k in keys) for v in data.values())
    )
