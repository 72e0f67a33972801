"""constrained_linear_arrangement: the three rule sets by hand, several answers valid when
rounds are draws, per-round rejection details, and the known-bad element samples."""

from __future__ import annotations

import itertools

import pytest

from symbench.core import Sample, get_task
from symbench.tasks.constrained_linear_arrangement import find_sequence, outcome
from tests.conftest import reference_root

TASK = get_task("constrained_linear_arrangement")


def _sample(game: str, moves: list[str], results: list[str]) -> Sample:
    return Sample(TASK.id, "hand-made", {"game": game, "moves": moves, "results": results}, "")


@pytest.mark.parametrize(
    ("game", "mine", "theirs", "want"),
    [  # elements: A Wood, B Fire, C Earth, D Metal, E Water
        ("elements", "A", "B", "loss"),  # Wood generates Fire: the generator loses
        ("elements", "B", "A", "draw"),  # the opponent's Wood generates my Fire: only mine counts
        ("elements", "A", "C", "win"),  # Wood overcomes Earth
        ("elements", "C", "A", "draw"),  # the opponent's Wood overcomes my Earth
        ("elements", "E", "B", "win"),  # Water overcomes Fire
        ("elements", "D", "D", "draw"),
        ("stick", "A", "B", "win"),  # Stick beats Tiger
        ("stick", "A", "D", "loss"),  # Worm beats Stick
        ("stick", "A", "C", "draw"),
        ("stick", "B", "D", "draw"),
        ("animal", "H", "A", "win"),  # Mouse beats Elephant
        ("animal", "A", "H", "loss"),
        ("animal", "B", "C", "win"),  # Lion beats Tiger
        ("animal", "H", "G", "loss"),
        ("animal", "E", "E", "draw"),
    ],
)
def test_outcomes_by_hand(game: str, mine: str, theirs: str, want: str) -> None:
    assert outcome(game, mine, theirs) == want


def test_element_pairs_are_decided_by_my_card_only() -> None:
    for a in "ABCDE":
        for b in "ABCDE":
            if a == b:
                assert outcome("elements", a, b) == "draw"
                continue
            # exactly one of the two cards acts on the other: that side decides
            assert sorted([outcome("elements", a, b), outcome("elements", b, a)]).count("draw") == 1


def test_draws_admit_several_answers() -> None:
    s = _sample("stick", ["A", "B"], ["draw", "draw"])
    for text in ("<<<A,B>>>", "<<<C,D>>>", "<<<C,B>>>", "<<<A,D>>>", "<<<['c', 'd']>>>"):
        assert TASK.verify(s, text).correct, text
    assert TASK.verify(s, TASK.solve(s)).correct


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("<<<A,A>>>", "already played"),
        ("<<<B,A>>>", "is a win for you"),
        ("<<<A>>>", "expected 2 cards"),
        ("<<<A,E>>>", "not one of the cards"),
    ],
)
def test_rejections(text: str, detail: str) -> None:
    v = TASK.verify(_sample("stick", ["A", "B"], ["draw", "draw"]), text)
    assert not v.correct and detail in v.detail


def test_animal_chain_has_one_answer() -> None:
    # you play A..H and win every round. The Cat (G) beats only the Mouse, so round 7 is
    # H; then the Dog (F) can only have beaten G, ... and the Mouse beat the Elephant.
    moves, results = list("ABCDEFGH"), ["win"] * 8
    assert find_sequence("animal", moves, results) == list("BCDEFGHA")
    fits = [
        p
        for p in itertools.permutations("ABCDEFGH")
        if all(outcome("animal", m, o) == "win" for m, o in zip(moves, p, strict=True))
    ]
    assert fits == [tuple("BCDEFGHA")]
    assert find_sequence("stick", ["A", "C"], ["win", "win"]) == ["B", "D"]
    assert find_sequence("stick", ["A", "C"], ["win", "loss"]) is None  # both need B


def test_original_element_sample_by_hand() -> None:
    samples = {s.origin: s for s in TASK.import_original(reference_root())}
    s = samples["constrained_linear_arrangement/sample_1"]
    # you played Fire, Earth, Wood with loss, draw, draw; the stored answer is Earth,
    # Fire, Water. Round 1: your Fire generates Earth: you lose. Round 2: the opponent's
    # Fire generates your Earth: only your card counts, a draw. Round 3: Water generates
    # your Wood: a draw.
    assert s.data == {"game": "elements", "moves": ["B", "C", "A"],
                      "results": ["loss", "draw", "draw"]}  # fmt: skip
    assert s.answer == "<<<C,B,E>>>" and TASK.verify(s, s.answer).correct
    assert TASK.known_bad == {}
    v = TASK.verify(s, "<<<C,D,E>>>")  # your Earth generates Metal: a loss, not a draw
    assert not v.correct and v.detail.startswith("round 2")
