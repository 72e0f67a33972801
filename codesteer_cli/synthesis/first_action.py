"""`synthesize export --first-action task`: one first action per task for the search teacher.

Per sample, the search teacher keeps its shortest correct trajectory, so where a weak task
model's first answer is right by luck of the sample, one task's examples mix Code and Text
first turns. This rule makes them consistent: over a task's stored trees, `code` and
`text` count the trees whose Code-first and Text-first answer, returned at once, is right;
the task's action is Code if code >= text (the per-sample tie-break's order), else Text.
Each tree then gives its shortest correct trajectories *that start with the task's
action* (a tree with none gives nothing). The trees are read back from `dpo_nodes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import select

from codesteer_cli.store.models import DPONodeRow, RunRow, SampleRow, SFTExampleRow
from codesteer_cli.synthesis.search import ORDER, START, sft_rows
from codesteer_cli.synthesis.tree import Node

if TYPE_CHECKING:
    from codesteer_cli.store.db import Store


@dataclass
class Tree:
    root: Node
    run_id: int
    episode_id: int
    sample: SampleRow


@dataclass(frozen=True)
class TaskAction:
    task: str
    action: str  # "code" or "text"
    code: int  # trees whose Code-first answer, returned, is right
    text: int
    trees: int


def load_trees(store: Store, runs: list[RunRow]) -> list[Tree]:
    """The runs' stored search trees, rebuilt as `Node`s (in episode order)."""
    ids = [r.id for r in runs]
    with store.read() as s:
        got = s.exec(
            select(DPONodeRow, SampleRow)
            .join(SampleRow, SampleRow.id == DPONodeRow.sample_id)  # type: ignore[arg-type]
            .where(DPONodeRow.run_id.in_(ids))  # type: ignore[attr-defined]
            .order_by(DPONodeRow.episode_id, DPONodeRow.depth, DPONodeRow.id)  # type: ignore[arg-type]
        ).all()
    nodes: dict[int, Node] = {}
    trees: dict[int, Tree] = {}
    for row, smp in got:
        path = tuple(int(k) for k in row.path.split(".")) if row.path else ()
        node = Node(
            path=path,
            guidance=row.guidance,
            kind=row.kind,
            prompt=list(row.prompt),
            final=row.final,
            rounds=row.rounds,
            correct=row.correct,
            db_id=row.id,
        )
        assert row.id is not None
        nodes[row.id] = node
        parent = nodes.get(row.parent_id) if row.parent_id is not None else None
        if parent is not None:
            node.parent = parent
            parent.children.append(node)
        elif not path:
            trees[row.episode_id] = Tree(node, row.run_id, row.episode_id, smp)
    for node in nodes.values():  # stored in the order they finished
        node.children.sort(key=lambda c: c.path)
    return list(trees.values())


def first_right(tree: Tree, action: str) -> bool:
    """Whether the tree's `action`-first answer, returned at once, is right."""
    k = ORDER.index(action)
    return any(
        n.final and n.correct and n.rounds == 1 and n.path[:1] == (k,) for n in tree.root.walk()
    )


def task_actions(trees: list[Tree]) -> dict[str, TaskAction]:
    """Each task's first action by the module's rule."""
    by_task: dict[str, list[Tree]] = {}
    for t in trees:
        by_task.setdefault(t.sample.task, []).append(t)
    out = {}
    for task, ts in sorted(by_task.items()):
        code = sum(first_right(t, "code") for t in ts)
        text = sum(first_right(t, "text") for t in ts)
        action = START[0] if code >= text else START[1]
        out[task] = TaskAction(task, action, code, text, len(ts))
    return out


def task_examples(
    store: Store, runs: list[RunRow]
) -> tuple[list[tuple[SFTExampleRow, str]], dict[str, TaskAction]]:
    """(example, sample content hash) under the per-task rule, and the tasks' actions."""
    trees = load_trees(store, runs)
    actions = task_actions(trees)
    keep = {r.id: int(r.config.get("keep", 1)) for r in runs}
    out = []
    for t in trees:
        first = actions[t.sample.task].action
        for ex in sft_rows(t.root, keep[t.run_id], t.run_id, t.episode_id, t.sample, first):
            out.append((ex, t.sample.content_hash))
    return out, actions
