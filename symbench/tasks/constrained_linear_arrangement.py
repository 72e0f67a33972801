"""constrained_linear_arrangement: from the cards you played and each round's result,
name cards your opponent could have played (each card at most once).

Three games, each one rule set used by question text, solver and verifier:
- stick: Stick (A) beats Tiger (B) beats Chicken (C) beats Worm (D) beats Stick; any
  other pair (same card, A-C, B-D) is a draw;
- elements: Wood A, Fire B, Earth C, Metal D, Water E; generating cycle A>B>C>D>E>A,
  overcoming cycle A>C>E>B>D>A; the holder of a generating card loses, the holder of an
  overcoming card wins, equal cards draw (read symmetrically, as the original text says);
- animal: Elephant A > Lion B > ... > Mouse H by rank, except the Mouse beats the
  Elephant; equal pieces draw.

Complexity -> knobs: c=1..3 stick with 2-4 rounds, c=4..6 elements with 3-5 rounds,
c=7..10 animal with 5-8 rounds. Draw rounds often admit several cards, so the verifier
replays every round under the rules; size is log2 of the number of possible opponent
sequences.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.core import Sample, Task, origin_of, read_json, register, sample_dirs

_GEN = {"A": "B", "B": "C", "C": "D", "D": "E", "E": "A"}
_OVER = {"A": "C", "C": "E", "E": "B", "B": "D", "D": "A"}
_BEATS = {"A": "B", "B": "C", "C": "D", "D": "A"}
PIECES = {"stick": "ABCD", "elements": "ABCDE", "animal": "ABCDEFGH"}
_LEVELS = {1: ("stick", 2), 2: ("stick", 3), 3: ("stick", 4), 4: ("elements", 3),
           5: ("elements", 4), 6: ("elements", 5), 7: ("animal", 5), 8: ("animal", 6),
           9: ("animal", 7), 10: ("animal", 8)}  # fmt: skip
_ORIGINAL_GAME = {
    "five-element flags": "elements",
    '"Stick, Tiger, Chicken."': "stick",
    "similar to Jungle Chess": "animal",
}
_ORIGINAL_RELATIONS = (
    "Generation: Wood A generates Fire B, Fire B generates Earth C, Earth C generates Metal "
    "D, Metal D generates Water E, Water E generates Wood A.\n2. Overcoming: Wood A "
    "overcomes Earth C, Earth C overcomes Water E, Water E overcomes Fire B, Fire B "
    "overcomes Metal D, Metal D overcomes Wood A."
)
_RULES = {
    "stick": (
        "Each player holds four cards: A = Stick, B = Tiger, C = Chicken, D = Worm. Stick "
        "beats Tiger, Tiger beats Chicken, Chicken beats Worm and Worm beats Stick. If one "
        "card beats the other, its player wins the round; every other pair (the same card "
        "twice, Stick against Chicken, Tiger against Worm) is a draw."
    ),
    "elements": (
        "Each player holds five element cards: A = Wood, B = Fire, C = Earth, D = Metal, "
        "E = Water. Generating: Wood generates Fire, Fire generates Earth, Earth generates "
        "Metal, Metal generates Water, Water generates Wood. Overcoming: Wood overcomes "
        "Earth, Earth overcomes Water, Water overcomes Fire, Fire overcomes Metal, Metal "
        "overcomes Wood. Only the card you play counts: if your card generates the "
        "opponent's card you lose; if your card overcomes the opponent's card you win; in "
        "every other case (equal cards, or the opponent's card generates or overcomes "
        "yours) the round is a draw."
    ),
    "animal": (
        "Each player holds eight animal pieces, from strongest to weakest: A = Elephant, "
        "B = Lion, C = Tiger, D = Leopard, E = Wolf, F = Dog, G = Cat, H = Mouse. The "
        "stronger piece wins the round, with one exception: the Mouse beats the Elephant "
        "(and the Elephant loses to the Mouse). Two equal pieces draw."
    ),
}


def outcome(game: str, mine: str, theirs: str) -> str:
    """The result of a round for the player who played `mine`."""
    if mine == theirs:
        return "draw"
    if game == "elements":
        # As the original release scores it (every stored answer agrees): only the
        # relations of your own card decide; the opponent's card acting on yours draws.
        if _GEN[mine] == theirs:
            return "loss"
        return "win" if _OVER[mine] == theirs else "draw"
    if game == "stick":
        return "win" if _BEATS[mine] == theirs else "loss" if _BEATS[theirs] == mine else "draw"
    if {mine, theirs} == {"A", "H"}:
        return "win" if mine == "H" else "loss"
    return "win" if mine < theirs else "loss"  # A is the strongest


def find_sequence(game: str, moves: list[str], results: list[str]) -> list[str] | None:
    """An opponent sequence (distinct cards) consistent with every round, or None."""
    options = [[o for o in PIECES[game] if outcome(game, m, o) == r]
               for m, r in zip(moves, results, strict=True)]  # fmt: skip
    order = sorted(range(len(moves)), key=lambda i: len(options[i]))
    chosen: dict[int, str] = {}

    def search(k: int) -> bool:
        if k == len(order):
            return True
        i = order[k]
        for o in options[i]:
            if o not in chosen.values():
                chosen[i] = o
                if search(k + 1):
                    return True
                del chosen[i]
        return False

    return [chosen[i] for i in range(len(moves))] if search(0) else None


def parse_cards(answer: str) -> list[str]:
    return [t.upper() for t in re.findall(r"[A-Za-z]+", answer)]


@register
class ConstrainedLinearArrangement(Task):
    id = "constrained_linear_arrangement"
    split = "seen"
    family = "logic_game"
    description = "infer the opponent's cards from your cards and each round's result"
    answer_format = (
        "Return the opponent's cards, round 1 first, as a comma-separated list of letters "
        "inside <<< >>>, e.g. <<<A,B,C>>>."
    )
    original_paths = ("constrained_linear_arrangement",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        game, rounds = _LEVELS[complexity]
        return {"game": game, "rounds": rounds}

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        game, rounds = knobs["game"], knobs["rounds"]
        moves = rng.sample(PIECES[game], rounds)
        theirs = rng.sample(PIECES[game], rounds)
        results = [outcome(game, m, o) for m, o in zip(moves, theirs, strict=True)]
        data = {"game": game, "moves": moves, "results": results}
        return self._question(data), data

    def _question(self, data: dict[str, Any]) -> str:
        rounds = "\n".join(
            f"Round {i}: you played {m}, result for you: {r}."
            for i, (m, r) in enumerate(zip(data["moves"], data["results"], strict=True), 1)
        )
        return (
            "Two players play a card game. In every round both reveal one card at the "
            "same time, and each player may use each of their cards at most once in the "
            f"whole game.\n{_RULES[data['game']]}\n\nYou are one of the players. These "
            f"are the cards you played and the result of each round for you:\n{rounds}\n\n"
            "Which card did your opponent play in each round? Give any sequence of "
            "cards, one per round and no card twice, that agrees with every result.\n"
            f"{self.answer_format}"
        )

    def solve(self, sample: Sample) -> str:
        seq = find_sequence(sample.data["game"], sample.data["moves"], sample.data["results"])
        if seq is None:
            raise ValueError("no opponent sequence agrees with the results")
        return f"<<<{','.join(seq)}>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        game, moves, results = (sample.data[k] for k in ("game", "moves", "results"))
        cards = parse_cards(answer)
        if len(cards) != len(moves):
            return 0.0, f"expected {len(moves)} cards, got {len(cards)}"
        for i, card in enumerate(cards, 1):
            if card not in PIECES[game]:
                return 0.0, f"round {i}: {card!r} is not one of the cards {PIECES[game]}"
            if card in cards[: i - 1]:
                return 0.0, f"round {i}: card {card} was already played"
            got = outcome(game, moves[i - 1], card)
            if got != results[i - 1]:
                return 0.0, (
                    f"round {i}: your {moves[i - 1]} against {card} is a {got} for you, "
                    f"but the result was a {results[i - 1]}"
                )
        return 1.0, "every round agrees"

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        game, moves, results = (sample.data[k] for k in ("game", "moves", "results"))
        cards = parse_cards(answer_text)
        i = rng.randrange(len(cards))
        wrong = [o for o in PIECES[game] if outcome(game, moves[i], o) != results[i]]
        cards[i] = rng.choice(wrong)
        return f"<<<{','.join(cards)}>>>"

    def size(self, sample: Sample) -> float:
        n, k = len(PIECES[sample.data["game"]]), len(sample.data["moves"])
        return math.log2(math.perm(n, k))

    def import_original(self, root: Path) -> Iterator[Sample]:
        base = root / "constrained_linear_arrangement"
        for d in sample_dirs(base):
            question = (d / "question.txt").read_text(encoding="utf-8")
            games = [g for key, g in _ORIGINAL_GAME.items() if key in question]
            if len(games) != 1:
                raise ValueError(f"{d.name}: cannot tell which game the question describes")
            if games[0] == "elements" and _ORIGINAL_RELATIONS not in question:
                raise ValueError(f"{d.name}: unexpected element relations")
            found = re.findall(r"^Round \d+: ([A-H]), (win|loss|draw)\.$", question, re.M)
            if not found:
                raise ValueError(f"{d.name}: no rounds found")
            stored = read_json(d / "solution.json")
            data = {
                "game": games[0],
                "moves": [m for m, _ in found],
                "results": [r for _, r in found],
            }
            if stored["player_moves"] != data["moves"] or stored["results"] != data["results"]:
                raise ValueError(f"{d.name}: rounds differ from solution.json")
            yield Sample(
                self.id,
                question,
                data,
                f"<<<{','.join(stored['solution'])}>>>",
                "test",
                None,
                None,
                origin_of(root, d),
            )
