"""The loss mask: training templates render like the originals, token for token, and the
trained positions are exactly the guide's turns plus their end-of-turn tokens."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesteer_cli.errors import UserError
from codesteer_cli.training.templates import (
    TrainingTemplate,
    encode_conversation,
    encode_preference,
    resolve_training_template,
)
from tests.training.llama31_template import as_llama31

CONVERSATIONS = [
    [
        {"role": "user", "content": "Decide: code or text?\nQuestion: What is 37 * 41?"},
        {"role": "assistant", "content": "Write Python code that prints 37 * 41."},
    ],
    [
        {"role": "system", "content": "You are the guide."},
        {"role": "user", "content": "  Question with spaces  "},
        {"role": "assistant", "content": "Answer in text, step by step."},
        {"role": "user", "content": "Task model said <<<1517>>>\nExecution: ok"},
        {"role": "assistant", "content": "\n<<<Return Answer>>>\n"},
    ],
    [
        {"role": "user", "content": "Solve {{ x }} {% if %} 数学"},
        {"role": "assistant", "content": "```python\nprint(6 * 4)\n```"},
        {"role": "user", "content": "It printed 24."},
        {"role": "assistant", "content": "Check it with text reasoning."},
        {"role": "user", "content": "Checked."},
        {"role": "assistant", "content": "<<<Return Answer>>>"},
    ],
]


def _assert_identical(tok, tt: TrainingTemplate) -> None:  # type: ignore[no-untyped-def]
    for msgs in CONVERSATIONS:
        for prefix in range(1, len(msgs) + 1):
            part = msgs[:prefix]
            for agp in (False, True):
                if agp and part[-1]["role"] == "assistant":
                    continue
                kw = {"add_generation_prompt": agp}
                a = tok.apply_chat_template(part, tokenize=False, **kw)
                b = tok.apply_chat_template(part, tokenize=False, chat_template=tt.template, **kw)
                assert a == b
                ids_a = tok.apply_chat_template(part, tokenize=True, return_dict=True, **kw)
                ids_b = tok.apply_chat_template(
                    part, tokenize=True, return_dict=True, chat_template=tt.template, **kw
                )
                assert ids_a["input_ids"] == ids_b["input_ids"]


def _trained_spans(tok, enc) -> list[str]:  # type: ignore[no-untyped-def]
    spans, cur = [], []
    for tid, lab in zip(enc.input_ids, enc.labels, strict=True):
        if lab != -100:
            assert lab == tid
            cur.append(tid)
        elif cur:
            spans.append(tok.decode(cur))
            cur = []
    if cur:
        spans.append(tok.decode(cur))
    return spans


def test_smollm2_gets_a_chatml_training_template_that_renders_identically(smol_tokenizer) -> None:
    assert "{% generation %}" not in smol_tokenizer.chat_template  # why we need our own
    tt = resolve_training_template(smol_tokenizer)
    assert tt.source == "chatml"
    assert tt.original == smol_tokenizer.chat_template
    _assert_identical(smol_tokenizer, tt)


def test_llama31_style_template_gets_a_training_template_that_renders_identically(
    smol_tokenizer,
) -> None:
    tok = as_llama31(smol_tokenizer)
    rendered = tok.apply_chat_template(CONVERSATIONS[0], tokenize=False)
    assert rendered.startswith("<|begin_of_text|><|start_header_id|>system")
    assert "Today Date: 26 Jul 2024" in rendered
    tt = resolve_training_template(tok)
    assert tt.source == "llama3"
    _assert_identical(tok, tt)


def test_trl_llama3_template_is_covered_too(smol_tokenizer) -> None:
    import trl

    path = Path(trl.__file__).parent / "chat_templates" / "llama3.jinja"
    tok = as_llama31(smol_tokenizer)
    tok.chat_template = path.read_text()
    tt = resolve_training_template(tok)
    _assert_identical(tok, tt)


@pytest.mark.parametrize("flavour", ["smollm2", "llama31"])
@pytest.mark.parametrize("train_on", ["last", "all"])
def test_trained_tokens_are_exactly_the_guide_turns(smol_tokenizer, flavour, train_on) -> None:
    tok = smol_tokenizer if flavour == "smollm2" else as_llama31(smol_tokenizer)
    eot = "<|im_end|>" if flavour == "smollm2" else "<|eot_id|>"
    tt = resolve_training_template(tok)
    for msgs in CONVERSATIONS:
        enc = encode_conversation(tok, tt, msgs, train_on=train_on)
        guide = [m["content"] for m in msgs if m["role"] == "assistant"]
        if flavour == "llama31":
            guide = [g.strip() for g in guide]  # Llama 3 templates trim contents
        expected = [g + eot for g in (guide if train_on == "all" else guide[-1:])]
        assert _trained_spans(tok, enc) == expected
        # the ids are the ones inference sees: the original template's
        plain = tok.apply_chat_template(msgs, tokenize=True, return_dict=True)
        assert enc.input_ids == list(plain["input_ids"])


def test_template_with_generation_markers_is_used_as_is(smol_tokenizer) -> None:
    import copy

    tok = copy.deepcopy(smol_tokenizer)
    tok.chat_template = resolve_training_template(smol_tokenizer).template
    tt = resolve_training_template(tok)
    assert tt.source == "model" and tt.template == tok.chat_template


def test_markers_that_leave_out_the_end_token_are_refused(smol_tokenizer) -> None:
    import copy

    tok = copy.deepcopy(smol_tokenizer)
    tok.chat_template = (
        "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' }}"
        "{% if m['role'] == 'assistant' %}{% generation %}{{ m['content'] }}{% endgeneration %}"
        "{% else %}{{ m['content'] }}{% endif %}{{ '<|im_end|>\\n' }}{% endfor %}"
    )
    with pytest.raises(UserError, match="end-of-turn token"):
        resolve_training_template(tok)


def test_unknown_template_is_refused_with_a_way_out(smol_tokenizer) -> None:
    import copy

    tok = copy.deepcopy(smol_tokenizer)
    tok.chat_template = (
        "{% for m in messages %}{% if m['role'] == 'user' %}[INST] {{ m['content'] }} [/INST]"
        "{% else %}{{ m['content'] }}</s>{% endif %}{% endfor %}"
    )
    with pytest.raises(UserError, match="--chat-template"):
        resolve_training_template(tok)


def test_preference_pairs_split_at_the_generation_prompt(smol_tokenizer) -> None:
    tt = resolve_training_template(smol_tokenizer)
    prompt = CONVERSATIONS[1][:4]
    chosen = {"role": "assistant", "content": "Write code to check it."}
    rejected = {"role": "assistant", "content": "<<<Return Answer>>>"}
    pair = encode_preference(smol_tokenizer, tt, prompt, chosen, rejected)
    gen = smol_tokenizer.apply_chat_template(
        prompt, tokenize=True, return_dict=True, add_generation_prompt=True
    )
    assert pair.prompt_ids == list(gen["input_ids"])
    assert smol_tokenizer.decode(pair.chosen_ids) == chosen["content"] + "<|im_end|>"
    assert smol_tokenizer.decode(pair.rejected_ids) == rejected["content"] + "<|im_end|>"
