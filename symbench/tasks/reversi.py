"""reversi: play a list of moves on a Reversi (Othello) board and report the board.

`place` is the only statement of the rules: a piece goes on an empty cell and flips, in
each of the 8 directions, an unbroken line of opponent pieces closed by the mover's own
piece. A landing on a cell that is not empty changes nothing.

The original release is built that way round: its "previous round" board already shows
the listed moves (the generator printed the board after playing them), so every listed
landing cell is occupied and the reference answer is the shown board unchanged. The
import keeps those questions and answers as they are; the rule above reproduces them.
Generated questions show the real position before the moves, and every move is legal.

Complexity -> knobs: board side 4 (c1-3), 6 (c4-7), 8 (c8-10); moves to play 1 -> 8 and
random legal opening moves before the shown position (an even number from
[2..6, 4..14]), growing linearly.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from symbench.answers import clean
from symbench.core import Sample, Task, ilerp, origin_of, read_json, register, sample_dirs

DIRS = [(0, 1), (1, 0), (0, -1), (-1, 0), (1, 1), (-1, -1), (1, -1), (-1, 1)]
NAME = {"0": "black (0)", "1": "white (1)"}


def start_board(n: int) -> list[str]:
    b = [["*"] * n for _ in range(n)]
    m = n // 2
    b[m - 1][m - 1], b[m - 1][m], b[m][m - 1], b[m][m] = "1", "0", "0", "1"
    return ["".join(row) for row in b]


def flips(board: list[str], r: int, c: int, me: str) -> list[tuple[int, int]]:
    """Opponent pieces a piece of colour `me` placed on (r, c) would flip (0-based)."""
    n, other = len(board), "1" if me == "0" else "0"
    out: list[tuple[int, int]] = []
    for dr, dc in DIRS:
        run, i, j = [], r + dr, c + dc
        while 0 <= i < n and 0 <= j < n and board[i][j] == other:
            run.append((i, j))
            i, j = i + dr, j + dc
        if run and 0 <= i < n and 0 <= j < n and board[i][j] == me:
            out.extend(run)
    return out


def place(board: list[str], r: int, c: int, me: str) -> list[str]:
    """The board after `me` lands on (r, c) (0-based); unchanged if the cell is taken."""
    if board[r][c] != "*":
        return board
    b = [list(row) for row in board]
    b[r][c] = me
    for i, j in flips(board, r, c, me):
        b[i][j] = me
    return ["".join(row) for row in b]


def play(board: list[str], moves: list[list]) -> list[str]:
    for r, c, me in moves:
        board = place(board, r - 1, c - 1, me)
    return board


def legal(board: list[str], me: str) -> list[tuple[int, int]]:
    n = len(board)
    return [
        (r, c) for r in range(n) for c in range(n) if board[r][c] == "*" and flips(board, r, c, me)
    ]


def parse_board(answer: str, n: int) -> list[str]:
    cells = re.sub(r"[\s,;\[\]()'\"|]", "", clean(answer))
    if len(cells) != n * n or set(cells) - set("01*"):
        raise ValueError(f"expected {n * n} cells from 0, 1, * for an {n}x{n} board")
    return [cells[i * n : (i + 1) * n] for i in range(n)]


def board_text(board: list[str]) -> str:
    return ",".join("".join(board))


@register
class Reversi(Task):
    id = "reversi"
    split = "seen"
    family = "logic_game"
    description = "play given moves on a Reversi board; final board"
    answer_format = (
        "Give the board after the last move inside <<< >>>: every cell row by row from the "
        "top, as 0, 1 or *, separated by commas; e.g. <<<*,*,*,*,*,1,0,*,*,0,1,*,*,*,*,*>>> "
        "is the 4x4 starting position."
    )
    original_paths = ("reversi_dataset",)

    def knobs(self, complexity: int) -> dict[str, Any]:
        n = 4 if complexity <= 3 else 6 if complexity <= 7 else 8
        return {
            "n": n,
            "moves": ilerp(complexity, 1, 8),
            "opening": [ilerp(complexity, 2, 6), ilerp(complexity, 4, 14)],
        }

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        while True:
            board, me = start_board(knobs["n"]), "0"
            moves: list[list] = []
            opening = rng.randint(*knobs["opening"]) // 2 * 2  # black moves next
            for k in range(opening + knobs["moves"]):
                options = legal(board, me)
                if not options:
                    break
                r, c = rng.choice(options)
                if k == opening:
                    shown = board
                if k >= opening:
                    moves.append([r + 1, c + 1, me])
                board = place(board, r, c, me)
                me = "1" if me == "0" else "0"
            else:
                data = {"board": shown, "moves": moves}
                return self._question(data), data

    def _question(self, data: dict[str, Any]) -> str:
        n = len(data["board"])
        lines = [
            f"Move {i}: {NAME[me]} at ({r}, {c})" for i, (r, c, me) in enumerate(data["moves"], 1)
        ]
        return (
            f"A game of Reversi is played on a {n}x{n} board: 0 is a black piece, 1 a white "
            f"piece and * an empty cell. Cell (a, b) is in row a (from the top) and column b "
            f"(from the left), both counted from 1.\n"
            f"A move puts a piece of the mover's colour on an empty cell. Then, looking from "
            f"that cell in each of the 8 directions (left, right, up, down and the four "
            f"diagonals): if the cells next to it in that direction form an unbroken line of "
            f"one or more opponent pieces, and the cell right after that line holds a piece "
            f"of the mover's colour, every piece of that line turns to the mover's colour. "
            f"A line ended by an empty cell or by the edge of the board turns nothing. "
            f"Pieces turned over do not cause further turning.\n\n"
            f"Current board:\n" + "\n".join(data["board"]) + "\n\n"
            "These moves are now played in order (each lands on a cell that is empty at that "
            "moment):\n" + "\n".join(lines) + "\n\n"
            "What is the board after the last move?\n" + self.answer_format
        )

    def _final(self, sample: Sample) -> list[str]:
        return play(sample.data["board"], sample.data["moves"])

    def solve(self, sample: Sample) -> str:
        return f"<<<{board_text(self._final(sample))}>>>"

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        want = self._final(sample)
        got = parse_board(answer, len(want))
        wrong = [
            f"({i + 1}, {j + 1}): expected {w}, got {g}"
            for i in range(len(want))
            for j, (w, g) in enumerate(zip(want[i], got[i], strict=True))
            if w != g
        ]
        return (0.0, "; ".join(wrong[:5])) if wrong else (1.0, "exact")

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        board = self._final(sample)
        r, c, _ = sample.data["moves"][-1]
        cells = [(i, j) for i, row in enumerate(board) for j, x in enumerate(row) if x != "*"]
        i, j = rng.choice(cells) if rng.random() < 0.5 else (r - 1, c - 1)
        b = [list(row) for row in board]
        b[i][j] = "1" if b[i][j] == "0" else "0"
        return f"<<<{board_text([''.join(row) for row in b])}>>>"

    def size(self, sample: Sample) -> float:
        return len(sample.data["board"]) ** 2 + len(sample.data["moves"])

    def import_original(self, root: Path) -> Iterator[Sample]:
        for d in sample_dirs(root / "reversi_dataset"):
            question = (d / "question.txt").read_text(encoding="utf-8")
            n = re.search(r"Given: n=(\d+)", question)
            board = re.search(r"The previous round of the game was: ?\n([01*\n]+?)\n\n", question)
            rounds = re.findall(
                r"Round \d+: (Your|The opponent)'s landing position is "
                r"\((\d+),\s*(\d+)\)",
                question,
            )
            if not n or not board or not rounds:
                raise ValueError(f"{d.name}: cannot read the board size, board or moves")
            rows = board.group(1).split("\n")
            if len(rows) != int(n.group(1)) or any(len(x) != len(rows) for x in rows):
                raise ValueError(f"{d.name}: board does not match n")
            moves = [[int(r), int(c), "0" if who == "Your" else "1"] for who, r, c in rounds]
            ref = read_json(d / "solution.json")["solution"]
            yield Sample(
                self.id,
                question,
                {"board": rows, "moves": moves},
                f"<<<{ref}>>>",
                "test",
                None,
                None,
                origin_of(root, d),
            )
