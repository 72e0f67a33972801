"""Finding the answer in a model's text, and normalizers the verifiers share."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

Method = Literal["delimited", "boxed", "answer_is", "last_line", "none"]

_SPAN = re.compile(r"<<<(.*?)>>>", re.DOTALL)
_OPEN_ONLY = re.compile(r"<<<(?!.*<<<)(.*)$", re.DOTALL)
_FENCE = re.compile(r"^```[\w+-]*\s*\n?|\n?```\s*$")
_ANSWER_IS = re.compile(
    r"(?:final answer|the answer|answer)\s*(?:is|:|=)\s*(.+?)(?:\n|$)", re.IGNORECASE
)
_TRAILING = " \t\r\n.;,:!"
_QUOTES = "\"'`“”‘’"


@dataclass(frozen=True)
class Extraction:
    """The answer string found in a text, and how it was found."""

    value: str | None
    method: Method

    @property
    def fallback(self) -> bool:
        """True when no `<<<...>>>` span was found and a weaker rule was used."""
        return self.method != "delimited"


def clean(value: str, punctuation: bool = True) -> str:
    """Strip whitespace, code fences, matching quotes and (unless `punctuation` is False)
    surrounding punctuation. Inside `<<<...>>>` punctuation is kept: it can be content
    (a grid cell `!`, a string ending in `.`)."""
    strip = _TRAILING if punctuation else " \t\r\n"
    v = value.strip()
    v = _FENCE.sub("", v).strip()
    for _ in range(3):
        # Leading dots are kept: ".5" is a number.
        v = v.rstrip(strip).lstrip(strip.replace(".", ""))
        if len(v) >= 2 and v[0] in _QUOTES and v[-1] in _QUOTES:
            v = v[1:-1].strip()
        else:
            break
    return v


def last_boxed(text: str) -> str | None:
    """Content of the last \\boxed{...} (or \\fbox{...}), braces balanced."""
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return None
    i = text.index("{", start) + 1
    depth = 1
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i:j]
    return None


def extract_answer(text: str | None) -> Extraction:
    """The last `<<<...>>>` span; otherwise the last \\boxed{}, an "answer is" phrase, or
    the last non-empty line (each recorded as a fallback)."""
    if not text:
        return Extraction(None, "none")
    spans = [s for s in _SPAN.findall(text) if clean(s, False)]
    if spans:
        return Extraction(clean(spans[-1], False), "delimited")
    unclosed = _OPEN_ONLY.search(text)
    if unclosed and clean(unclosed.group(1).split("\n\n")[0], False):
        return Extraction(clean(unclosed.group(1).split("\n\n")[0], False), "delimited")
    boxed = last_boxed(text)
    if boxed is not None and clean(boxed):
        return Extraction(clean(boxed), "boxed")
    matches = _ANSWER_IS.findall(text)
    if matches and clean(matches[-1]):
        return Extraction(clean(matches[-1]), "answer_is")
    lines = [ln for ln in text.strip().splitlines() if clean(ln)]
    if lines:
        return Extraction(clean(lines[-1]), "last_line")
    return Extraction(None, "none")


# --- normalizers --------------------------------------------------------------------
_NUM = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+")


def parse_number(value: str) -> Fraction:
    """A number from text like `$1,234.50`, `-7`, `3/4`, `1e6`; exact as a Fraction."""
    v = value.strip().replace("$", "").replace("\u2212", "-").rstrip("%").strip()
    mixed = re.fullmatch(r"([-+]?)(\d+)\s+(\d+)/(\d+)", v)
    if mixed:
        sign = -1 if mixed.group(1) == "-" else 1
        return sign * (int(mixed.group(2)) + Fraction(int(mixed.group(3)), int(mixed.group(4))))
    frac = re.fullmatch(r"([-+]?\d+)\s*/\s*(\d+)", v)
    if frac:
        return Fraction(int(frac.group(1)), int(frac.group(2)))
    v = re.sub(r"(?<=\d) (?=\d{3}\b)", "", v)  # "1 234 567" thousands spacing
    m = _NUM.search(v)
    if not m:
        raise ValueError(f"no number in {value!r}")
    return Fraction(m.group(0).replace(",", ""))


def parse_literal(value: str) -> Any:
    """A Python/JSON literal (list, dict, number, string) from answer text."""
    v = value.strip()
    try:
        return json.loads(v)
    except (json.JSONDecodeError, ValueError):
        pass
    return ast.literal_eval(v)


def norm_text(value: str) -> str:
    """Lower-case, collapse whitespace, drop surrounding quotes/punctuation."""
    return re.sub(r"\s+", " ", clean(value)).lower()


def parse_choice(value: str, options: dict[str, str] | None = None) -> str | None:
    """An option letter from `(B)`, `B`, `B)`, `option B` or the option's own text."""
    v = clean(value)
    if len(set(re.findall(r"\(([A-Za-z])\)", v))) > 1:
        return None  # "(A) or (B)" names more than one option
    m = re.fullmatch(r"(?:option\s*)?\(?([A-Za-z])\)?(?:[.:)]\s*.*)?", v, re.IGNORECASE)
    if m and (options is None or m.group(1).upper() in options):
        return m.group(1).upper()
    if options:
        nv = norm_text(v)
        for letter, text in options.items():
            if norm_text(text) == nv:
                return letter
        m = re.match(r"\(([A-Za-z])\)", v)
        if m and m.group(1).upper() in options:
            return m.group(1).upper()
    return None
