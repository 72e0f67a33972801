"""web_of_lies: truth-tellers and liars; one person's honesty is given, everyone else
makes one claim about another person; does the asked-about person tell the truth?

Complexity -> knobs: `people` grows from 3 to 14 (the number of claims is people - 1);
`branch` (chance that a claim is about an earlier person other than the one just before,
so the web is a tree instead of a chain) grows from 0 to 0.6; from complexity 6 the
statements are shuffled (`shuffle`), so the reader must order the dependencies.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.core import Sample, SymbenchError, Task, ilerp, lerp, register
from symbench.tasks._bbh import (
    YES_NO_FORMAT,
    bbh_examples,
    bbh_origin,
    words,
    yes_no,
    yes_no_text,
)

NAMES = words(
    "Abel Bianca Carlos Dalia Emil Farah Gideon Hana Ivo Jasmin Kofi Lena Milo Nadia Oskar "
    "Priya Quinn Rosa Soren Tamar Umar Vera Wendell Ximena Yusuf Zora Anselm Beatriz Cyrus "
    "Delphine Ezra Flavia Gunnar Hilde Idris Juno Kasimir Leora Matteo Noor"
)

_BASE = re.compile(r"^(?:Question: )?(\w+) (tells the truth|lies)$")
_CLAIM = re.compile(r"^(\w+) (?:says|claims)(?: that)? (\w+) (tells the truth|lies)$")
_QUERY = re.compile(r"Does (\w+) tell the truth\?")


def truth_values(data: dict[str, Any]) -> dict[str, bool]:
    """Everyone's honesty, derived from the given fact through the claims.

    A claim "S says T tells the truth" holds exactly when S is honest, so
    honest(S) == (claim == honest(T)). Each person other than the given one makes one
    claim, so every value is forced: the solution is unique when it exists."""
    base, base_truth = data["base"]
    about = {}
    for speaker, target, says_truthful in data["claims"]:
        if speaker in about or speaker == base:
            raise SymbenchError(f"{speaker} is described twice")
        about[speaker] = (target, bool(says_truthful))
    known = {base: bool(base_truth)}
    for person in data["people"]:
        path = []
        while person not in known:
            if person not in about or person in path:
                raise SymbenchError(f"the honesty of {person} is not determined")
            path.append(person)
            person = about[person][0]
        for p in reversed(path):
            target, says = about[p]
            known[p] = says == known[target]
    return known


@register
class WebOfLies(Task):
    id = "web_of_lies"
    split = "seen"
    family = "bbh"
    description = "follow a chain of claims between liars and truth-tellers"
    answer_format = YES_NO_FORMAT
    original_paths = ("BIG-Bench-Hard/bbh/web_of_lies.json",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        return {
            "people": ilerp(complexity, 3, 14),
            "branch": round(lerp(complexity, 0.0, 0.6), 3),
            "shuffle": complexity >= 6,
        }

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        people = rng.sample(NAMES, knobs["people"])
        claims = []
        for i in range(1, len(people)):
            j = i - 1
            if i >= 2 and rng.random() < knobs["branch"]:
                j = rng.randrange(i - 1)
            claims.append([people[i], people[j], rng.random() < 0.5])
        if knobs["shuffle"]:
            rng.shuffle(claims)
        data = {
            "people": people,
            "base": [people[0], rng.random() < 0.5],
            "claims": claims,
            "query": people[-1],
        }
        return self._question(data), data

    def _question(self, data: dict[str, Any]) -> str:
        def verb(truthful: bool) -> str:
            return "tells the truth" if truthful else "lies"

        lines = [
            "Each person below is either honest (every statement they make is true) or a "
            "liar (every statement they make is false).",
            f"{data['base'][0]} {verb(data['base'][1])}.",
        ]
        lines += [f"{s} says that {t} {verb(v)}." for s, t, v in data["claims"]]
        lines.append(f"Does {data['query']} tell the truth?")
        return " ".join(lines) + "\n" + self.answer_format

    def solve(self, sample: Sample) -> str:
        return f"<<<{yes_no_text(truth_values(sample.data)[sample.data['query']])}>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        want = truth_values(sample.data)[sample.data["query"]]
        got = yes_no(answer)
        if got == want:
            return 1.0, "correct"
        return 0.0, f"{sample.data['query']} {'tells the truth' if want else 'lies'}"

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        want = truth_values(sample.data)[sample.data["query"]]
        return f"<<<{rng.choice([yes_no_text(not want), 'maybe'])}>>>"

    def size(self, sample: Sample) -> float:
        return len(sample.data["people"])

    def import_original(self, root: Path) -> Iterator[Sample]:
        for i, ex in enumerate(bbh_examples(root, "web_of_lies")):
            data = parse_question(ex["input"])
            question = ex["input"] + "\n" + self.answer_format
            answer = f"<<<{ex['target']}>>>"
            yield Sample(
                self.id, question, data, answer, "test", None, None, bbh_origin("web_of_lies", i)
            )


def parse_question(text: str) -> dict[str, Any]:
    """The structured puzzle from a BBH-style (or our own) question text."""
    body = text.split("\n")[0]
    query = _QUERY.search(body)
    if not query:
        raise ValueError("no 'Does X tell the truth?' in the question")
    base, claims, people = None, [], []
    for sentence in body[: query.start()].split("."):
        s = sentence.strip()
        if m := _CLAIM.match(s):
            claims.append([m.group(1), m.group(2), m.group(3) == "tells the truth"])
            people.append(m.group(1))
        elif m := _BASE.match(s):
            if base is not None:
                raise ValueError("two people with a given honesty")
            base = [m.group(1), m.group(2) == "tells the truth"]
            people.insert(0, m.group(1))
    if base is None:
        raise ValueError("no person with a given honesty")
    return {"people": people, "base": base, "claims": claims, "query": query.group(1)}
