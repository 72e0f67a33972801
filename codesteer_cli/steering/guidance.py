"""Reading the guide's reply: a keyword (`Code`, `Text`, `Return Answer`, `Terminate`)
or free guidance from a fine-tuned guide."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["code", "text", "return", "terminate", "free"]

_SPAN = re.compile(r"<<<(.*?)>>>", re.DOTALL)
_KEYWORDS: dict[str, Kind] = {
    "code": "code",
    "text": "text",
    "return answer": "return",
    "return": "return",
    "terminate": "terminate",
}


@dataclass(frozen=True)
class Guidance:
    kind: Kind
    text: str  # free guidance text (for "free"), else the keyword as written

    @property
    def stops(self) -> bool:
        return self.kind in ("return", "terminate")


_LETTER = re.compile(r"^\W{0,3}([A-Z])(?:\)|\.|:|\s|$)")
# "Decision: Code": a short label, a colon, a keyword, on the reply's last line.
_LABELLED = re.compile(r"^\s*[\w ]{1,30}:\s*(.+?)\s*$")


def _keyword(text: str) -> Kind | None:
    key = re.sub(r"[\s_*`'\".:!]+", " ", text).strip().lower()
    return _KEYWORDS.get(key)


def parse_guidance(reply: str, options: dict[str, str] | None = None) -> Guidance:
    """A keyword only when the reply is exactly one (or its last `<<<...>>>` span is,
    or its last line is "Label: keyword"); any other reply is free guidance and reaches
    the task model intact: the whole reply, or the text of a `<<<...>>>` span that wraps
    the guidance at its end (on a line of its own). `options` maps answer letters to
    keywords for prompt sets that ask "Reply with A or B" (the `tiny` set)."""
    reply = (reply or "").strip()
    if options:
        m = _LETTER.match(reply)
        if m and m.group(1) in options:
            kw = options[m.group(1)]
            return Guidance(_KEYWORDS[kw.lower()], kw)
    spans = list(_SPAN.finditer(reply))
    if spans:
        last = spans[-1]
        content = last.group(1).strip()
        kind = _keyword(content)
        if kind is not None:
            return Guidance(kind, content)
        wraps = reply[last.end() :].strip() == "" and (
            last.start() == 0 or reply[last.start() - 1] == "\n"
        )
        if wraps and content:
            return Guidance("free", content)
    kind = _keyword(reply)
    if kind is None and reply:
        m = _LABELLED.match(reply.splitlines()[-1])
        kind = _keyword(m.group(1)) if m else None
    return Guidance(kind or "free", reply)
