"""letters: count one letter in a long pseudo-word and list its 1-based positions.

Complexity -> knobs: the word length grows from 5-10 letters (c=1) through 25-30 (c=5)
to 750-800 (c=10), the lengths of the original release's folders; the number of times
the letter occurs grows with it, from 1-3 (c=1) to 40-100 (c=10).
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.core import Sample, Task, read_json, register

# complexity -> (min length, max length, min count, max count)
_LEVELS = {
    1: (5, 10, 1, 3),
    2: (10, 15, 1, 4),
    3: (15, 20, 1, 5),
    4: (20, 25, 2, 5),
    5: (25, 30, 2, 6),
    6: (50, 100, 4, 12),
    7: (150, 200, 8, 25),
    8: (350, 400, 15, 50),
    9: (500, 600, 25, 75),
    10: (750, 800, 40, 100),
}
_VOWELS = "aeiou"


def positions(word: str, letter: str) -> list[int]:
    """1-based positions of `letter` in `word` (the one rule the task is about)."""
    return [i + 1 for i, ch in enumerate(word) if ch == letter]


def parse_count_positions(answer: str) -> tuple[int, list[int]]:
    """(count, positions) from `Count: 3, Positions: [2, 5, 9]` and looser variants."""
    text = answer.replace("\n", " ")
    m = re.search(r"positions?", text, re.IGNORECASE)
    if m:
        head, tail = text[: m.start()], text[m.end() :]
        counts = re.findall(r"\d+", head)
        if len(counts) != 1:
            raise ValueError(f"expected one count before the positions, found {counts}")
        return int(counts[0]), [int(x) for x in re.findall(r"\d+", tail)]
    if re.search(r"[a-zA-Z]", re.sub(r"count", "", text, flags=re.IGNORECASE)):
        raise ValueError("write the answer as Count: N, Positions: [p1, p2, ...]")
    nums = [int(x) for x in re.findall(r"\d+", text)]
    if not nums:
        raise ValueError("no count found")
    return nums[0], nums[1:]


@register
class Letters(Task):
    id = "letters"
    split = "unseen"
    family = "computation"
    description = "count a letter in a long pseudo-word and list its 1-based positions"
    answer_format = (
        "Answer inside <<< >>> as <<<Count: N, Positions: [p1, p2, ...]>>> with the positions "
        "in increasing order, e.g. <<<Count: 2, Positions: [1, 3]>>>."
    )
    original_paths = ("Letters",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        lo, hi, kmin, kmax = _LEVELS[complexity]
        return {"min_length": lo, "max_length": hi, "min_count": kmin, "max_count": kmax}

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        length = rng.randint(knobs["min_length"], knobs["max_length"])
        count = rng.randint(knobs["min_count"], min(knobs["max_count"], length - 1))
        letter = rng.choice(string.ascii_lowercase)
        # A pronounceable-looking filler (mostly consonant-vowel alternation) without the
        # letter, then the letter planted at `count` distinct random places.
        consonants = [c for c in string.ascii_lowercase if c not in _VOWELS and c != letter]
        vowels = [c for c in _VOWELS if c != letter]
        chars = []
        for i in range(length):
            pool = vowels if (i % 2 == 1) != (rng.random() < 0.2) else consonants
            chars.append(rng.choice(pool))
        for p in rng.sample(range(length), count):
            chars[p] = letter
        word = "".join(chars)
        return self._question(word, letter), {"word": word, "letter": letter}

    def _question(self, word: str, letter: str) -> str:
        return (
            f"Look at the string '{word}'. How many times does the letter '{letter}' occur "
            f"in it, and at which positions? Number the characters from 1: the first "
            f"character is position 1, the second is position 2, and so on.\n"
            f"{self.answer_format}"
        )

    def solve(self, sample: Sample) -> str:
        pos = positions(sample.data["word"], sample.data["letter"])
        return f"<<<Count: {len(pos)}, Positions: [{', '.join(map(str, pos))}]>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        want = positions(sample.data["word"], sample.data["letter"])
        count, got = parse_count_positions(answer)
        if count != len(want):
            return 0.0, f"count: expected {len(want)}, got {count}"
        dup = sorted({p for p in got if got.count(p) > 1})
        if dup:
            return 0.0, f"positions listed more than once: {dup}"
        if set(got) != set(want):
            missing = sorted(set(want) - set(got))
            extra = sorted(set(got) - set(want))
            return 0.0, f"positions wrong: missing {missing[:10]}, not the letter {extra[:10]}"
        return 1.0, "count and positions exact"

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        word, letter = sample.data["word"], sample.data["letter"]
        pos = positions(word, letter)
        others = [i + 1 for i, ch in enumerate(word) if ch != letter]
        if pos and others and rng.random() < 0.7:
            pos[rng.randrange(len(pos))] = rng.choice(others)
            pos.sort()
            return f"<<<Count: {len(pos)}, Positions: [{', '.join(map(str, pos))}]>>>"
        return f"<<<Count: {len(pos) + 1}, Positions: [{', '.join(map(str, pos))}]>>>"

    def size(self, sample: Sample) -> float:
        return len(sample.data["word"])

    def import_original(self, root: Path) -> Iterator[Sample]:
        base = root / "Letters"
        for group in sorted(p for p in base.iterdir() if p.is_dir()):
            for d in sorted((p for p in group.iterdir() if p.is_dir()), key=_name_key):
                word = read_json(d / "test_words.json")
                letter, count = d.name.split("_")[:2]
                if not isinstance(word, str) or len(letter) != 1:
                    raise ValueError(f"unexpected letters sample {d}")
                # The folder name stores the count; the positions follow from the word.
                pos = ", ".join(map(str, positions(word, letter)))
                yield Sample(
                    self.id,
                    self._question(word, letter),
                    {"word": word, "letter": letter},
                    f"<<<Count: {int(count)}, Positions: [{pos}]>>>",
                    "test",
                    None,
                    None,
                    f"Letters/{group.name}/{d.name}",
                )


def _name_key(p: Path) -> tuple:
    parts = p.name.split("_")
    return (parts[0], *(int(x) if x.isdigit() else 0 for x in parts[1:]))
