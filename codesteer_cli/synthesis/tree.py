"""DPO trees (SPEC §4), the algebra: nodes, leaf scores, tree scores, pairing.

A finalizing node (Return Answer, Terminate, or the answer at the round limit) is a
leaf, scored `15 - i` if the final answer is correct and `-i` if not, where `i` is the
number of task-model answers on its path; an inner node scores the mean of its children.
Siblings are paired when their scores differ by more than 2 and at least one is
positive; the higher is *chosen*. Siblings with the same guidance text are not paired
(there is nothing to prefer). `synthesis/dpo.py` grows the trees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from codesteer_cli.steering.methods import GuidedState

CORRECT_BASE = 15.0  # a correct final answer at round i scores 15 - i
MIN_GAP = 2.0  # a pair's scores must differ by more than this
FINAL_TURNS_WEIGHTED = 2  # SFT: the last two guide turns of a trajectory ...
FINAL_WEIGHT = 2  # ... count twice (SPEC §4)


# --- scoring and pairing (pure) -------------------------------------------------------
def leaf_score(correct: bool, rounds: int) -> float:
    """A finalizing node at round `rounds`: 15 - rounds if correct, else -rounds."""
    return CORRECT_BASE - rounds if correct else -float(rounds)


@dataclass(eq=False)
class Node:
    """One node of a guidance tree (the root has no guidance)."""

    path: tuple[int, ...] = ()
    parent: Node | None = None
    guidance: str | None = None
    kind: str = "root"
    guide_index: int | None = None
    guide_model: str | None = None
    temperature: float | None = None
    prompt: list[dict[str, str]] = field(default_factory=list)
    state: GuidedState | None = None
    final: bool = False
    stop_reason: str | None = None
    rounds: int = 0
    correct: bool | None = None
    answer_score: float | None = None
    final_answer: str | None = None
    children: list[Node] = field(default_factory=list)
    score: float | None = None
    db_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def path_str(self) -> str:
        return ".".join(str(k) for k in self.path)

    def walk(self) -> list[Node]:
        out = [self]
        for c in self.children:
            out += c.walk()
        return out


def sort_children(node: Node) -> None:
    """Children in branch order, all the way down (they arrive in completion order)."""
    node.children.sort(key=lambda c: c.path[-1])
    for c in node.children:
        sort_children(c)


def score_tree(node: Node) -> float:
    """Score every node below (and including) `node`; returns its score."""
    if node.final:
        node.score = leaf_score(bool(node.correct), node.rounds)
    elif node.children:
        node.score = sum(score_tree(c) for c in node.children) / len(node.children)
    else:
        raise ValueError(f"node {node.path_str or 'root'} is neither final nor expanded")
    return node.score


@dataclass
class PairDecision:
    parent: Node
    chosen: Node  # the higher score (a tie: the earlier sibling)
    rejected: Node
    kept: bool
    reason: str


def decide_pair(a: Node, b: Node, min_gap: float = MIN_GAP) -> PairDecision:
    """The pairing rule for two scored siblings."""
    assert a.parent is b.parent and a.parent is not None
    assert a.score is not None and b.score is not None
    hi, lo = (a, b) if a.score >= b.score else (b, a)
    gap = hi.score - lo.score  # type: ignore[operator]
    if gap <= min_gap:
        return PairDecision(a.parent, hi, lo, False, f"gap {gap:g} is not more than {min_gap:g}")
    if hi.score <= 0:  # type: ignore[operator]
        return PairDecision(a.parent, hi, lo, False, "no positive score")
    if (hi.guidance or "").strip() == (lo.guidance or "").strip():
        return PairDecision(a.parent, hi, lo, False, "same guidance text")
    return PairDecision(a.parent, hi, lo, True, f"kept: {hi.score:g} vs {lo.score:g}")


def pair_tree(root: Node, min_gap: float = MIN_GAP) -> list[PairDecision]:
    """Every sibling pair of a scored tree, with its decision (parents in walk order)."""
    out = []
    for node in root.walk():
        kids = node.children
        for i in range(len(kids)):
            for j in range(i + 1, len(kids)):
                out.append(decide_pair(kids[i], kids[j], min_gap))
    return out


def path_repeat(path: tuple[int, ...], branches: int) -> int:
    """A distinct `repeat` per node path (bijective base branches + 1, digits 1..)."""
    rep = 0
    for k in path:
        rep = rep * (branches + 1) + k + 1
    return rep


def repeat_path(repeat: int, branches: int) -> tuple[int, ...]:
    """The node path a guide call's `repeat` stands for (inverse of `path_repeat`)."""
    out: list[int] = []
    while repeat:
        repeat, digit = divmod(repeat, branches + 1)
        if digit == 0:
            raise ValueError("not a path repeat")
        out.append(digit - 1)
    return tuple(reversed(out))
