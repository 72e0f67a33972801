"""`synthesize export --first-action task|code|text`: the search trees read back from the
store, each task's first action by majority (or one for all), and only trajectories
starting with it exported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codesteer_cli.errors import UserError
from codesteer_cli.runs.settings import EpisodeSettings
from codesteer_cli.sandbox.executor import Executor, Limits
from codesteer_cli.steering.episode import Models
from codesteer_cli.store.db import Store
from codesteer_cli.synthesis import search
from codesteer_cli.synthesis.export import export, select_runs
from codesteer_cli.synthesis.kept import load_trees, task_actions
from tests.fixtures.scripted import code
from tests.synthesis.helpers import WRONG, AnswerBook, P, ParamScripted, new_store


def _first_turns(path: Path) -> list[tuple[int, str]]:
    """(sample id, first guide reply) of an SFT file's turn-0 rows, sorted."""
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return sorted({(r["sample_id"], r["messages"][-1]["content"]) for r in rows if r["turn"] == 0})


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, dict[int, str]]:
    """A search run on 3 gsm_hard samples with a scripted task model: the first question
    (by sample id) is answered right in code and in text, the others right in text only.
    Returns the store and sample id -> which answers are right."""
    store = new_store(tmp_path_factory.mktemp("fa") / "s.db")
    book = AnswerBook()
    ids: dict[str, int] = {}

    def script(messages, params):  # type: ignore[no-untyped-def]
        q = book.find(messages[0]["content"])
        both = q == min(ids, key=ids.__getitem__)
        last = messages[-1]["content"]
        if last.endswith(P.text) or last.startswith(P.text):
            return f"Reasoning in text, I get <<<{book.by_question[q]}>>>"
        return code(f"print({book.by_question[q] if both else WRONG!r})")

    def opened(run: object) -> None:
        from sqlmodel import select

        from codesteer_cli.store.models import SampleRow

        book.load(store)
        with store.read() as s:
            ids.update({r.question: r.id for r in s.exec(select(SampleRow)).all()})

    cfg = search.SearchConfig(
        task_model="scripted:task",
        tasks="gsm_hard",
        per_task=3,
        complexity="2",
        actions=("code", "text", "return", "terminate"),
        episode=EpisodeSettings(max_rounds=1, self_check=False),
    )
    models = Models(ParamScripted("task", script), executor=Executor(Limits(wall_s=10)))
    out = search.synthesize_search(store, cfg, "search", models=models, on_open=opened)
    assert out.finished == 3
    first = min(ids.values())
    return store, {i: ("both" if i == first else "text") for i in ids.values()}


def test_trees_read_back_and_the_majority_action(searched: tuple[Store, dict[int, str]]) -> None:
    store, right = searched
    trees = load_trees(store, select_runs(store, ["search"], ["synthesize-search"]))
    assert sorted(t.sample.id for t in trees) == sorted(right)
    for t in trees:  # whole trees: root -> code/text -> their leaves
        assert [c.kind for c in t.root.children] == ["code", "text"]
        assert all(c.parent is t.root for c in t.root.children)
    [ta] = task_actions(trees).values()
    assert (ta.task, ta.action, ta.code, ta.text, ta.trees) == ("gsm_hard", "text", 1, 3, 3)


def test_export_keeps_only_the_tasks_action(
    searched: tuple[Store, dict[int, str]], tmp_path: Path
) -> None:
    store, right = searched
    code_reply, text_reply = search.ACTIONS["code"], search.ACTIONS["text"]
    by_sample = export(store, sft=tmp_path / "s.jsonl", runs=["search"], val_fraction=0)
    assert by_sample.task_actions == {}
    # per sample: the sample right both ways keeps Code (the tie-break), the others Text
    assert _first_turns(tmp_path / "s.jsonl") == sorted(
        (i, code_reply if r == "both" else text_reply) for i, r in right.items()
    )
    by_task = export(
        store, sft=tmp_path / "t.jsonl", runs=["search"], val_fraction=0, first_action="task"
    )
    assert by_task.task_actions["gsm_hard"].action == "text"
    assert _first_turns(tmp_path / "t.jsonl") == sorted((i, text_reply) for i in right)
    # rows rebuilt from the trees are the stored ones where the two rules agree
    stored = {line for line in (tmp_path / "s.jsonl").read_text().splitlines()}
    rebuilt = (tmp_path / "t.jsonl").read_text().splitlines()
    both = next(i for i, r in right.items() if r == "both")
    agree = [x for x in rebuilt if json.loads(x)["sample_id"] != both]
    assert agree and all(x in stored for x in agree)
    assert by_task.sft is not None and by_sample.sft is not None
    assert by_task.sft.rows == by_sample.sft.rows  # one 2-turn trajectory per sample each


def test_one_first_action_for_every_task(
    searched: tuple[Store, dict[int, str]], tmp_path: Path
) -> None:
    """--first-action code: every task opens with Code, and where the code was wrong the
        kept trajectory goes on to the round that got it right (here Text, whose answer is final
    at the round limit)."""
    store, right = searched
    code_reply, text_reply = search.ACTIONS["code"], search.ACTIONS["text"]
    ret = search.ACTIONS["return"]  # code right: returned at once
    res = export(
        store, sft=tmp_path / "c.jsonl", runs=["search"], val_fraction=0, first_action="code"
    )
    ta = res.task_actions["gsm_hard"]
    assert (ta.action, ta.code, ta.text) == ("code", 1, 3)  # the counts are still reported
    assert _first_turns(tmp_path / "c.jsonl") == sorted((i, code_reply) for i in right)
    rows = [json.loads(line) for line in (tmp_path / "c.jsonl").read_text().splitlines()]
    for i, r in right.items():
        replies = {x["turn"]: x["messages"][-1]["content"] for x in rows if x["sample_id"] == i}
        want = [code_reply, ret] if r == "both" else [code_reply, text_reply]
        assert [replies[t] for t in sorted(replies)] == want
    text_first = export(
        store, sft=tmp_path / "x.jsonl", runs=["search"], val_fraction=0, first_action="text"
    )
    assert {a.action for a in text_first.task_actions.values()} == {"text"}
    assert _first_turns(tmp_path / "x.jsonl") == sorted((i, text_reply) for i in right)


def test_bad_first_action_and_non_search_runs(
    searched: tuple[Store, dict[int, str]], tmp_path: Path
) -> None:
    store, _ = searched
    with pytest.raises(UserError, match="unknown --first-action 'tree'"):
        export(store, sft=tmp_path / "x.jsonl", first_action="tree")
    from codesteer_cli.store.models import RunRow
    from codesteer_cli.synthesis.export import sft_rows

    with pytest.raises(UserError, match="search-teacher runs only"):
        sft_rows(store, [RunRow(id=999, name="sft-run", kind="synthesize-sft")], "task")


def test_a_tree_not_finished_is_left_out(searched: tuple[Store, dict[int, str]]) -> None:
    """An interrupted tree is partial: it must not vote for its task's action."""
    from sqlmodel import select

    from codesteer_cli.store.models import EpisodeRow

    store, right = searched
    runs = select_runs(store, ["search"], ["synthesize-search"])
    first = min(right)
    with store.session() as s:
        ep = s.exec(select(EpisodeRow).where(EpisodeRow.sample_id == first)).one()
        ep.status = "running"
        s.add(ep)
        s.commit()
    try:
        trees = load_trees(store, runs)
        assert sorted(t.sample.id for t in trees) == sorted(i for i in right if i != first)
        [ta] = task_actions(trees).values()
        assert (ta.code, ta.text, ta.trees) == (0, 2, 2)
    finally:
        with store.session() as s:
            ep = s.exec(select(EpisodeRow).where(EpisodeRow.sample_id == first)).one()
            ep.status = "finished"
            s.add(ep)
            s.commit()
