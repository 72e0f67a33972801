"""SFT trajectories: train samples only, one episode per sample x variant through the
steering engine, correct trajectories kept, examples in the codesteer guide's format
with the final two turns weighted 2, and a re-run served from the response cache."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest
from sqlmodel import select

from codesteer_cli.errors import UserError
from codesteer_cli.runs.lifecycle import open_run
from codesteer_cli.runs.samples import check_tasks
from codesteer_cli.sandbox.executor import Executor, Limits
from codesteer_cli.steering import runner
from codesteer_cli.store import repo
from codesteer_cli.store.db import Store
from codesteer_cli.store.models import EpisodeRow, SampleRow, SFTExampleRow
from codesteer_cli.synthesis import trajectories as tj
from symbench.core import get_task
from tests.synthesis.helpers import PLANS, AnswerBook, P, new_store, synthesize

TASK = get_task("gsm_hard")


@pytest.fixture(scope="module")
def executor() -> Executor:
    return Executor(Limits(wall_s=10), workers=2)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return new_store(tmp_path / "s.db")


def test_trajectories_become_codesteer_style_examples(store: Store, executor: Executor) -> None:
    # a problem stored as a TEST sample that train generation (seed 0) would also make
    clash = TASK.generate(2, 0, "train")
    repo.add_samples(store, [dataclasses.replace(clash, split="test", origin="imported/x")])
    book = AnswerBook()
    srun, out, teacher, task = synthesize(store, executor, book, hard=1)
    assert out.failed == 0 and out.finished == 9, out.results
    with store.read() as s:
        eps = s.exec(
            select(EpisodeRow, SampleRow).join(SampleRow).where(EpisodeRow.run_id == srun.row.id)
        ).all()
        exs = s.exec(select(SFTExampleRow).order_by(SFTExampleRow.id)).all()
    # train samples only, the test-stored clash excluded, generated from seeds 1..3
    assert {smp.split for _, smp in eps} == {"train"}
    assert clash.content_hash not in {smp.content_hash for _, smp in eps}
    assert sorted({smp.seed for _, smp in eps}) == [1, 2, 3]
    assert srun.row.kind == "synthesize-sft" and srun.row.config["teacher"] == "scripted:teacher"
    assert srun.row.config["variants"] == ["free", "text_to_code", "more_code"]
    # one episode per sample x variant; the variant is the repeat
    assert sorted((e.sample_id, e.repeat) for e, _ in eps) == sorted(
        (sid, r) for sid in {e.sample_id for e, _ in eps} for r in range(3)
    )
    # the teacher saw the teacher prompt + the variant's text; the examples do not
    first = [r for r in teacher.requests if len(r) == 2]
    assert all(r[0]["role"] == "system" and r[0]["content"].startswith(P.teacher) for r in first)
    assert sum(P.variants["more_code"] in r[0]["content"] for r in first) == 3
    # kept: correct trajectories only (the hard sample is wrong in every variant)
    kept = {(x.episode_id, x.variant) for x in exs}
    assert len(kept) == 6
    assert {e.id for e, _ in eps if (e.score or 0) >= 1} == {k[0] for k in kept}
    assert len(exs) == 2 * (2 + 3 + 3)
    for x in exs:
        turns = PLANS[x.variant]
        assert x.turns == len(turns)
        assert x.weight == (2 if x.turn >= x.turns - 2 else 1)
        msgs = x.messages
        assert len(msgs) == 2 * (x.turn + 1)
        assert [m["role"] for m in msgs] == ["user", "assistant"] * (x.turn + 1)
        question = book.find(msgs[0]["content"])
        assert msgs[0]["content"] == P.choice.format(question=question)
        assert all(m["content"].startswith("The task model's latest answer:") for m in msgs[2::2])
        assert [m["content"] for m in msgs[1::2]] == turns[: x.turn + 1]
        assert x.kind == {"<<<Code>>>": "code", "<<<Text>>>": "text"}.get(
            turns[x.turn], "return" if "Return" in turns[x.turn] else "free"
        )
    weights = sorted(
        (x.variant, x.turn, x.weight) for x in exs if x.episode_id == exs[0].episode_id
    )
    assert [w for _, _, w in weights] in ([2, 2], [1, 2, 2])
    # rebuilding is idempotent
    assert tj.build_examples(store, srun.row.id) == len(exs)  # type: ignore[arg-type]
    with store.read() as s:
        assert len(s.exec(select(SFTExampleRow)).all()) == len(exs)


def test_rerunning_a_finished_synthesis_makes_no_model_call(
    store: Store, executor: Executor
) -> None:
    book = AnswerBook()
    srun, _, teacher, task = synthesize(store, executor, book, name="s1")
    calls = len(teacher.requests) + len(task.requests)
    assert calls > 0
    again = open_run(
        store, tj.SftConfig(teacher="scripted:teacher", task_model="scripted:task"), resume="s1"
    )
    assert again.resumed and not again.todo and again.done == 9
    # a new run over the same samples: every call comes from the response cache
    srun2, out2, teacher2, task2 = synthesize(store, executor, book)
    assert srun2.row.id != srun.row.id and out2.finished == 9
    assert len(teacher2.requests) + len(task2.requests) == 0
    with store.read() as s:
        n1 = len(s.exec(select(SFTExampleRow).where(SFTExampleRow.run_id == srun.row.id)).all())
        n2 = len(s.exec(select(SFTExampleRow).where(SFTExampleRow.run_id == srun2.row.id)).all())
    assert n1 == n2 == 3 * (2 + 3 + 3)


def test_unseen_tasks_and_unknown_variants_are_refused(store: Store) -> None:
    with pytest.raises(UserError, match="number_multiply is an unseen task"):
        check_tasks("number_multiply", allow_unseen=False)
    assert [t.id for t in check_tasks("number_multiply", allow_unseen=True)] == ["number_multiply"]
    bad = tj.SftConfig(teacher="a:b", task_model="a:b", tasks="gsm_hard", variants=("free", "x"))
    with pytest.raises(UserError, match="unknown variant 'x'"):
        bad.validate()
    steer = runner.SteerConfig(method="codesteer", tasks="gsm_hard", limit=1)
    open_run(store, steer, "steer-run")
    cfg = tj.SftConfig(teacher="a:b", task_model="a:b", tasks="gsm_hard", per_task=1)
    with pytest.raises(UserError, match="is a steer run"):
        tj.synthesize_sft(store, cfg, resume="steer-run")


class _NoRecorder:
    """Stands in for the episode recorder (nothing stored)."""

    def __init__(self) -> None:
        from codesteer_cli.steering.record import Tally

        self.tally = Tally()

    def turn(self, *args: object, **kwargs: object) -> int:
        return 0


def test_examples_are_what_the_codesteer_method_shows_its_guide(
    store: Store, executor: Executor
) -> None:
    """Replaying a kept trajectory's guidances with `--method codesteer` sends the guide
    exactly the example prompts (no teacher prompt, the same choice and round prompts)."""
    from codesteer_cli.steering.episode import Episode, Models
    from codesteer_cli.steering.methods import METHODS
    from tests.synthesis.helpers import ParamScripted, task_script

    book = AnswerBook()
    srun, *_ = synthesize(store, executor, book)
    with store.read() as s:
        exs = s.exec(select(SFTExampleRow).where(SFTExampleRow.variant == "text_to_code")).all()
        ep = s.get(EpisodeRow, exs[0].episode_id)
        smp = s.get(SampleRow, exs[0].sample_id)
    mine = sorted((x for x in exs if x.episode_id == ep.id), key=lambda x: x.turn)
    guide = ParamScripted("replay", lambda m, p: PLANS["text_to_code"][len(m) // 2])
    task = ParamScripted("task", lambda m, p: task_script(book)(m))
    setup = Models(task, [guide], executor=executor).setup(srun.cfg.episode, threading.Event())
    episode = Episode(setup, TASK, repo.row_to_sample(smp), _NoRecorder(), ep.repeat)  # type: ignore[arg-type]
    out = METHODS["codesteer"](episode)
    assert out.stop_reason == "return" and out.rounds == 2
    assert guide.requests == [x.messages[:-1] for x in mine]
    assert [x.messages[-1]["content"] for x in mine] == PLANS["text_to_code"]


def test_lettered_replies_are_classified_with_the_runs_prompt_set() -> None:
    """The `tiny` set asks for letters; "A" means code at the choice turn and return the
    answer later, as the engine read it, not free text."""
    turns = [
        ([{"role": "user", "content": "choose"}], "A"),
        (
            [
                {"role": "user", "content": "choose"},
                {"role": "assistant", "content": "A"},
                {"role": "user", "content": "next"},
            ],
            "A",
        ),
    ]
    assert [x.kind for x in tj.trajectory_examples(turns, "tiny")] == ["code", "return"]
    assert [x.kind for x in tj.trajectory_examples(turns)] == ["free", "free"]
