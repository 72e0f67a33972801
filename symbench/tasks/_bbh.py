"""Shared pieces of the four BIG-Bench-Hard tasks: option lists, yes/no answers, BBH files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from symbench.answers import clean, norm_text, parse_choice
from symbench.core import read_json

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
BBH_DIR = "BIG-Bench-Hard/bbh"

CHOICE_FORMAT = "Give the letter of the correct option inside <<< >>>, for example <<<(A)>>>."
YES_NO_FORMAT = "Answer Yes or No inside <<< >>>, for example <<<Yes>>>."

_OPTION_LINE = re.compile(r"^\(([A-Z])\)\s*(.*?)\s*$", re.MULTILINE)
_PAREN_LETTER = re.compile(r"\(([A-Za-z])\)")


def words(text: str, sep: str | None = None) -> list[str]:
    """A word list written as one string."""
    return [w.strip() for w in text.split(sep)]


def bbh_examples(root: Path, name: str) -> list[dict[str, Any]]:
    """The `examples` list of one BBH task file (`name` without `.json`)."""
    return read_json(Path(root) / BBH_DIR / f"{name}.json")["examples"]


def bbh_origin(name: str, index: int) -> str:
    return f"bbh/{name}/{index}"


def options_block(options: dict[str, str]) -> str:
    return "Options:\n" + "\n".join(f"({k}) {v}" for k, v in options.items())


def parse_options(question: str) -> dict[str, str]:
    """`(A) text` lines after `Options:` in a question, in order."""
    if "Options:" not in question:
        raise ValueError("no Options: block in the question")
    tail = question.split("Options:", 1)[1]
    opts = {m.group(1): m.group(2) for m in _OPTION_LINE.finditer(tail)}
    if not opts:
        raise ValueError("no (X) option lines after Options:")
    return opts


def choice_letter(answer: str, options: dict[str, str]) -> str:
    """The option letter an answer names: `(B)`, `B`, `B)`, `option B`, `(B) text`, the
    option's text, or a sentence naming exactly one `(X)`; ValueError otherwise."""
    named = sorted({m.upper() for m in _PAREN_LETTER.findall(answer)} & set(options))
    if len(named) > 1:
        raise ValueError(f"{clean(answer)[:60]!r} names several options: {', '.join(named)}")
    letter = parse_choice(answer, options)
    if letter is None and named:
        letter = named[0]
    if letter is None:
        raise ValueError(f"{clean(answer)[:60]!r} names none of the options {', '.join(options)}")
    return letter


def yes_no(answer: str) -> bool:
    """True for yes, False for no; accepts any case, `Yes.`, `- No`, `(yes)`."""
    v = norm_text(answer).lstrip("-*• ").strip("()[] .!")
    if v in ("yes", "no"):
        return v == "yes"
    raise ValueError(f"expected Yes or No, got {clean(answer)[:60]!r}")


def yes_no_text(value: bool) -> str:
    return "Yes" if value else "No"
