"""date_understanding: work out a date from a chain of dated events, multiple choice.

An anchor event has a date (written out, or as a holiday, the last day of a month, the
n-th weekday of a month, the n-th day of a year); further events and today follow by
day/week/month/year offsets; the question asks for a date offset from today.

Complexity -> knobs: `links` (offsets from the anchor to today) grows from 1 to 5;
`units` from days only (c 1-2) to days+weeks (3-5) to days/weeks/months/years (6-10);
`max_days` from 3 to 400 (weeks, months, years scale along); `anchors` and `formats` add
holidays, month ends, UK day-first and ISO dates (c >= 4), then n-th weekdays, days of
the year and Thanksgiving (c >= 7); `options` (distractors + 1) grows from 4 to 7.
"""

from __future__ import annotations

import calendar
import random
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from symbench.core import Sample, SymbenchError, Task, ilerp, register
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

EVENTS = words(
    "the book fair, the dentist visit, the job interview, the piano recital, the product "
    "launch, the family reunion, the final exam, the harbor festival, the chess final, the "
    "roof repair, the art auction, the science fair, the charity run, the board meeting",
    ", ",
)
HOLIDAYS = {  # fixed-date holidays: (month, day)
    "New Year's Day": (1, 1),
    "Valentine's Day": (2, 14),
    "Independence Day in the US": (7, 4),
    "Halloween": (10, 31),
    "Christmas Eve": (12, 24),
    "Christmas Day": (12, 25),
    "New Year's Eve": (12, 31),
}
MONTHS = list(calendar.month_name)
ORD = words("first second third fourth fifth")
RULES = (
    "Dates follow the Gregorian calendar and a week is 7 days. Moving a date by months or "
    "years keeps its day of the month; when that day does not exist in the new month, "
    "the last day of that month is used (one month after January 31, 2021 is February "
    "28, 2021)."
)
_MDY = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")


def shift(d: date, unit: str, n: int) -> date:
    """`d` moved by n days, weeks, months or years (month ends clamp)."""
    if unit == "days":
        return d + timedelta(days=n)
    if unit == "weeks":
        return d + timedelta(weeks=n)
    months = n if unit == "months" else 12 * n
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (n >= 1) or last (n == -1) given weekday of a month."""
    if n == -1:
        last = date(year, month, calendar.monthrange(year, month)[1])
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def anchor_date(a: dict[str, Any]) -> date:
    kind = a["kind"]
    if kind == "date":
        return date.fromisoformat(a["date"])
    if kind == "last_day":
        return date(a["year"], a["month"], calendar.monthrange(a["year"], a["month"])[1])
    if kind == "nth_weekday":
        return nth_weekday(a["year"], a["month"], a["weekday"], a["n"])
    if kind == "holiday":
        return date(a["year"], *HOLIDAYS[a["name"]])
    if kind == "thanksgiving":
        return nth_weekday(a["year"], 11, 3, 4)
    if kind == "day_of_year":
        return date(a["year"], 1, 1) + timedelta(days=a["n"] - 1)
    raise SymbenchError(f"unknown anchor {kind!r}")


def _by_date(answer: str, options: dict[str, str]) -> str:
    """The option whose M/D/YYYY date equals the one written in `answer` (any padding)."""
    m = _MDY.search(answer)
    for k, v in options.items():
        o = _MDY.fullmatch(v.strip())
        if m and o and tuple(map(int, o.groups())) == tuple(map(int, m.groups())):
            return k
    raise ValueError(f"{answer[:60]!r} names none of the options {', '.join(options)}")


def mdy(d: date) -> str:
    return f"{d.month:02d}/{d.day:02d}/{d.year:04d}"


def today_date(data: dict[str, Any]) -> date:
    """Today: the anchor date moved by each link in turn."""
    d = anchor_date(data["anchor"])
    for unit, n in data["links"]:
        d = shift(d, unit, n)
    return d


def target_date(data: dict[str, Any]) -> date:
    """The asked-for date: today moved by the query offset."""
    return shift(today_date(data), *data["query"])


def render_anchor(a: dict[str, Any]) -> str:
    kind = a["kind"]
    if kind == "date":
        d = date.fromisoformat(a["date"])
        return {
            "long": f"{MONTHS[d.month]} {d.day}, {d.year}",
            "short": f"{MONTHS[d.month][:3]} {d.day}, {d.year}",
            "slash": f"{d.month}/{d.day}/{d.year} (month/day/year)",
            "dmy": f"{d.day} {MONTHS[d.month]} {d.year}",
            "iso": f"{d.isoformat()} (ISO year-month-day)",
            "uk": f"{d.day:02d}/{d.month:02d}/{d.year}, written day first as in the UK "
            "(DD/MM/YYYY)",
        }[a["format"]]
    if kind == "last_day":
        return f"the last day of {MONTHS[a['month']]} {a['year']}"
    if kind == "nth_weekday":
        nth = "last" if a["n"] == -1 else ORD[a["n"] - 1]
        return f"the {nth} {calendar.day_name[a['weekday']]} of {MONTHS[a['month']]} {a['year']}"
    if kind == "holiday":
        return f"{a['name']} of {a['year']}"
    if kind == "thanksgiving":
        return f"US Thanksgiving of {a['year']} (the fourth Thursday of November)"
    return f"day number {a['n']} of {a['year']} (January 1 is day 1)"


def amount(unit: str, n: int) -> str:
    n = abs(n)
    return f"{n} {unit[:-1] if n == 1 else unit}"


def query_text(unit: str, n: int) -> str:
    if n == 0:
        return "today"
    if unit == "days" and abs(n) == 1:
        return "tomorrow" if n > 0 else "yesterday"
    return f"{amount(unit, n)} {'from today' if n > 0 else 'ago'}"


@register
class DateUnderstanding(Task):
    id = "date_understanding"
    split = "seen"
    family = "bbh"
    description = "calendar arithmetic over a chain of dated events, multiple choice"
    answer_format = CHOICE_FORMAT
    original_paths = ("BIG-Bench-Hard/bbh/date_understanding.json",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        c = complexity
        units = ["days", "weeks", "months", "years"][: 1 if c <= 2 else 2 if c <= 5 else 4]
        anchors = ["date"]
        formats = ["long", "short", "slash"]
        if c >= 4:
            anchors += ["holiday", "last_day"]
            formats += ["dmy", "iso", "uk"]
        if c >= 7:
            anchors += ["nth_weekday", "day_of_year", "thanksgiving"]
        return {
            "links": ilerp(c, 1, 5),
            "units": units,
            "max_days": ilerp(c, 3, 400),
            "anchors": anchors,
            "formats": formats,
            "options": ilerp(c, 4, 7),
        }

    def _anchor(self, knobs: dict[str, Any], rng: random.Random) -> dict[str, Any]:
        kind, year = rng.choice(knobs["anchors"]), rng.randint(1850, 2050)
        month = rng.randint(1, 12)
        if kind == "date":
            d = date(year, month, rng.randint(1, calendar.monthrange(year, month)[1]))
            return {"kind": kind, "date": d.isoformat(), "format": rng.choice(knobs["formats"])}
        if kind == "last_day":
            return {"kind": kind, "year": year, "month": month}
        if kind == "nth_weekday":
            n, weekday = rng.choice([1, 2, 3, 4, -1]), rng.randrange(7)
            return dict(kind=kind, year=year, month=month, weekday=weekday, n=n)
        if kind == "holiday":
            return {"kind": kind, "year": year, "name": rng.choice(sorted(HOLIDAYS))}
        if kind == "day_of_year":
            return {"kind": kind, "year": year, "n": rng.randint(1, 365)}
        return {"kind": kind, "year": year}

    def _offset(self, knobs: dict[str, Any], rng: random.Random, zero: bool) -> list[Any]:
        unit = rng.choice(knobs["units"])
        top = max(1, knobs["max_days"] // {"days": 1, "weeks": 20, "months": 15, "years": 20}[unit])
        n = rng.randint(0 if zero else 1, top)
        return [unit, n * rng.choice([-1, 1])]

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        anchor = self._anchor(knobs, rng)
        links = [self._offset(knobs, rng, False) for _ in range(knobs["links"])]
        query = self._offset(knobs, rng, True)
        events = rng.sample(EVENTS, len(links))
        data: dict[str, Any] = {"anchor": anchor, "events": events, "links": links, "query": query}
        answer = target_date(data)
        wrong = sorted({mdy(d) for d in self._distractors(data, answer)} - {mdy(answer)})
        texts = rng.sample(wrong, knobs["options"] - 1) + [mdy(answer)]
        rng.shuffle(texts)
        data["options"] = {LETTERS[i]: t for i, t in enumerate(texts)}
        return self._question(data), data

    def _distractors(self, data: dict[str, Any], ans: date) -> list[date]:
        today = today_date(data)
        out = [today, shift(today, data["query"][0], -data["query"][1])]
        out += [shift(ans, u, n) for u in ("days", "weeks", "months", "years") for n in (-1, 1)]
        out += [shift(ans, "years", n) for n in (-10, 10, -100)]
        for i in range(len(data["links"])):  # one offset taken the wrong way
            flipped = [[u, -n if j == i else n] for j, (u, n) in enumerate(data["links"])]
            out.append(target_date({**data, "links": flipped}))
        if ans.day <= 12:
            out.append(date(ans.year, ans.day, ans.month))
        return [d for d in out if 1 <= d.year <= 9999]

    def _question(self, data: dict[str, Any]) -> str:
        ev = data["events"]
        lines = [f"{ev[0].capitalize()} falls on {render_anchor(data['anchor'])}."]
        for i, (unit, n) in enumerate(data["links"]):
            rel = f"{amount(unit, n)} {'after' if n > 0 else 'before'} {ev[i]}"
            last = i == len(data["links"]) - 1
            lines.append(f"Today is {rel}." if last else f"{ev[i + 1].capitalize()} is {rel}.")
        ask = f"What is the date {query_text(*data['query'])} in MM/DD/YYYY?"
        return (
            f"{RULES}\n{' '.join(lines)} {ask}\n{options_block(data['options'])}\n"
            f"{self.answer_format}"
        )

    def _want(self, data: dict[str, Any]) -> str:
        if "key" in data:  # an imported BBH question: its stored key
            return data["key"]
        want = [k for k, v in data["options"].items() if v == mdy(target_date(data))]
        if len(want) != 1:
            raise SymbenchError(f"{len(want)} options match the date, not exactly one")
        return want[0]

    def solve(self, sample: Sample) -> str:
        if "anchor" not in sample.data:
            raise SymbenchError("an imported BBH date question has no structure to solve")
        return f"<<<({self._want(sample.data)})>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        options, want = sample.data["options"], self._want(sample.data)
        try:
            got = choice_letter(answer, options)
        except ValueError:
            got = _by_date(answer, options)
        if got == want:
            return 1.0, "correct"
        return 0.0, f"({got}) {options[got]} is wrong; the answer is ({want}) {options[want]}"

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        want = self._want(sample.data)
        other = rng.choice([k for k in sample.data["options"] if k != want])
        return rng.choice([f"<<<({other})>>>", f"<<<{sample.data['options'][other]}>>>"])

    def size(self, sample: Sample) -> float:
        return len(sample.data.get("links", ())) + 1 + len(sample.data["options"])

    def import_original(self, root: Path) -> Iterator[Sample]:
        for i, ex in enumerate(bbh_examples(root, "date_understanding")):
            options = parse_options(ex["input"])
            key = ex["target"].strip("()")
            if key not in options:
                raise ValueError(f"example {i}: target {ex['target']} is not an option")
            q, data = ex["input"] + "\n" + self.answer_format, {"options": options, "key": key}
            origin = bbh_origin("date_understanding", i)
            yield Sample(self.id, q, data, f"<<<{ex['target']}>>>", "test", None, None, origin)
