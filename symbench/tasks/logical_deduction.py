"""logical_deduction: objects stand in a strict order; from the clues, which option holds?

Complexity -> knobs: `objects` grows from 3 to 8; `relational` (the chance that a new clue
compares two objects rather than fixing one object's place) grows from 0.4 to 0.85. Clues
are added until exactly one order fits them (exhaustive check over all permutations),
then every clue that is not needed is dropped (fixed places first, so comparisons
remain), so more objects mean more clues.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from symbench.answers import norm_text
from symbench.core import Sample, SymbenchError, Task, ilerp, lerp, register
from symbench.tasks._bbh import (
    CHOICE_FORMAT,
    LETTERS,
    bbh_examples,
    bbh_origin,
    choice_letter,
    options_block,
    parse_options,
    words,
)

ORD = words("first second third fourth fifth sixth seventh eighth ninth tenth")
COUNT = words("zero one two three four five six seven eight nine ten")

# Each domain: intro, objects, relation (low object first), alternative relation (high
# object first), a place counted from the low end and from the high end ({o}: ordinal).
DOMAINS: dict[str, dict[str, Any]] = {
    "shelf": {
        "intro": "{n} books stand side by side on a shelf",
        "objects": words("red green blue yellow black white orange purple gray brown"),
        "suffix": " book",
        "lt": "The {a} is somewhere to the left of the {b}",
        "gt": "The {a} is somewhere to the right of the {b}",
        "low": ("The {a} is the leftmost", "The {a} is the {o} from the left"),
        "high": ("The {a} is the rightmost", "The {a} is the {o} from the right"),
    },
    "race": {
        "intro": "{n} runners finished a race, with no ties",
        "objects": words("Alma Bruno Chen Dora Enzo Fumi Gary Hedda Ines Jonas"),
        "suffix": "",
        "lt": "{a} finished ahead of {b}",
        "gt": "{a} finished behind {b}",
        "low": ("{a} finished first", "{a} finished {o}"),
        "high": ("{a} finished last", "{a} finished {o} from last"),
    },
    "garage": {
        "intro": "A collector owns {n} vehicles, no two built in the same year",
        "objects": words("sedan pickup van coupe jeep scooter tractor bus taxi camper"),
        "suffix": "",
        "lt": "The {a} is older than the {b}",
        "gt": "The {a} is newer than the {b}",
        "low": ("The {a} is the oldest", "The {a} is the {o}-oldest"),
        "high": ("The {a} is the newest", "The {a} is the {o}-newest"),
    },
    "market": {
        "intro": "A market stall sells {n} kinds of fruit, each at a different price",
        "objects": words("apples pears plums figs kiwis limes mangoes peaches cherries grapes"),
        "suffix": "",
        "lt": "The {a} cost less than the {b}",
        "gt": "The {a} cost more than the {b}",
        "low": ("The {a} are the cheapest", "The {a} are the {o}-cheapest"),
        "high": ("The {a} are the most expensive", "The {a} are the {o}-most expensive"),
    },
    "park": {
        "intro": "A park has {n} trees of different heights",
        "objects": words("oak birch maple pine cedar elm willow ash beech spruce"),
        "suffix": "",
        "lt": "The {a} is shorter than the {b}",
        "gt": "The {a} is taller than the {b}",
        "low": ("The {a} is the shortest", "The {a} is the {o}-shortest"),
        "high": ("The {a} is the tallest", "The {a} is the {o}-tallest"),
    },
}

# Parsing (BBH wording and ours): words for the low end / for "a comes before b".
_LOW = set(
    words("left,above,ahead of,older,less,shorter,oldest,cheapest,shortest,leftmost,first", ",")
)
_REL = re.compile(
    r"^(?:is |are )?(?:(?:somewhere )?to the (left|right) of|finished (above|below|ahead of"
    r"|behind)|(?:is |are )?(older|newer|taller|shorter) than|(?:are |is )?(less|more) "
    r"expensive than|cost (less|more) than) (?:the )?(.+)$"
)
_END = re.compile(
    r"^(?:is |are )?(?:the )?(leftmost|rightmost|oldest|newest|cheapest|most "
    r"expensive|tallest|shortest)$"
)
_NTH = re.compile(
    r"^(?:is |are )?(?:the )?(\w+)(?:-| from the )(left|right|oldest|newest|"
    r"cheapest|most expensive|tallest|shortest)$"
)
_FIN = re.compile(r"^finished (\w+)(?:(-to-last| from last))?$")


@cache
def _perms(n: int) -> np.ndarray:
    """Every assignment of places 0..n-1 to objects 0..n-1 (row[obj] = place)."""
    return np.array(list(itertools.permutations(range(n))), dtype=np.int8)


def _mask(perms: np.ndarray, clue: list[Any]) -> np.ndarray:
    kind, a, b = clue
    if kind == "lt":
        return perms[:, a] < perms[:, b]
    if kind == "at":
        return perms[:, a] == b
    raise ValueError(f"unknown clue {clue!r}")


def orders(n: int, clues: list[list[Any]]) -> np.ndarray:
    """All place assignments that satisfy every clue (exhaustive over permutations)."""
    perms = _perms(n)
    keep = np.ones(len(perms), dtype=bool)
    for clue in clues:
        keep &= _mask(perms, clue)
    return perms[keep]


def true_option(data: dict[str, Any]) -> str:
    """The one option letter that holds in the one order the clues allow."""
    sols = orders(len(data["objects"]), data["clues"])
    if len(sols) != 1:
        raise SymbenchError(f"the clues allow {len(sols)} orders, not exactly one")
    holds = [k for k, f in data["facts"].items() if _mask(sols, f)[0]]
    if len(holds) != 1:
        raise SymbenchError(f"{len(holds)} options hold, not exactly one")
    return holds[0]


def _ordinal(k: int, dom: dict[str, Any], high: bool, a: str) -> str:
    forms = dom["high" if high else "low"]
    return forms[0].format(a=a) if k == 0 else forms[1].format(a=a, o=ORD[k])


def _near_high(place: int, n: int, rng: random.Random) -> bool:
    """Whether to count `place` from the high end: the nearer end, a coin toss mid-way."""
    return 2 * place > n - 1 or (2 * place == n - 1 and rng.random() < 0.5)


def render_clue(clue: list[Any], names: list[str], dom: dict[str, Any], n: int, flip: bool) -> str:
    kind, a, b = clue
    if kind == "lt":
        if flip:
            return dom["gt"].format(a=names[b], b=names[a])
        return dom["lt"].format(a=names[a], b=names[b])
    return _ordinal(n - 1 - b if flip else b, dom, flip, names[a])


@register
class LogicalDeduction(Task):
    id = "logical_deduction"
    split = "seen"
    family = "bbh"
    description = "order objects from comparison and position clues, multiple choice"
    answer_format = CHOICE_FORMAT
    original_paths = ("BIG-Bench-Hard/bbh/logical_deduction_seven_objects.json",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {
            "objects": ilerp(complexity, 3, 8),
            "relational": round(lerp(complexity, 0.4, 0.85), 3),
        }

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        n = knobs["objects"]
        key = rng.choice(sorted(DOMAINS))
        dom = DOMAINS[key]
        names = [w + dom["suffix"] for w in rng.sample(dom["objects"], n)]
        place = rng.sample(range(n), n)  # place[obj]
        perms = _perms(n)
        rel = [["lt", a, b] for a in range(n) for b in range(n) if place[a] < place[b]]
        at = [["at", a, place[a]] for a in range(n)]
        rng.shuffle(rel)
        rng.shuffle(at)
        clues, masks = [], []
        keep = np.ones(len(perms), dtype=bool)
        while keep.sum() > 1:
            pool = rel if rel and (not at or rng.random() < knobs["relational"]) else at
            clue = pool.pop()
            m = _mask(perms, clue)
            if (keep & m).sum() < keep.sum():
                clues.append(clue)
                masks.append(m)
                keep &= m
        # Drop clues that are not needed, trying fixed places first so comparisons remain.
        order = rng.sample(range(len(clues)), len(clues))
        for i in sorted(order, key=lambda i: clues[i][0] == "lt"):
            rest = [m for j, m in enumerate(masks) if j != i and clues[j] is not None]
            if rest and np.logical_and.reduce(rest).sum() == 1:
                clues[i] = None
        clues = [c for c in clues if c is not None]
        rng.shuffle(clues)
        given = {c[2] for c in clues if c[0] == "at"}
        k = rng.choice([p for p in range(n) if p not in given] or list(range(n)))
        high = _near_high(k, n, rng)
        options, facts = {}, {}
        for i in range(n):
            options[LETTERS[i]] = render_clue(["at", i, k], names, dom, n, high)
            facts[LETTERS[i]] = ["at", i, k]
        text = []
        for c in clues:  # places are counted from the nearer end, as people say them
            flip = _near_high(c[2], n, rng) if c[0] == "at" else rng.random() < 0.5
            text.append(render_clue(c, names, dom, n, flip) + ".")
        intro = dom["intro"].format(n=COUNT[n])
        question = (
            f"{intro[0].upper()}{intro[1:]}: {', '.join(names)}. They are in a strict order "
            f"and exactly one order fits all of these facts. {' '.join(text)}\n"
            f"Which option is true?\n{options_block(options)}\n{self.answer_format}"
        )
        data = {"domain": key, "objects": names, "clues": clues, "options": options, "facts": facts}
        return question, data

    def solve(self, sample: Sample) -> str:
        return f"<<<({true_option(sample.data)})>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        data = sample.data
        want = true_option(data)
        names = {norm_text(o): LETTERS[i] for i, o in enumerate(data["objects"])}
        plain = norm_text(answer).removeprefix("the ")
        got = names.get(plain) or choice_letter(answer, data["options"])
        if got == want:
            return 1.0, "correct"
        return 0.0, f"option ({got}) is false; ({want}) {data['options'][want]} holds"

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        want = true_option(sample.data)
        other = rng.choice([k for k in sample.data["options"] if k != want])
        return rng.choice([f"<<<({other})>>>", f"<<<{sample.data['options'][other]}>>>"])

    def size(self, sample: Sample) -> float:
        return len(sample.data["objects"]) + len(sample.data["clues"])

    def import_original(self, root: Path) -> Iterator[Sample]:
        name = "logical_deduction_seven_objects"
        for i, ex in enumerate(bbh_examples(root, name)):
            data = parse_question(ex["input"])
            question = ex["input"] + "\n" + self.answer_format
            answer, origin = f"<<<{ex['target']}>>>", bbh_origin(name, i)
            yield Sample(self.id, question, data, answer, "test", None, None, origin)


def parse_question(text: str) -> dict[str, Any]:
    """Objects, clues and option facts from a BBH-style (or our own) question."""
    options = parse_options(text)
    body = text.split("\nOptions:")[0].split("\nWhich option")[0]
    _, _, rest = body.partition(": ")
    listing, _, rest = rest.partition(". ")
    objects = [re.sub(r"^(?:and )?(?:an? )?", "", w.strip()) for w in listing.split(",")]
    clues = [parse_fact(s, objects) for s in rest.split(". ") if _is_fact(s, objects)]
    facts = {k: parse_fact(v, objects) for k, v in options.items()}
    return {"domain": "bbh", "objects": objects, "clues": clues, "options": options, "facts": facts}


def _is_fact(sentence: str, objects: list[str]) -> bool:
    s = sentence.strip().rstrip(".").removeprefix("The ")
    return any(s.startswith(o + " ") for o in objects)


def parse_fact(sentence: str, objects: list[str]) -> list[Any]:
    """One clue or option sentence as ["lt", a, b] or ["at", a, place]."""
    s = sentence.strip().rstrip(".").removeprefix("The ")
    subj = max((o for o in objects if s.startswith(o + " ")), key=len, default=None)
    if subj is None:
        raise ValueError(f"no known object starts {sentence!r}")
    a, r, n = objects.index(subj), s[len(subj) + 1 :], len(objects)
    if m := _REL.match(r):
        word = next(g for g in m.groups()[:-1] if g)
        b = objects.index(m.group(6))
        return ["lt", a, b] if word in _LOW else ["lt", b, a]
    if m := _END.match(r):
        return ["at", a, 0 if m.group(1) in _LOW else n - 1]
    if m := _NTH.match(r):
        k = ORD.index(m.group(1))
        return ["at", a, k if m.group(2) in _LOW else n - 1 - k]
    if m := _FIN.match(r):
        if m.group(1) == "last":
            return ["at", a, n - 1]
        k = ORD.index(m.group(1))
        return ["at", a, n - 1 - k if m.group(2) else k]
    raise ValueError(f"cannot read the fact {sentence!r}")
