"""The search teacher (`synthesize sft --teacher search`): guide data without a large model.

On training samples of seen tasks, the guide's action space is explored with the task
model, and the task's verifier scores every path: the paper's keep-only-correct filter
and DPO tree, with the verifier in place of a large teacher's judgement.

A tree per sample, grown like a DPO tree (`synthesis/dpo.py`: same nodes, scores, pairs,
storage, resume) but the children of a node are the applicable *actions*, not sampled
guidances:
- the first guide turn: `code` or `text`;
- after an answer the verifier accepts: `return` (15 - i) or `terminate` (-i), both
  leaves (continuing could only score less);
- after a wrong answer: `return`, `terminate`, and the continuations `code`, `text`, and
  `fix` (its code failed or printed nothing) or `thorough` (its code ran) - until the
  round limit, where the answer is final.
A tree has at most 2 * 4**max_rounds task-model answers (max_rounds 1: at most 10).

Correct leaves, shortest first (then in action order), give the SFT examples (`kept.py`; at most
`keep` trajectories per sample; the last two guide turns weigh 2, as in `synthesize sft`),
in the conversation `--method codesteer` shows its guide. Siblings give DPO pairs by the
paper's rule. The guide's replies are the fixed texts of `ACTIONS`, recorded as guide
turns of model `search:teacher`, so `runs episode` replays a tree like any run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from codesteer_cli.errors import UserError
from codesteer_cli.runs import lifecycle
from codesteer_cli.runs.lifecycle import OpenRun, Plan, RunKind, RunResult
from codesteer_cli.runs.pool import Job, Progress
from codesteer_cli.runs.samples import check_tasks, choose_train_samples
from codesteer_cli.runs.settings import EpisodeSettings, RunConfig, check_int
from codesteer_cli.steering.episode import Models, make_models
from codesteer_cli.synthesis.dpo import Grower, TreeItem, _NodeRecorder
from codesteer_cli.synthesis.kept import ACTIONS, ORDER, START, STOPS, sft_rows
from codesteer_cli.synthesis.tree import Node

if TYPE_CHECKING:
    from codesteer_cli.store.db import Store

KIND = "synthesize-search"
TEACHER = "search:teacher"


@dataclass(frozen=True, kw_only=True)
class SearchConfig(RunConfig):
    """What a search-teacher synthesis run does."""

    KIND: ClassVar[str] = KIND
    NOT_IDENTITY: ClassVar[tuple[str, ...]] = ("allow_unseen",)

    task_model: str
    checker_model: str | None = None
    tasks: str = "seen"
    per_task: int = 50
    complexity: str = "1-10"
    actions: tuple[str, ...] = ORDER
    keep: int = 1  # correct trajectories kept per sample, shortest first
    allow_unseen: bool = False
    episode: EpisodeSettings = field(default_factory=lambda: EpisodeSettings(max_rounds=1))

    @property
    def max_guidance_turns(self) -> int:
        return self.episode.max_rounds + 1

    def validate(self) -> None:
        from symbench.core import parse_complexity

        super().validate()
        check_tasks(self.tasks, self.allow_unseen)
        parse_complexity(self.complexity)
        check_int("--per-task", self.per_task, 1, 10_000_000)
        check_int("--keep", self.keep, 1, 100)
        check_int("--max-guidance-turns", self.max_guidance_turns, 1, 6)
        unknown = [a for a in self.actions if a not in ACTIONS]
        if unknown:
            raise UserError(f"unknown action {unknown[0]!r}; choose from {', '.join(ACTIONS)}")
        for needed in (*START, "return"):
            if needed not in self.actions:
                raise UserError(f"--actions must include {needed!r}")


def applicable(node: Node, allowed: tuple[str, ...]) -> list[str]:
    """The actions worth trying at `node` (see the module's docstring)."""
    if not node.path:
        return [a for a in START if a in allowed]
    if node.extra.get("answer_correct"):
        names = list(STOPS)
    else:
        st = node.state
        last = st.last if st is not None else None
        names = [*STOPS, "code", "text"]
        if last is not None and last.code is not None:
            ran = last.code.run.ok and bool(last.code.run.stdout.strip())
            names.append("thorough" if ran else "fix")
    return [a for a in names if a in allowed]


class SearchItem(TreeItem):
    """One sample's search tree."""

    @property
    def branches(self) -> int:
        return len(ORDER)

    def _children(self, node: Node) -> list[Job]:
        cfg: SearchConfig = self.g.cfg  # type: ignore[assignment]
        return self._jobs(node, [ORDER.index(a) for a in applicable(node, cfg.actions)])

    def _guidance(self, parent: Node, k: int, rec: _NodeRecorder, repeat: int) -> Node:
        from codesteer_cli.models.base import Completion, Usage

        assert parent.state is not None
        text = ACTIONS[ORDER[k]]
        st = parent.state
        comp = Completion(text, Usage(0, 0, 0.0, 0.0), TEACHER)
        rec.turn("guide", st.round, st.guide_msgs, comp, None, {"action": ORDER[k]})
        return Node(guidance=text, guide_model=TEACHER, temperature=0.0)

    def _more_rows(self) -> list[Any]:
        cfg: SearchConfig = self.g.cfg  # type: ignore[assignment]
        return sft_rows(self.root, cfg.keep, self.g.run_id, self.episode_id, self.smp)


class Search(RunKind[SearchConfig, Models]):
    config = SearchConfig

    def plan(
        self, store: Store, cfg: SearchConfig, resumed: bool, on_message: Callable[[str], None]
    ) -> Plan:
        from symbench.core import parse_complexity

        tasks = check_tasks(cfg.tasks, cfg.allow_unseen or resumed)
        levels = parse_complexity(cfg.complexity)
        rows = choose_train_samples(store, tasks, cfg.per_task, levels, on_message)
        return Plan(rows, 1, "search_tree")

    def models(self, store: Store, cfg: SearchConfig) -> Models:
        return make_models(store, cfg.execution, cfg.task_model, [], cfg.checker_model)

    def items(
        self, store: Store, run: OpenRun[SearchConfig], models: Models, stop: threading.Event
    ) -> Iterator[SearchItem]:
        g = Grower(store, run.id, run.cfg, models, models.setup(run.cfg.episode, stop))  # type: ignore[arg-type]
        for ep, smp in run.todo:
            yield SearchItem(g, ep, smp)

    def describe(self, cfg: SearchConfig) -> str:
        return (
            f"search teacher guiding {cfg.task_model} ({len(cfg.actions)} actions, at most "
            f"{cfg.max_guidance_turns} guide turns)"
        )

    def summary(self, store: Store, run: OpenRun[SearchConfig]) -> dict[str, Any]:
        from codesteer_cli.synthesis.stats import run_summary

        return run_summary(store, run.id)


SEARCH = Search()


def synthesize_search(
    store: Store,
    cfg: SearchConfig,
    name: str | None = None,
    resume: str | None = None,
    progress: Progress | None = None,
    models: Models | None = None,
    on_open: Callable[[OpenRun[SearchConfig]], None] | None = None,
    stop: threading.Event | None = None,
) -> RunResult[SearchConfig]:
    """Open or resume a search-teacher run and grow its trees."""
    return lifecycle.run(store, SEARCH, cfg, name, resume, progress, models, on_open, stop)
