"""Sokoban levels as bit masks: parsing, drawing, generating by reverse pulls, and the
search that solves a level from its map alone (used by `symbench.tasks.sokoban`)."""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

BUDGET = 1000  # search states expanded before the solver gives up
MOVES = "UDLR"


@dataclass(frozen=True)
class Level:
    width: int
    floor: frozenset[int]  # cells (row * width + column) that are not walls
    goals: frozenset[int]
    boxes: frozenset[int]
    player: int

    def step(self, move: str) -> int:
        return {"U": -self.width, "D": self.width, "L": -1, "R": 1}[move]


def parse_level(rows: list[str]) -> Level:
    width = max(map(len, rows))
    floor, goals, boxes, players = set(), set(), set(), []
    for r, row in enumerate(rows):
        for c, ch in enumerate(row.ljust(width, "#")):
            i = r * width + c
            if ch not in "# .$*@+":
                raise ValueError(f"unknown map character {ch!r}")
            for group, chars in ((floor, " .$*@+"), (goals, ".*+"), (boxes, "$*")):
                if ch in chars:
                    group.add(i)
            if ch in "@+":
                players.append(i)
    if len(players) != 1 or len(goals) != len(boxes):
        raise ValueError("a level needs one worker and as many goals as boxes")
    return Level(width, frozenset(floor), frozenset(goals), frozenset(boxes), players[0])


def render(w: int, h: int, floor: int, goals: int, boxes: int, player: int) -> list[str]:
    """Map rows from bit masks: # wall, ' ' floor, . goal, $ box, * box on goal, @ worker."""

    def ch(i: int) -> str:
        if not floor >> i & 1:
            return "#"
        return " .$*@+"[(goals >> i & 1) + 2 * (boxes >> i & 1) + 4 * (i == player)]

    return ["".join(ch(r * w + c) for c in range(w)) for r in range(h)]


def _flood(free: int, start: int, w: int) -> int:
    """Cells of `free` (a bit mask) connected to `start`; walls around the map keep the
    shifts from wrapping around rows."""
    region = 1 << start
    while True:
        grown = (region | region << 1 | region >> 1 | region << w | region >> w) & free
        if grown == region:
            return region
        region = grown


def walk(lv: Level, start: int, target: int, boxes: frozenset[int]) -> str:
    """Shortest walk (letters) from start to target around the boxes."""
    prev: dict[int, tuple[int, str] | None] = {start: None}
    todo = [start]
    for p in todo:
        if p == target:
            break
        for m in MOVES:
            q = p + lv.step(m)
            if q in lv.floor and q not in boxes and q not in prev:
                prev[q] = (p, m)
                todo.append(q)
    path = []
    while prev[target] is not None:
        target, m = prev[target]
        path.append(m)
    return "".join(reversed(path))


def _pull_distances(lv: Level) -> dict[int, int]:
    """Pushes needed to bring a box from each cell to the nearest goal, ignoring other
    boxes; cells missing from the result are dead (no box there can reach a goal)."""
    dist = {g: 0 for g in lv.goals}
    todo = sorted(lv.goals)
    for b in todo:
        for m in MOVES:
            d = lv.step(m)
            if b + d in lv.floor and b + 2 * d in lv.floor and b + d not in dist:
                dist[b + d] = dist[b] + 1
                todo.append(b + d)
    return dist


def _bits(mask: int) -> list[int]:
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def _mask(cells: Iterable[int]) -> int:
    return sum(1 << c for c in cells)


def _frozen(floor: int, goals: int, w: int, boxes: int, p: int) -> bool:
    """A box at p sits in a 2x2 block of walls and boxes with some box off its goal."""
    for corner in (p, p - 1, p - w, p - w - 1):
        block = (1 << corner) | (1 << (corner + 1)) | (1 << (corner + w)) | (1 << (corner + w + 1))
        if not block & floor & ~boxes and block & boxes & ~goals:
            return True
    return False


@lru_cache(maxsize=256)
def solve_level(rows: tuple[str, ...], budget: int = BUDGET) -> str | None:
    """A move string that solves the level, or None if the search exceeds its budget.
    Cells and box sets are bit masks here (bit r * width + c)."""
    lv = parse_level(list(rows))
    w, dist = lv.width, _pull_distances(lv)
    if any(b not in dist for b in lv.boxes):
        return None
    floor, goals, live = _mask(lv.floor), _mask(lv.goals), _mask(dist)
    steps = [(m, lv.step(m)) for m in MOVES]
    # nodes[i] = (parent index, box pushed from, move letter)
    nodes: list[tuple[int, int, str]] = [(-1, -1, "")]
    h0 = sum(dist[b] for b in lv.boxes)
    heap = [(3 * h0, 0, 0, h0, _mask(lv.boxes), lv.player, 0)]
    seen, queued = set(), set()
    tie = 0
    while heap and budget > 0:
        _, _, g, h, boxes, player, node = heapq.heappop(heap)
        region = _flood(floor & ~boxes, player, w)
        key = (boxes, region & -region)
        if key in seen:
            continue
        seen.add(key)
        if boxes == goals:
            return _moves(lv, nodes, node)
        budget -= 1
        for b in _bits(boxes):
            for m, d in steps:
                to = b + d
                if not region >> (b - d) & 1 or not live >> to & 1 or boxes >> to & 1:
                    continue
                nb = boxes ^ (1 << b) | (1 << to)
                if (nb, b) in queued or (not goals >> to & 1 and _frozen(floor, goals, w, nb, to)):
                    continue
                queued.add((nb, b))
                nodes.append((node, b, m))
                tie += 1
                nh = h - dist[b] + dist[to]
                heapq.heappush(heap, (g + 1 + 3 * nh, tie, g + 1, nh, nb, b, len(nodes) - 1))
    return None


def _moves(lv: Level, nodes: list[tuple[int, int, str]], node: int) -> str:
    pushes = []
    while nodes[node][0] >= 0:
        parent, b, m = nodes[node]
        pushes.append((b, m))
        node = parent
    out, player, boxes = [], lv.player, lv.boxes
    for b, m in reversed(pushes):
        d = lv.step(m)
        out.append(walk(lv, player, b - d, boxes) + m)
        boxes, player = (boxes - {b}) | {b + d}, b
    return "".join(out)


def count_pushes(lv: Level, moves: str) -> int:
    player, boxes, n = lv.player, set(lv.boxes), 0
    for m in moves:
        player += lv.step(m)
        if player in boxes:
            boxes ^= {player, player + lv.step(m)}
            n += 1
    return n


def draw_level(knobs: dict[str, Any], rng: random.Random) -> list[str] | None:
    """A room with inner walls, boxes pulled off their goals by random reverse moves."""
    h, w = knobs["rows"] + 2, knobs["cols"] + 2
    floor = _mask(r * w + c for r in range(1, h - 1) for c in range(1, w - 1))
    for _ in range(knobs["inner_walls"]):
        rest = floor ^ (1 << rng.choice(_bits(floor)))
        if _flood(rest, _bits(rest)[0], w) == rest:  # keep the floor connected
            floor = rest
    goals = rng.sample(_bits(floor), knobs["boxes"])
    boxes = _mask(goals)
    player = rng.choice(_bits(floor & ~boxes))
    for _ in range(knobs["pulls"]):
        free = floor & ~boxes
        region = _flood(free, player, w)
        # pull box b one step along d: the worker stands at b+d and backs off to b+2d
        options = [
            (b, d)
            for b in _bits(boxes)
            for d in (-w, w, -1, 1)
            if region >> (b + d) & 1 and free >> (b + 2 * d) & 1
        ]
        if not options:
            break
        b, d = rng.choice(options)
        boxes ^= (1 << b) | (1 << (b + d))
        player = b + 2 * d
    if boxes & _mask(goals):
        return None
    player = rng.choice(_bits(_flood(floor & ~boxes, player, w)))
    return render(w, h, floor, _mask(goals), boxes, player)
