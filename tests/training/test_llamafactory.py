"""LLaMA-Factory's formats (the original release's data) as `train sft`/`train dpo` read
them: alpaca with history and sharegpt ranking, detected or named, as JSON arrays or
lines; errors name the item; over-long examples dropped or truncated; `--train-on all`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codesteer_cli.errors import UserError
from codesteer_cli.training.data import (
    fit_pair,
    load_dpo,
    load_sft,
    read_dpo,
    read_sft,
    tokenize_dpo,
    tokenize_sft,
)
from codesteer_cli.training.templates import resolve_training_template
from tests.training.conftest import dpo_rows, sft_rows, write_jsonl

ALPACA = {
    "instruction": "Decide: code or text?",
    "input": "Question: what is 2 + 2?",
    "output": "<<<Return Answer>>>",
    "history": [["first question", "Write code."], ["the code printed 4", "Check it."]],
}
SHAREGPT_PAIR = {
    "conversations": [
        {"from": "system", "value": "You guide."},
        {"from": "human", "value": "q1"},
        {"from": "gpt", "value": "a1"},
        {"from": "human", "value": "q2"},
    ],
    "chosen": {"from": "gpt", "value": "good"},
    "rejected": {"from": "gpt", "value": "bad"},
}


def write_json(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(rows, indent=4))
    return path


def test_alpaca_with_history_is_the_conversation_llamafactory_builds(tmp_path: Path) -> None:
    path = write_json(tmp_path / "sft.json", [ALPACA, {**ALPACA, "system": "S", "history": []}])
    examples, fmt = read_sft(path)
    assert fmt == "alpaca" and examples[0].where == f"{path}[0]"
    assert examples[0].messages == [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "Write code."},
        {"role": "user", "content": "the code printed 4"},
        {"role": "assistant", "content": "Check it."},
        # instruction and input joined by a newline, as LLaMA-Factory does
        {"role": "user", "content": "Decide: code or text?\nQuestion: what is 2 + 2?"},
        {"role": "assistant", "content": "<<<Return Answer>>>"},
    ]
    assert examples[1].messages[0] == {"role": "system", "content": "S"}
    assert len(examples[1].messages) == 3


def test_sharegpt_ranking_and_conversations(tmp_path: Path) -> None:
    path = write_json(tmp_path / "pairs.json", [SHAREGPT_PAIR])
    pairs, fmt = read_dpo(path)
    assert fmt == "sharegpt"
    p = pairs[0]
    assert [m["role"] for m in p.prompt] == ["system", "user", "assistant", "user"]
    assert (p.chosen, p.rejected) == (
        {"role": "assistant", "content": "good"},
        {"role": "assistant", "content": "bad"},
    )
    sft = dict(SHAREGPT_PAIR)
    sft["conversations"] = [*SHAREGPT_PAIR["conversations"], {"from": "gpt", "value": "a2"}]
    del sft["chosen"], sft["rejected"]
    assert load_sft(write_jsonl(tmp_path / "s.jsonl", [sft]))[0].messages[-1]["content"] == "a2"
    # alpaca ranking rows (chosen/rejected strings) read as pairs too
    ranked = {k: v for k, v in ALPACA.items() if k != "output"} | {"chosen": "c", "rejected": "r"}
    pair = load_dpo(write_json(tmp_path / "r.json", [ranked]))[0]
    assert pair.prompt[-1]["content"].startswith("Decide") and pair.chosen["content"] == "c"


def test_our_jsonl_as_a_json_array_and_named_formats(tmp_path: Path) -> None:
    rows = sft_rows()
    as_array = write_json(tmp_path / "ours.json", rows)
    as_lines = write_jsonl(tmp_path / "ours.jsonl", rows)
    a, fmt_a = read_sft(as_array, "jsonl")
    b, fmt_b = read_sft(as_lines)
    assert fmt_a == fmt_b == "jsonl" and [e.messages for e in a] == [e.messages for e in b]
    assert read_dpo(write_jsonl(tmp_path / "p.jsonl", dpo_rows()))[1] == "jsonl"


@pytest.mark.parametrize(
    "rows, fmt, kind, message",
    [
        ([ALPACA], "sharegpt", "sft", r"s\.json\[0\]: 'conversations' must be .*looks like "
         "LLaMA-Factory alpaca data, read as LLaMA-Factory sharegpt"),
        ([ALPACA, {"instruction": "q"}], "auto", "sft", r"s\.json\[1\]: missing 'output'"),
        ([{**ALPACA, "history": [["only one"]]}], "auto", "sft", r"\[0\]: history item 0 is not"),
        ([{**ALPACA, "output": 3}], "auto", "sft", "'output' must be a string"),
        ([SHAREGPT_PAIR], "auto", "sft", "this looks like DPO \\(ranking\\) data"),
        ([ALPACA], "auto", "dpo", "missing 'chosen', 'rejected'; this looks like SFT data"),
        ([{"text": "x"}], "auto", "sft", r"cannot tell the data format \(keys: 'text'\)"),
        (
            [{**SHAREGPT_PAIR, "conversations": SHAREGPT_PAIR["conversations"][:3]}],
            "auto",
            "dpo",
            "must end with a user turn",
        ),
        (
            [{**SHAREGPT_PAIR, "conversations": [{"from": "gpt", "value": "x"}]}],
            "auto",
            "dpo",
            "turn 0 is 'assistant' where 'user' was expected",
        ),
        (
            [{**SHAREGPT_PAIR, "chosen": {"from": "human", "value": "x"}}],
            "auto",
            "dpo",
            "'chosen' is from 'human'; expected gpt",
        ),
        (
            [{**SHAREGPT_PAIR, "conversations": [{"from": "observation", "value": "x"}]}],
            "auto",
            "dpo",
            "is from 'observation'; expected one of human, gpt, system",
        ),
    ],
)  # fmt: skip
def test_bad_rows_name_their_item(
    tmp_path: Path, rows: list[dict[str, Any]], fmt: str, kind: str, message: str
) -> None:
    path = write_json(tmp_path / "s.json", rows)
    with pytest.raises(UserError, match=message):
        (read_sft if kind == "sft" else read_dpo)(path, fmt)


def test_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('[{"instruction": 1,\n')
    with pytest.raises(UserError, match=r"broken\.json: not valid JSON .* line 2"):
        load_sft(tmp_path / "broken.json")
    (tmp_path / "nums.json").write_text("[1]")
    with pytest.raises(UserError, match=r"nums\.json\[0\]: expected a JSON object"):
        load_sft(tmp_path / "nums.json")
    (tmp_path / "empty.json").write_text("[]")
    with pytest.raises(UserError, match="has no examples"):
        load_sft(tmp_path / "empty.json")
    info = {"mine": {"file_name": "mine.json", "columns": {"history": "history"}}}
    (tmp_path / "dataset_info.json").write_text(json.dumps(info, indent=2))
    with pytest.raises(UserError, match=r"is a LLaMA-Factory dataset_info\.json.*mine\.json"):
        load_sft(tmp_path / "dataset_info.json")
    with pytest.raises(UserError, match="unknown --data-format 'csv'"):
        load_sft(write_json(tmp_path / "a.json", [ALPACA]), "csv")


def test_the_options_take_the_formats() -> None:
    from codesteer_cli.training.dpo_config import DPOOptions
    from codesteer_cli.training.sft_config import SFTOptions

    req = {"base": "m", "data": "d.json"}
    opts = SFTOptions.build(None, {**req, "data_format": "alpaca", "overlong": "truncate"})
    assert (opts.data_format, opts.overlong, opts.train_on) == ("alpaca", "truncate", "last")
    assert DPOOptions(**req).data_format == "auto" and DPOOptions(**req).overlong == "drop"
    with pytest.raises(UserError, match="unknown --data-format 'csv'"):
        SFTOptions.build(None, {**req, "data_format": "csv"})
    with pytest.raises(UserError, match="unknown --overlong 'cut'"):
        DPOOptions.build(None, {**req, "overlong": "cut"})


# --- tokens ---------------------------------------------------------------------------


def _decoded_spans(tok: Any, row: dict[str, list[int]]) -> list[str]:
    """The trained stretches of a row, decoded."""
    spans, cur = [], []
    for t, lab in zip(row["input_ids"], row["labels"], strict=True):
        if lab != -100:
            cur.append(t)
        elif cur:
            spans.append(tok.decode(cur))
            cur = []
    if cur:
        spans.append(tok.decode(cur))
    return spans


def test_train_on_all_trains_every_assistant_turn_of_the_history(
    smol_tokenizer: Any, tmp_path: Path
) -> None:
    tt = resolve_training_template(smol_tokenizer)
    examples = load_sft(write_json(tmp_path / "sft.json", [ALPACA]))
    answers = ["Write code.", "Check it.", "<<<Return Answer>>>"]
    every, _ = tokenize_sft(examples, smol_tokenizer, tt, "all", 4096, "x")
    last, _ = tokenize_sft(examples, smol_tokenizer, tt, "last", 4096, "x")
    assert every[0]["input_ids"] == last[0]["input_ids"]
    # content + end-of-turn token of each guide turn; nothing of the user turns
    assert _decoded_spans(smol_tokenizer, every[0]) == [a + "<|im_end|>" for a in answers]
    assert _decoded_spans(smol_tokenizer, last[0]) == [answers[-1] + "<|im_end|>"]


def test_overlong_sft_examples_dropped_or_truncated(smol_tokenizer: Any, sft_file: Path) -> None:
    tt = resolve_training_template(smol_tokenizer)
    examples = load_sft(sft_file)
    full, stats = tokenize_sft(examples, smol_tokenizer, tt, "all", 10_000, "x")
    limit = sorted(len(r["input_ids"]) for r in full)[len(full) // 2]
    over = sum(len(r["input_ids"]) > limit for r in full)
    assert over > 0
    dropped, d = tokenize_sft(examples, smol_tokenizer, tt, "all", limit, "x")
    assert (d.too_long, d.truncated, d.kept) == (over, 0, len(full) - over)
    cut, t = tokenize_sft(examples, smol_tokenizer, tt, "all", limit, "x", "truncate")
    assert (t.too_long, t.truncated, t.kept) == (0, over, len(full))
    for a, b in zip(full, cut, strict=True):  # the start of each example, unchanged
        assert len(b["input_ids"]) == min(limit, len(a["input_ids"]))
        assert b["input_ids"] == a["input_ids"][:limit] and b["labels"] == a["labels"][:limit]
    assert t.trained_tokens < stats.trained_tokens
    # with only the final turn trained, cutting the end leaves nothing to learn: dropped
    _, last = tokenize_sft(examples, smol_tokenizer, tt, "last", limit, "x", "truncate")
    assert last.too_long > 0 and last.truncated + last.too_long == over
    with pytest.raises(UserError, match="--overlong truncate cuts them instead"):
        tokenize_sft(examples, smol_tokenizer, tt, "last", 8, "x")


def test_overlong_pairs_keep_their_answers_and_the_prompt_start(
    smol_tokenizer: Any, dpo_file: Path
) -> None:
    assert fit_pair(list(range(10)), [1, 2], [3], 8) == (list(range(6)), [1, 2], [3])
    assert fit_pair([0] * 3, list(range(10)), [9], 8) == ([0] * 3, list(range(5)), [9])
    assert fit_pair([0] * 10, list(range(10)), [9], 8) == ([0] * 4, list(range(4)), [9])
    tt = resolve_training_template(smol_tokenizer)
    pairs = load_dpo(dpo_file)
    full, _ = tokenize_dpo(pairs, smol_tokenizer, tt, 10_000, "x")
    limit = len(full[0]["prompt_ids"])  # every prompt is over it with its answers
    with pytest.raises(UserError, match="no pair fits"):
        tokenize_dpo(pairs, smol_tokenizer, tt, limit, "x")
    cut, stats = tokenize_dpo(pairs, smol_tokenizer, tt, limit, "x", "truncate")
    assert stats.truncated == len(pairs) and stats.too_long == 0
    for a, b in zip(full, cut, strict=True):
        assert len(b["prompt_ids"]) + max(len(b["chosen_ids"]), len(b["rejected_ids"])) <= limit
        assert b["chosen_ids"] == a["chosen_ids"] and b["rejected_ids"] == a["rejected_ids"]
        assert a["prompt_ids"][: len(b["prompt_ids"])] == b["prompt_ids"]
