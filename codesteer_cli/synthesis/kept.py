"""What the search teacher keeps: its action space, each tree's correct trajectories as SFT
examples, and the first-action rules of `synthesize export --first-action task|code|text`.

Per sample, the teacher keeps its shortest correct trajectories (`trajectories`). Where a
weak task model's first answer is right by luck of the sample, one task's examples then
mix Code and Text first turns. The per-task rule makes them consistent: over a task's
stored trees, `code` and `text` count the trees whose Code-first and Text-first answer,
returned at once, is right; the task's action is Code if code >= text (the per-sample
tie-break's order), else Text. Each tree then gives its shortest correct trajectories *that
start with the task's action* (a tree with none gives nothing). `code` or `text` fixes one
first action for every task instead: a Code-first guide, say, then learns from the trees
where code was wrong what to do after reading its output (docs/preregistered-test-6.md).
For export the trees are read back from `dpo_nodes` (`load_trees`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from codesteer_cli.store.export import tree_nodes
from codesteer_cli.store.models import RunRow, SampleRow, SFTExampleRow
from codesteer_cli.synthesis.tree import FINAL_TURNS_WEIGHTED, FINAL_WEIGHT, Node, sort_children

if TYPE_CHECKING:
    from codesteer_cli.store.db import Store


VARIANT = "search"  # the SFT examples' variant

# The guide's action space: name -> the guide's reply.
ACTIONS: dict[str, str] = {
    "code": "<<<Code>>>",
    "text": "<<<Text>>>",
    "return": "<<<Return Answer>>>",
    "terminate": "<<<Terminate>>>",
    "fix": "<<<The code did not print a usable answer. Read the error or empty output above, "
    "fix the program and run it again.>>>",
    "thorough": "<<<Write more thorough code: compute or search for the answer step by step "
    "in the program instead of writing it in by hand, and print it in the required format.>>>",
}
ORDER = tuple(ACTIONS)  # a child's branch index is its action's position here
START = ("code", "text")
STOPS = ("return", "terminate")


def trajectories(root: Node, keep: int, first: str | None = None) -> list[list[Node]]:
    """Up to `keep` correct root-to-leaf paths (without the root), shortest first, then
    in action order; only those starting with action `first` if given."""
    leaves = [n for n in root.walk() if n.final and n.correct]
    if first is not None:
        leaves = [n for n in leaves if n.path[:1] == (ORDER.index(first),)]
    leaves.sort(key=lambda n: (n.rounds, len(n.path), n.path))
    out = []
    for leaf in leaves[:keep]:
        path, n = [], leaf
        while n.parent is not None:
            path.append(n)
            n = n.parent
        out.append(path[::-1])
    return out


def sft_rows(
    root: Node, keep: int, run_id: int, episode_id: int, smp: Any, first: str | None = None
) -> list[SFTExampleRow]:
    """The SFT examples of a scored tree's kept trajectories (see `trajectories`)."""
    rows = []
    for path in trajectories(root, keep, first):
        n = len(path)
        for t, node in enumerate(path):
            rows.append(
                SFTExampleRow(
                    run_id=run_id,
                    episode_id=episode_id,
                    sample_id=smp.id,
                    task=smp.task,
                    variant=VARIANT,
                    turn=t,
                    turns=n,
                    weight=FINAL_WEIGHT if t >= n - FINAL_TURNS_WEIGHTED else 1,
                    kind=node.kind,
                    messages=[*node.prompt, {"role": "assistant", "content": node.guidance}],
                )
            )
    return rows


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
    got = tree_nodes(store, [r.id for r in runs])  # type: ignore[misc]
    nodes: dict[int, Node] = {}
    trees: dict[int, Tree] = {}
    for row, smp in got:
        assert row.id is not None
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
        nodes[row.id] = node
        parent = nodes.get(row.parent_id) if row.parent_id is not None else None
        if parent is not None:
            node.parent = parent
            parent.children.append(node)
        elif not path:
            trees[row.episode_id] = Tree(node, row.run_id, row.episode_id, smp)
    for t in trees.values():  # stored in the order they finished
        sort_children(t.root)
    return list(trees.values())


def first_right(tree: Tree, action: str) -> bool:
    """Whether the tree's `action`-first answer, returned at once, is right."""
    k = ORDER.index(action)
    return any(
        n.final and n.correct and n.rounds == 1 and n.path[:1] == (k,) for n in tree.root.walk()
    )


def task_actions(trees: list[Tree], fixed: str | None = None) -> dict[str, TaskAction]:
    """Each task's first action by the module's rule, or `fixed` ("code"/"text") for all."""
    by_task: dict[str, list[Tree]] = {}
    for t in trees:
        by_task.setdefault(t.sample.task, []).append(t)
    out = {}
    for task, ts in sorted(by_task.items()):
        code = sum(first_right(t, "code") for t in ts)
        text = sum(first_right(t, "text") for t in ts)
        action = fixed or (START[0] if code >= text else START[1])
        out[task] = TaskAction(task, action, code, text, len(ts))
    return out


def task_examples(
    store: Store, runs: list[RunRow], fixed: str | None = None
) -> tuple[list[tuple[SFTExampleRow, str]], dict[str, TaskAction]]:
    """(example, sample content hash) under the per-task rule (or one `fixed` first action),
    and the tasks' actions."""
    if fixed is not None and fixed not in START:
        raise ValueError(f"fixed first action must be one of {START}, got {fixed!r}")
    trees = load_trees(store, runs)
    actions = task_actions(trees, fixed)
    keep = {r.id: int(r.config.get("keep", 1)) for r in runs}
    out = []
    for t in trees:
        first = actions[t.sample.task].action
        for ex in sft_rows(t.root, keep[t.run_id], t.run_id, t.episode_id, t.sample, first):
            out.append((ex, t.sample.content_hash))
    return out, actions
