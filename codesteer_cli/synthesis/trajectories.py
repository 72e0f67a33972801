"""SFT trajectories (SPEC §4): the teacher guide steers the task model on training samples.

The teacher is the `symbolic_agent` method (a prompted large guide with the teacher
prompt + a prompt *variant*); it runs through the steering engine (`runner.open_run`,
`ensure_episodes`, `pending_episodes`, `execute`), one episode per sample x variant (the
episode's `repeat` is the variant's index, which also keeps the variants' model calls
apart in the response cache). A synthesis run is a run of kind `synthesize-sft`,
resumable like `steer`.

Correct trajectories (episode score 1) with at most `max_guidance_turns` guide turns
become SFT examples: one per guide turn, the guide's conversation up to that turn ending
with the teacher's guidance. The conversation is the one `--method codesteer` shows its
guide at inference (choice prompt + question first, short round prompts after, no teacher
system prompt): the trained guide is used there. The final two guide turns of each
trajectory have weight 2 (SPEC §4: against gradient cancellation).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, update
from sqlmodel import select

from codesteer_cli.errors import UserError
from codesteer_cli.steering.guidance import parse_guidance
from codesteer_cli.store import repo
from codesteer_cli.store.models import (
    CodeExecutionRow,
    DPONodeRow,
    DPOPairRow,
    EpisodeRow,
    SampleRow,
    SFTExampleRow,
    TurnRow,
)

if TYPE_CHECKING:
    from codesteer_cli.steering.episode import Setup
    from codesteer_cli.steering.runner import EpisodeResult, Progress, SteerConfig
    from codesteer_cli.store.db import Store
    from codesteer_cli.store.models import RunRow
    from symbench.core import Task

log = logging.getLogger("codesteer.synthesize")

KIND = "synthesize-sft"
METHOD = "symbolic_agent"
VARIANTS: tuple[str, ...] = ("free", "text_to_code", "more_code")
FINAL_TURNS_WEIGHTED = 2  # the last two guide turns of a trajectory ...
FINAL_WEIGHT = 2  # ... count twice


# --- choosing tasks and training samples ---------------------------------------------
def check_tasks(spec: str, allow_unseen: bool) -> list[Task]:
    """The tasks of `spec`; unseen ones only with `allow_unseen` (SPEC §4: training data
    comes from the seen tasks only)."""
    from symbench.core import select_tasks

    tasks = select_tasks(spec)
    unseen = [t.id for t in tasks if t.split != "seen"]
    if unseen and not allow_unseen:
        what = "is an unseen task" if len(unseen) == 1 else "are unseen tasks"
        raise UserError(
            f"{', '.join(unseen)} {what}: training data comes from seen tasks only "
            "(pass --allow-unseen to use them anyway)"
        )
    return tasks


def choose_train_samples(
    store: Store,
    tasks: Sequence[Task],
    per_task: int,
    levels: Sequence[int],
    on_message: Callable[[str], None] = lambda m: None,
) -> list[SampleRow]:
    """Up to `per_task` stored **train** samples per task, spread over `levels`. Missing
    ones are generated (train split, seeds 0, 1, ...), skipping every problem whose
    problem key (`Task.problem_key`) is a stored test sample's. Test samples are never
    returned."""
    from codesteer_cli.generation import generate_distinct
    from codesteer_cli.steering.runner import spread

    chosen: list[SampleRow] = []
    for task in tasks:
        if task.original_paths and not repo.has_original_samples(store, task.id):
            on_message(
                f"{task.id}: the original release's test samples are not in the store, so "
                "training problems cannot be checked against them; import them first "
                "(codesteer generate --import PATH)"
            )
        test_keys = repo.problem_keys(store, task.id, "test")
        rows = repo.find_samples(store, task.id, "train", levels)
        if len(rows) < per_task:
            per_level = math.ceil(per_task / len(levels))
            made = []
            for level in levels:
                made += generate_distinct(
                    task, level, per_level, 0, "train", test_keys, on_short=on_message
                )
            repo.add_samples(store, made)
            rows = repo.find_samples(store, task.id, "train", levels)
        rows = [
            r
            for r in rows
            if r.split == "train" and task.problem_key(repo.row_to_sample(r)) not in test_keys
        ]
        chosen += spread(rows, per_task)
    if not chosen:
        raise UserError("no training samples could be found or generated for these tasks")
    return chosen


# --- configuration ----------------------------------------------------------------------
@dataclass
class SftConfig:
    """What `synthesize sft` does. It is stored as the run's `SteerConfig`
    (method symbolic_agent, split train, one repeat per variant)."""

    teacher: str
    task_model: str
    tasks: str = "seen"
    per_task: int = 400
    complexity: str = "1-10"
    variants: tuple[str, ...] = VARIANTS
    allow_unseen: bool = False
    max_guidance_turns: int = 5  # kept trajectories have at most this many guide turns
    checker_model: str | None = None
    prompts: str = "default"
    symbolic_checker: bool = True
    self_check: bool = True
    task_max_tokens: int = 2048
    guide_max_tokens: int = 512
    task_temperature: float = 0.0
    teacher_temperature: float = 0.0
    seed: int | None = None
    code_timeout_s: float = 30.0
    # --- execution only ---
    concurrency: int = 8
    max_cost: float | None = None
    cache: bool = True

    def validate(self) -> None:
        from codesteer_cli.steering.prompts import get_prompts
        from symbench.core import parse_complexity

        check_tasks(self.tasks, self.allow_unseen)
        parse_complexity(self.complexity)
        known = get_prompts(self.prompts).variants
        if not self.variants:
            raise UserError("--variants: give at least one variant")
        for v in self.variants:
            if v not in known:
                raise UserError(f"unknown variant {v!r}; choose from {', '.join(known)}")
        if len(set(self.variants)) != len(self.variants):
            raise UserError("--variants: each variant once")
        for name, lo in (
            ("per_task", 1),
            ("max_guidance_turns", 1),
            ("concurrency", 1),
            ("task_max_tokens", 1),
            ("guide_max_tokens", 1),
        ):
            if getattr(self, name) < lo:
                raise UserError(f"--{name.replace('_', '-')} must be at least {lo}")
        if self.task_temperature < 0 or self.teacher_temperature < 0:
            raise UserError("temperatures must be at least 0")

    def steer_config(self) -> SteerConfig:
        from codesteer_cli.steering.runner import SteerConfig

        return SteerConfig(
            method=METHOD,
            task_model=self.task_model,
            guide=self.teacher,
            checker_model=self.checker_model,
            tasks=self.tasks,
            split="train",
            complexity=self.complexity,
            limit=self.per_task,
            repeats=len(self.variants),
            # guide turns = rounds + 1: the round limit keeps every trajectory in bounds
            max_rounds=self.max_guidance_turns - 1,
            prompts=self.prompts,
            symbolic_checker=self.symbolic_checker,
            self_check=self.self_check,
            task_max_tokens=self.task_max_tokens,
            guide_max_tokens=self.guide_max_tokens,
            temperature=self.task_temperature,
            guide_temperature=self.teacher_temperature,
            seed=self.seed,
            code_timeout_s=self.code_timeout_s,
            variant=",".join(self.variants),
            concurrency=self.concurrency,
            max_cost=self.max_cost,
            cache=self.cache,
        )

    @classmethod
    def from_steer(cls, sc: SteerConfig, allow_unseen: bool = True) -> SftConfig:
        return cls(
            teacher=sc.guide or sc.task_model,
            task_model=sc.task_model,
            tasks=sc.tasks,
            per_task=sc.limit or 0,
            complexity=sc.complexity or "1-10",
            variants=tuple(v for v in sc.variant.split(",") if v),
            allow_unseen=allow_unseen,
            max_guidance_turns=sc.max_rounds + 1,
            checker_model=sc.checker_model,
            prompts=sc.prompts,
            symbolic_checker=sc.symbolic_checker,
            self_check=sc.self_check,
            task_max_tokens=sc.task_max_tokens,
            guide_max_tokens=sc.guide_max_tokens,
            task_temperature=sc.temperature,
            teacher_temperature=sc.guide_temperature,
            seed=sc.seed,
            code_timeout_s=sc.code_timeout_s,
            concurrency=sc.concurrency,
            max_cost=sc.max_cost,
            cache=sc.cache,
        )


# --- the run ----------------------------------------------------------------------------
@dataclass
class SftRun:
    run: RunRow
    cfg: SftConfig
    steer: SteerConfig
    resumed: bool
    todo: list[tuple[EpisodeRow, SampleRow]]
    done: int

    @property
    def total(self) -> int:
        return len(self.todo) + self.done


@dataclass
class SftOutcome:
    finished: int = 0
    failed: int = 0
    stopped_reason: str | None = None
    results: list[EpisodeResult] = field(default_factory=list)


def open_sft(
    store: Store,
    cfg: SftConfig,
    name: str | None = None,
    resume: str | None = None,
    on_message: Callable[[str], None] = lambda m: None,
) -> SftRun:
    """Create the synthesis run (or find the one to continue), its episodes, and what is
    left to do (unfinished episodes are reset; their finished calls come from the cache)."""
    from codesteer_cli.steering import runner
    from symbench.core import parse_complexity

    if not resume:
        cfg.validate()
    _check_kind(store, name or resume)
    run, sc, resumed = runner.open_run(store, cfg.steer_config(), name, resume, kind=KIND)
    full = SftConfig.from_steer(sc)
    if not resumed or not _episode_count(store, run.id):  # type: ignore[arg-type]
        tasks = check_tasks(full.tasks, cfg.allow_unseen or resumed)
        levels = parse_complexity(full.complexity)
        samples = choose_train_samples(store, tasks, full.per_task, levels, on_message)
        runner.ensure_episodes(store, run, samples, sc)
    clear_unfinished(store, run.id)  # type: ignore[arg-type]
    todo, done = runner.pending_episodes(store, run.id)  # type: ignore[arg-type]
    return SftRun(run, full, sc, resumed, todo, done)


def run_sft(
    store: Store, srun: SftRun, progress: Progress, setup: Setup | None = None
) -> SftOutcome:
    """Run the pending episodes, variant by variant (`setup`: models and executor; made
    from the config unless given), and turn each finished one into SFT examples."""
    from codesteer_cli.steering import runner

    base = setup or runner.make_setup(store, srun.steer, threading.Event())
    out = SftOutcome()
    user_cb = progress.on_episode

    def on_episode(res: EpisodeResult) -> None:
        if res.status == "finished":
            build_examples(store, srun.run.id, [res.episode_id])  # type: ignore[arg-type]
        user_cb(res)

    prog = dataclasses.replace(progress, on_episode=on_episode)
    for i, variant in enumerate(srun.cfg.variants):
        items = [(e, s) for e, s in srun.todo if e.repeat == i]
        if not items:
            continue
        vsetup = dataclasses.replace(base, variant=variant)
        res = runner.execute(store, srun.run, srun.steer, items, prog, vsetup)
        out.finished += res.finished
        out.failed += res.failed
        out.results += res.results
        if res.stopped_reason or base.stop.is_set():
            out.stopped_reason = res.stopped_reason or "stopped"
            break
    build_examples(store, srun.run.id)  # type: ignore[arg-type]
    return out


def _check_kind(store: Store, ref: str | None) -> None:
    if not ref:
        return
    run = repo.get_run(store, ref)
    if run is not None and run.kind != KIND:
        raise UserError(f"run {run.name!r} is a {run.kind} run, not {KIND}")


def _episode_count(store: Store, run_id: int) -> int:
    from sqlalchemy import func

    with store.read() as s:
        return int(
            s.exec(select(func.count()).where(EpisodeRow.run_id == run_id)).one()  # type: ignore[call-overload]
        )


def clear_unfinished(store: Store, run_id: int) -> None:
    """Remove what unfinished episodes of a run left behind: synthesis rows (SFT
    examples, DPO nodes and pairs), and turns of episodes marked pending (a stopped
    episode goes back to pending with its partial turns). `runner.pending_episodes`
    resets the rest (running or failed episodes)."""
    with store.read() as s:
        rows = s.exec(
            select(EpisodeRow.id, EpisodeRow.status).where(
                EpisodeRow.run_id == run_id, EpisodeRow.status != "finished"
            )
        ).all()
    ids = [i for i, _ in rows]
    pending = [i for i, st in rows if st == "pending"]
    with store.session() as s:
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            s.exec(delete(DPOPairRow).where(DPOPairRow.episode_id.in_(chunk)))  # type: ignore[call-overload,attr-defined]
            s.exec(delete(DPONodeRow).where(DPONodeRow.episode_id.in_(chunk)))  # type: ignore[call-overload,attr-defined]
            s.exec(delete(SFTExampleRow).where(SFTExampleRow.episode_id.in_(chunk)))  # type: ignore[call-overload,attr-defined]
        for i in range(0, len(pending), 500):
            chunk = pending[i : i + 500]
            s.exec(delete(CodeExecutionRow).where(CodeExecutionRow.episode_id.in_(chunk)))  # type: ignore[call-overload,union-attr]
            s.exec(delete(TurnRow).where(TurnRow.episode_id.in_(chunk)))  # type: ignore[call-overload,attr-defined]
            s.exec(
                update(EpisodeRow).where(EpisodeRow.id.in_(chunk)).values(error=None, score=None)  # type: ignore[call-overload,union-attr]
            )


# --- SFT examples -------------------------------------------------------------------------
@dataclass(frozen=True)
class Example:
    messages: list[dict[str, str]]
    turn: int
    turns: int
    weight: int
    kind: str


def guide_conversation(request: Iterable[dict[str, Any]], reply: str) -> list[dict[str, str]]:
    """A guide turn as the codesteer method's guide sees it: the request without the
    teacher's system prompt, then the reply as the assistant turn."""
    msgs = [
        {"role": str(m["role"]), "content": str(m["content"])}
        for m in request
        if m.get("role") != "system"
    ]
    return [*msgs, {"role": "assistant", "content": reply}]


def _well_formed(msgs: list[dict[str, str]]) -> bool:
    """user, assistant, user, ..., assistant."""
    return len(msgs) % 2 == 0 and all(
        m["role"] == ("user" if i % 2 == 0 else "assistant") for i, m in enumerate(msgs)
    )


def trajectory_examples(
    guide_turns: Sequence[tuple[list[dict[str, Any]], str]], prompts: str = "default"
) -> list[Example]:
    """One example per guide turn (request messages, reply) of a kept trajectory; the
    final two turns weigh 2. Empty when a conversation is not well formed. Each turn's
    kind is read as the engine read it, with the prompt set's lettered options."""
    from codesteer_cli.steering.prompts import get_prompts

    p = get_prompts(prompts)
    n = len(guide_turns)
    out = []
    for t, (request, reply) in enumerate(guide_turns):
        msgs = guide_conversation(request, reply)
        if not _well_formed(msgs) or len(msgs) != 2 * (t + 1):
            log.warning("skipping a trajectory: guide turn %d is not a clean conversation", t)
            return []
        weight = FINAL_WEIGHT if t >= n - FINAL_TURNS_WEIGHTED else 1
        out.append(Example(msgs, t, n, weight, parse_guidance(reply, p.options_for(t)).kind))
    return out


def build_examples(store: Store, run_id: int, episode_ids: list[int] | None = None) -> int:
    """(Re)build the SFT examples of finished episodes of a run (all, or `episode_ids`);
    idempotent. Returns the number of examples written."""
    from codesteer_cli.steering.runner import SteerConfig

    run = repo.get_run(store, run_id)
    if run is None:
        return 0
    cfg = SftConfig.from_steer(SteerConfig.from_json(run.config))
    q = (
        select(EpisodeRow, SampleRow)
        .join(SampleRow, SampleRow.id == EpisodeRow.sample_id)  # type: ignore[arg-type]
        .where(EpisodeRow.run_id == run_id, EpisodeRow.status == "finished")
    )
    if episode_ids is not None:
        q = q.where(EpisodeRow.id.in_(episode_ids))  # type: ignore[union-attr]
    with store.read() as s:
        eps = s.exec(q).all()
    rows: list[SFTExampleRow] = []
    touched: list[int] = []
    for ep, smp in eps:
        touched.append(ep.id)  # type: ignore[arg-type]
        if (ep.score or 0.0) < 1.0:
            continue
        with store.read() as s:
            turns = s.exec(
                select(TurnRow)
                .where(TurnRow.episode_id == ep.id, TurnRow.role == "guide")
                .order_by(TurnRow.seq)  # type: ignore[arg-type]
            ).all()
        if not turns or len(turns) > cfg.max_guidance_turns or any(t.error for t in turns):
            continue
        variant = cfg.variants[ep.repeat] if ep.repeat < len(cfg.variants) else "?"
        guide_turns = [(t.messages, t.response or "") for t in turns]
        for ex in trajectory_examples(guide_turns, cfg.prompts):
            rows.append(
                SFTExampleRow(
                    run_id=run_id,
                    episode_id=ep.id,  # type: ignore[arg-type]
                    sample_id=smp.id,  # type: ignore[arg-type]
                    task=smp.task,
                    variant=variant,
                    turn=ex.turn,
                    turns=ex.turns,
                    weight=ex.weight,
                    kind=ex.kind,
                    messages=ex.messages,
                )
            )
    with store.session() as s:
        for i in range(0, len(touched), 500):
            chunk = touched[i : i + 500]
            s.exec(delete(SFTExampleRow).where(SFTExampleRow.episode_id.in_(chunk)))  # type: ignore[call-overload,attr-defined]
        s.add_all(rows)
    return len(rows)
