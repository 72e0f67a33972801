"""Reading the guide's reply."""

from __future__ import annotations

import pytest

from codesteer_cli.steering.guidance import parse_guidance
from codesteer_cli.steering.prompts import get_prompts


@pytest.mark.parametrize(
    "reply, kind",
    [
        ("<<<Code>>>", "code"),
        ("I think code is best. <<<Text>>> no wait <<< code >>>", "code"),
        ("<<<Return Answer>>>", "return"),
        ("<<<return_answer>>>", "return"),
        ("<<<Terminate>>>", "terminate"),
        ("Text", "text"),
        ("Reasoning...\nDecision: Code", "code"),
        ("<<<Check whether the second factor was copied correctly.>>>", "free"),
        ("Use a BFS over states", "free"),
        ("", "free"),
    ],
)
def test_keywords_and_free_guidance(reply: str, kind: str) -> None:
    assert parse_guidance(reply).kind == kind


@pytest.mark.parametrize(
    "reply",
    [
        "Write code that searches all permutations and prints the answer as <<<answer>>>.",
        "Explain each step in words, then give the final count. Do not provide any code.",
        "The code is fine but check the edge case, then return the answer.",
        "Return the list <<<[1, 2]>>> only after checking it with code",
    ],
)
def test_free_guidance_reaches_the_task_model_intact(reply: str) -> None:
    g = parse_guidance(reply)
    assert g.kind == "free" and g.text == reply


def test_free_guidance_keeps_the_span_text() -> None:
    g = parse_guidance("Thoughts.\n<<<Enumerate all orders with itertools.>>>")
    assert g.kind == "free" and g.text == "Enumerate all orders with itertools."


@pytest.mark.parametrize(
    "reply, choice, round_",
    [
        ("A) write Python code", "code", "return"),
        ("B", "text", "code"),
        ("(C) try again in words", "free", "text"),
        ("The answer is 12345.", "free", "free"),
    ],
)
def test_lettered_options_of_the_tiny_prompt_set(reply: str, choice: str, round_: str) -> None:
    p = get_prompts("tiny")
    assert parse_guidance(reply, p.choice_options).kind == choice
    assert parse_guidance(reply, p.round_options).kind == round_
    assert parse_guidance(reply).kind in ("free", "text", "code")  # default set: no letters
