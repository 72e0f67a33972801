"""SFT trajectories (SPEC §4): the teacher guide steers the task model on training samples.

The teacher is the `symbolic_agent` method (a prompted large guide with the teacher
prompt + a prompt *variant*), played by the steering engine's `EpisodeItem`, one episode
per sample x variant (the episode's `repeat` is the variant's index, which also keeps the
variants' model calls apart in the response cache). A synthesis run is a run of kind
`synthesize-sft` with the lifecycle of every run (`runs.lifecycle`): resumable, stoppable.

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
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from codesteer_cli.errors import UserError
from codesteer_cli.runs import lifecycle
from codesteer_cli.runs.lifecycle import OpenRun, Plan, RunKind, RunResult
from codesteer_cli.runs.pool import ItemResult, Progress
from codesteer_cli.runs.samples import check_tasks, choose_train_samples
from codesteer_cli.runs.settings import EpisodeSettings, RunConfig, check_int
from codesteer_cli.steering.episode import Models, make_models
from codesteer_cli.steering.guidance import parse_guidance
from codesteer_cli.store import repo, synthesis, turns
from codesteer_cli.store.models import SFTExampleRow
from codesteer_cli.synthesis.tree import FINAL_TURNS_WEIGHTED, FINAL_WEIGHT

if TYPE_CHECKING:
    from codesteer_cli.steering.runner import EpisodeItem
    from codesteer_cli.store.db import Store

log = logging.getLogger("codesteer.synthesize")

KIND = "synthesize-sft"
METHOD = "symbolic_agent"
VARIANTS: tuple[str, ...] = ("free", "text_to_code", "more_code")


# --- configuration ----------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class SftConfig(RunConfig):
    """What `synthesize sft` does. Kept trajectories have at most
    `episode.max_rounds + 1` guide turns (the run's round limit keeps them in bounds)."""

    KIND: ClassVar[str] = KIND
    NOT_IDENTITY: ClassVar[tuple[str, ...]] = ("allow_unseen",)

    teacher: str
    task_model: str
    checker_model: str | None = None
    tasks: str = "seen"
    per_task: int = 400
    complexity: str = "1-10"
    variants: tuple[str, ...] = VARIANTS
    allow_unseen: bool = False
    episode: EpisodeSettings = field(default_factory=lambda: EpisodeSettings(max_rounds=4))

    @property
    def max_guidance_turns(self) -> int:
        return self.episode.max_rounds + 1

    def validate(self) -> None:
        from codesteer_cli.steering.prompts import get_prompts
        from symbench.core import parse_complexity

        super().validate()
        check_tasks(self.tasks, self.allow_unseen)
        parse_complexity(self.complexity)
        check_int("--per-task", self.per_task, 1, 10_000_000)
        known = get_prompts(self.episode.prompts).variants
        if not self.variants:
            raise UserError("--variants: give at least one variant")
        for v in self.variants:
            if v not in known:
                raise UserError(f"unknown variant {v!r}; choose from {', '.join(known)}")
        if len(set(self.variants)) != len(self.variants):
            raise UserError("--variants: each variant once")


# --- the run ----------------------------------------------------------------------------
class Sft(RunKind[SftConfig, Models]):
    config = SftConfig

    def plan(
        self, store: Store, cfg: SftConfig, resumed: bool, on_message: Callable[[str], None]
    ) -> Plan:
        from symbench.core import parse_complexity

        tasks = check_tasks(cfg.tasks, cfg.allow_unseen or resumed)
        levels = parse_complexity(cfg.complexity)
        rows = choose_train_samples(store, tasks, cfg.per_task, levels, on_message)
        return Plan(rows, len(cfg.variants), METHOD)

    def models(self, store: Store, cfg: SftConfig) -> Models:
        return make_models(store, cfg.execution, cfg.task_model, [cfg.teacher], cfg.checker_model)

    def items(
        self, store: Store, run: OpenRun[SftConfig], models: Models, stop: threading.Event
    ) -> Iterator[EpisodeItem]:
        from codesteer_cli.steering.runner import EpisodeItem

        cfg = run.cfg
        base = models.setup(cfg.episode, stop)
        setups = [dataclasses.replace(base, variant=v) for v in cfg.variants]

        def after(res: ItemResult) -> None:
            if res.status == "finished":
                build_examples(store, run.id, [res.episode_id])

        # variant by variant, as the teacher's prompt differs between them
        for ep, smp in sorted(run.todo, key=lambda t: (t[0].repeat, t[0].id or 0)):
            yield EpisodeItem(store, setups[ep.repeat], METHOD, ep, smp, after)

    def describe(self, cfg: SftConfig) -> str:
        return f"teacher {cfg.teacher} guiding {cfg.task_model} ({len(cfg.variants)} variants)"

    def finish(self, store: Store, run: OpenRun[SftConfig]) -> None:
        build_examples(store, run.id)

    def summary(self, store: Store, run: OpenRun[SftConfig]) -> dict[str, Any]:
        from codesteer_cli.synthesis.stats import run_summary

        return run_summary(store, run.id)


SFT = Sft()


def synthesize_sft(
    store: Store,
    cfg: SftConfig,
    name: str | None = None,
    resume: str | None = None,
    progress: Progress | None = None,
    models: Models | None = None,
    on_open: Callable[[OpenRun[SftConfig]], None] | None = None,
    stop: threading.Event | None = None,
) -> RunResult[SftConfig]:
    """Open or resume an SFT synthesis run, play its episodes, build its examples."""
    return lifecycle.run(store, SFT, cfg, name, resume, progress, models, on_open, stop)


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
    run = repo.get_run(store, run_id)
    if run is None:
        return 0
    cfg = SftConfig.from_json(run.config)
    eps = synthesis.finished_episodes(store, run_id, episode_ids)
    rows: list[SFTExampleRow] = []
    touched: list[int] = []
    for ep, smp in eps:
        assert ep.id is not None and smp.id is not None
        touched.append(ep.id)
        if (ep.score or 0.0) < 1.0:
            continue
        guide = turns.guide_turns(store, ep.id)
        if not guide or len(guide) > cfg.max_guidance_turns or any(t.error for t in guide):
            continue
        variant = cfg.variants[ep.repeat] if ep.repeat < len(cfg.variants) else "?"
        guide_turns = [(t.messages, t.response or "") for t in guide]
        for ex in trajectory_examples(guide_turns, cfg.episode.prompts):
            rows.append(
                SFTExampleRow(
                    run_id=run_id,
                    episode_id=ep.id,
                    sample_id=smp.id,
                    task=smp.task,
                    variant=variant,
                    turn=ex.turn,
                    turns=ex.turns,
                    weight=ex.weight,
                    kind=ex.kind,
                    messages=ex.messages,
                )
            )
    synthesis.replace_sft_examples(store, touched, rows)
    return len(rows)
