"""Reading the SFT / DPO JSONL: every problem names the file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codesteer_cli.errors import UserError
from codesteer_cli.training.data import load_dpo, load_sft, tokenize_sft
from codesteer_cli.training.templates import resolve_training_template
from tests.training.conftest import dpo_rows, sft_rows, write_jsonl


def test_sft_rows_load_with_weights_and_tasks(sft_file: Path) -> None:
    examples = load_sft(sft_file)
    assert len(examples) == len(sft_rows())
    assert {e.weight for e in examples} == {1, 2}
    assert all(e.messages[-1]["role"] == "assistant" for e in examples)


def test_dpo_rows_load(dpo_file: Path) -> None:
    pairs = load_dpo(dpo_file)
    assert len(pairs) == 4 and pairs[0].chosen["role"] == "assistant"


@pytest.mark.parametrize(
    "line, message",
    [
        ("{not json", "sft.jsonl:3: not valid JSON"),
        ("[1, 2]", "sft.jsonl:3: expected a JSON object"),
        ('{"weight": 1}', "sft.jsonl:3: missing 'messages'"),
        ('{"messages": []}', "sft.jsonl:3: 'messages' must be a non-empty list"),
        ('{"messages": [{"role": "tool", "content": "x"}]}', "sft.jsonl:3: message 0 has role"),
        ('{"messages": [{"role": "user", "content": 5}]}', "has no text content"),
        ('{"messages": [{"role": "user", "content": "q"}]}', "the last message must be the guide"),
        ('{"prompt": [], "chosen": [], "rejected": []}', "this looks like DPO data"),
    ],
)
def test_bad_sft_lines_name_their_line(tmp_path: Path, line: str, message: str) -> None:
    good = json.dumps(sft_rows()[0])
    path = tmp_path / "sft.jsonl"
    path.write_text(f"{good}\n\n{line}\n{good}\n")  # the blank line still counts
    with pytest.raises(UserError, match=message.replace("[", r"\[")):
        load_sft(path)


@pytest.mark.parametrize(
    "row, message",
    [
        ({"prompt": [{"role": "user", "content": "q"}], "chosen": []}, "missing 'rejected'"),
        (
            {
                "prompt": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
                "chosen": [{"role": "assistant", "content": "a"}],
                "rejected": [{"role": "assistant", "content": "b"}],
            },
            "the prompt must end with a user message",
        ),
        (
            {
                "prompt": [{"role": "user", "content": "q"}],
                "chosen": [{"role": "user", "content": "a"}],
                "rejected": [{"role": "assistant", "content": "b"}],
            },
            "message 0 has role 'user'",
        ),
        ({"messages": [{"role": "user", "content": "q"}]}, "looks like SFT data"),
    ],
)
def test_bad_dpo_rows(tmp_path: Path, row: dict, message: str) -> None:
    path = write_jsonl(tmp_path / "pairs.jsonl", [dpo_rows()[0], row])
    with pytest.raises(UserError, match=f"pairs.jsonl:2: .*{message}"):
        load_dpo(path)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        load_sft(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n\n")
    with pytest.raises(UserError, match="has no examples"):
        load_sft(tmp_path / "empty.jsonl")


def test_examples_over_max_length_are_left_out_and_counted(smol_tokenizer, sft_file) -> None:
    tt = resolve_training_template(smol_tokenizer)
    examples = load_sft(sft_file)
    rows, stats = tokenize_sft(examples, smol_tokenizer, tt, "last", 10_000, str(sft_file))
    longest = stats.max_tokens
    rows, stats = tokenize_sft(examples, smol_tokenizer, tt, "last", longest - 1, str(sft_file))
    assert stats.too_long >= 1 and stats.kept == len(rows) == len(examples) - stats.too_long
    with pytest.raises(UserError, match="no example fits"):
        tokenize_sft(examples, smol_tokenizer, tt, "last", 8, str(sft_file))
