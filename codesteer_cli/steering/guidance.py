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


def parse_guidance(reply: str, options: dict[str, str] | None = None) -> Guidance:
    """The last `<<<...>>>` span decides; without one, a bare keyword reply counts, and
    anything else is passed on as free guidance. `options` maps answer letters to
    keywords for prompt sets that ask "Reply with A or B" (the `tiny` set)."""
    if options:
        m = _LETTER.match((reply or "").strip())
        if m and m.group(1) in options:
            kw = options[m.group(1)]
            return Guidance(_KEYWORDS[kw.lower()], kw)
    spans = [s.strip() for s in _SPAN.findall(reply or "") if s.strip()]
    content = spans[-1] if spans else (reply or "").strip()
    key = re.sub(r"[\s_*`'\".:!]+", " ", content).strip().lower()
    if key in _KEYWORDS:
        return Guidance(_KEYWORDS[key], content)
    if not spans:
        # No span: look for a keyword on the reply's last line ("Decision: Code").
        last = key.splitlines()[-1] if key else ""
        for word, kind in _KEYWORDS.items():
            if re.search(rf"\b{word}\b$", last):
                return Guidance(kind, content)
    return Guidance("free", content)
