"""DPO trees: scores and the pairing rule, by hand and on trees grown with scripted
guides and task models (real sandbox, real verifier), checked against hand-computed
trees."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from codesteer_cli.sandbox.executor import Executor, Limits
from codesteer_cli.store.db import Store
from codesteer_cli.store.models import DPONodeRow, TurnRow
from codesteer_cli.synthesis.tree import (
    Node,
    decide_pair,
    leaf_score,
    pair_tree,
    path_repeat,
    repeat_path,
    score_tree,
)
from tests.synthesis.helpers import FAST_WRONG_TREE, P, grow, new_store

TASK = "gsm_hard"


@pytest.fixture(scope="module")
def executor() -> Executor:
    return Executor(Limits(wall_s=10), workers=2)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return new_store(tmp_path / "s.db")


# --- the rules, by hand ----------------------------------------------------------------
def _leaf(parent: Node, k: int, correct: bool, rounds: int, text: str = "") -> Node:
    n = Node(path=(*parent.path, k), parent=parent, guidance=text or f"g{k}", kind="free")
    n.final, n.correct, n.rounds = True, correct, rounds
    parent.children.append(n)
    return n


def _inner(parent: Node, k: int, text: str = "") -> Node:
    n = Node(path=(*parent.path, k), parent=parent, guidance=text or f"g{k}", kind="free")
    parent.children.append(n)
    return n


def test_leaf_scores() -> None:
    assert leaf_score(True, 1) == 14
    assert leaf_score(True, 3) == 12
    assert leaf_score(False, 1) == -1
    assert leaf_score(False, 6) == -6


def test_fast_wrong_return_is_never_chosen() -> None:
    """Return a wrong answer at round 1 (-1) vs continue and be right at round 3 (12)."""
    root = Node()
    fast = _leaf(root, 0, correct=False, rounds=1, text="<<<Return Answer>>>")
    cont = _inner(root, 1, text="<<<Code>>>")
    mid = _inner(cont, 0, text="<<<Check the factors again.>>>")
    _leaf(mid, 0, correct=True, rounds=3, text="<<<Return Answer>>>")
    assert score_tree(root) == pytest.approx(5.5)
    assert (fast.score, cont.score, mid.score) == (-1, 12, 12)
    [d] = pair_tree(root)
    assert d.kept and d.chosen is cont and d.rejected is fast and d.parent is root


def test_inner_nodes_average_their_children_and_the_rule_edges() -> None:
    root = Node()
    a = _inner(root, 0)
    _leaf(a, 0, True, 2)  # 13
    _leaf(a, 1, False, 2)  # -2
    _leaf(a, 2, True, 4)  # 11
    b = _inner(root, 1)
    _leaf(b, 0, False, 1)  # -1
    _leaf(b, 1, False, 5)  # -5
    c = _leaf(root, 2, False, 1)  # -1
    assert score_tree(root) == pytest.approx((22 / 3 - 3 - 1) / 3)
    assert a.score == pytest.approx(22 / 3) and b.score == -3 and c.score == -1
    by = {(d.chosen.path, d.rejected.path): d for d in pair_tree(root)}
    assert len(by) == 3 + 3 + 1  # root: 3 pairs, a: 3 pairs, b: 1 pair
    assert by[((0, 0), (0, 1))].kept  # 13 vs -2
    assert not by[((0, 0), (0, 2))].kept  # 13 vs 11: gap 2 is not more than 2
    assert by[((0, 0), (0, 2))].reason == "gap 2 is not more than 2"
    assert by[((0, 2), (0, 1))].kept  # 11 vs -2
    assert by[((1, 0), (1, 1))].reason == "no positive score"  # -1 vs -5
    assert by[((0,), (1,))].kept and by[((0,), (2,))].kept  # 7.33 vs -3 and vs -1
    assert by[((2,), (1,))].reason == "gap 2 is not more than 2"  # -1 vs -3


def test_zero_is_not_positive_and_same_text_is_not_a_pair() -> None:
    root = Node()
    x = _inner(root, 0)
    _leaf(x, 0, True, 7)  # 8
    _leaf(x, 1, False, 8)  # -8
    y = _leaf(root, 1, False, 3)  # -3
    score_tree(root)
    assert x.score == 0
    assert decide_pair(x, y).reason == "no positive score"  # 0 vs -3
    twins = Node()
    t1 = _leaf(twins, 0, True, 1, text="<<<Code>>>")
    t2 = _leaf(twins, 1, False, 1, text=" <<<Code>>>\n")
    score_tree(twins)
    assert decide_pair(t1, t2).reason == "same guidance text"


def test_path_repeats_are_distinct_and_invertible() -> None:
    paths = [(a,) for a in range(3)] + [(a, b) for a in range(3) for b in range(3)]
    paths += [(a, b, 0, 0) for a in range(3) for b in range(3)]
    reps = [path_repeat(p, 3) for p in paths]
    assert len(set(reps)) == len(reps) and 0 not in reps
    assert all(repeat_path(r, 3) == p for r, p in zip(reps, paths, strict=True))


# --- trees grown with scripted models ---------------------------------------------------
def test_a_scripted_tree_matches_the_hand_computed_one(store: Store, executor: Executor) -> None:
    out, nodes, pairs, eps, guides, _, drun = grow(store, executor, FAST_WRONG_TREE)
    assert out.finished == 1 and out.failed == 0, out.results
    assert set(nodes) == {"", *(".".join(map(str, p)) for p in FAST_WRONG_TREE)}
    expected = {
        "": 5.75,
        "0": 5.5,
        "0.0": -1,
        "0.1": 12,
        "0.1.0": 12,
        "0.1.0.0": 12,
        "1": 6,
        "1.0": 14,
        "1.1": -2,
        "1.1.0": -2,
    }
    assert {p: n.score for p, n in nodes.items()} == pytest.approx(expected)
    leaves = {p: (n.rounds, n.correct, n.stop_reason) for p, n in nodes.items() if n.final}
    assert leaves == {
        "0.0": (1, False, "return"),
        "0.1.0.0": (3, True, "return"),
        "1.0": (1, True, "return"),
        "1.1.0": (2, False, "return"),
    }
    # branching levels sampled at --temperature, the rollout below --max-depth at 0
    assert nodes["0.1"].temperature == 1.5 and nodes["0.1.0"].temperature == 0.0
    assert {n.parent_id for p, n in nodes.items() if p in ("0", "1")} == {nodes[""].id}
    by = {(nodes_path(nodes, x.chosen_id), nodes_path(nodes, x.rejected_id)): x for x in pairs}
    assert set(by) == {("1", "0"), ("0.1", "0.0"), ("1.0", "1.1")}
    assert not by[("1", "0")].kept and by[("1", "0")].reason == "gap 0.5 is not more than 2"
    fast = by[("0.1", "0.0")]  # the fast wrong return is rejected, the continuation chosen
    assert fast.kept and (fast.chosen_score, fast.rejected_score) == (12, -1)
    assert by[("1.0", "1.1")].kept
    # the prompt of a pair is the guide's conversation up to the parent: no system prompt
    prompt = nodes["0.1"].prompt
    assert prompt == nodes["0.0"].prompt
    assert [m["role"] for m in prompt] == ["user", "assistant", "user"]
    assert prompt[0]["content"].startswith(P.choice.split("{")[0][:40])
    assert prompt[1]["content"] == "<<<Text>>>"
    assert prompt[2]["content"].startswith("The task model's latest answer:")
    assert "0.123456" in prompt[2]["content"]
    ep = eps[0]
    assert ep.status == "finished" and ep.extra["tree"]["pairs_kept"] == 2
    # 9 guide calls; sibling calls differ only by their repeat
    assert len(guides[0].requests) == 9
    assert sorted(p.repeat for p in guides[0].params) == sorted(
        path_repeat(p, 2) for p in FAST_WRONG_TREE
    )
    with store.read() as s:
        turns = s.exec(select(TurnRow).where(TurnRow.episode_id == ep.id)).all()
    assert sum(t.role == "guide" for t in turns) == 9
    assert {t.extra["node"] for t in turns if t.role == "guide"} == {
        ".".join(map(str, p)) for p in FAST_WRONG_TREE
    }


def nodes_path(nodes: dict[str, DPONodeRow], node_id: int) -> str:
    return next(p for p, n in nodes.items() if n.id == node_id)


def test_round_limit_leaves_and_two_guides(store: Store, executor: Executor) -> None:
    """max_rounds 1: a node whose answer is the second one ends the episode. Two guide
    checkpoints: child k of a branching node asks guide k mod 2; a rollout keeps its
    parent's guide."""
    g0 = {(0,): "<<<Code>>>", (0, 0): "<<<Text>>>", (1, 0): "<<<Code>>>"}
    g1 = {(1,): "<<<Text>>>", (0, 1): "<<<Code>>>", (1, 1): "<<<Text>>>"}
    out, nodes, pairs, _, guides, _, _ = grow(store, executor, [g0, g1], max_rounds=1, max_depth=2)
    assert out.finished == 1
    finals = {p: (n.rounds, n.correct, n.stop_reason, n.score) for p, n in nodes.items() if n.final}
    assert finals == {
        "0.0": (2, False, "max_rounds", -2),
        "0.1": (2, True, "max_rounds", 13),
        "1.0": (2, True, "max_rounds", 13),
        "1.1": (2, False, "max_rounds", -2),
    }
    assert {p: n.guide_model for p, n in nodes.items() if p} == {
        "0": "scripted:guide0",
        "1": "scripted:guide1",
        "0.0": "scripted:guide0",
        "0.1": "scripted:guide1",
        "1.0": "scripted:guide0",
        "1.1": "scripted:guide1",
    }
    assert len(guides[0].requests) == 3 and len(guides[1].requests) == 3
    kept = sorted((nodes_path(nodes, p.chosen_id), p.kept) for p in pairs)
    assert kept == [("0", False), ("0.1", True), ("1.0", True)]


def test_a_failing_guide_call_fails_only_its_tree(store: Store, executor: Executor) -> None:
    table = {(0,): "<<<Code>>>", (1,): "FAIL", (0, 0): "<<<Return Answer>>>"}
    table |= {(0, 1): "<<<Return Answer>>>", (1, 0): "x", (1, 1): "x"}
    out, nodes, pairs, eps, *_ = grow(store, executor, table)
    assert out.failed == 1 and eps[0].status == "failed"
    assert "scripted failure" in (eps[0].error or "")
    assert not pairs
