"""DPO pairs (SPEC §4): a tree of guidance continuations per training sample.

Shape of a tree (bounded on purpose):
- The root is the sample before any guidance: the guide's conversation is the choice
  prompt + question, exactly as `--method codesteer` starts (no teacher prompt).
- At each of the first `max_depth` guide turns a node gets `branches` children: guidances
  sampled at `temperature`, spread over the guide checkpoints (child k asks guide k mod G).
- Deeper, a node gets one child: the same guide as its parent continues alone at
  `rollout_temperature` (default 0, the guide's own preferred guidance) until the episode
  ends. So a tree has at most branches**max_depth leaves, and at most
  branches + ... + branches**max_depth + branches**max_depth * (max_rounds + 1 - max_depth)
  guide turns.
- A child is one guidance and what it led to: the task model's answer, its code run, the
  two checkers and the next guide prompt (`methods.guided_step` on a fork of the
  parent's `GuidedState`: the same loop as `steer --method codesteer`).
- Leaves are scored and siblings paired by `synthesis/tree.py`; every decision is stored
  with its reason.

A tree is one pool item (`runs.pool`), each node one job: trees grow depth first, so a
tree started early finishes early. Model calls: each guide call's `repeat` encodes its
node's path, so sibling samples are distinct response-cache entries; task-model and
checker calls use repeat 0 when the task model runs at temperature 0 (the same request
in two branches is one call), else the node's repeat. A tree that did not finish is
regrown from its root on resume, its finished calls served from the cache; re-running a
finished synthesis calls no model.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from codesteer_cli.errors import UserError
from codesteer_cli.runs import lifecycle
from codesteer_cli.runs.lifecycle import OpenRun, Plan, RunKind, RunResult
from codesteer_cli.runs.pool import ItemResult, Job, Next, Progress
from codesteer_cli.runs.samples import check_tasks, choose_train_samples
from codesteer_cli.runs.settings import EpisodeSettings, RunConfig, check_float, check_int
from codesteer_cli.steering.episode import Episode, EpisodeFailed, Models, Setup, Stopped
from codesteer_cli.store import episodes, repo, synthesis
from codesteer_cli.store.models import DPONodeRow, DPOPairRow, utcnow
from codesteer_cli.synthesis.tree import Node, pair_tree, path_repeat, score_tree, sort_children

if TYPE_CHECKING:
    from codesteer_cli.steering.record import EpisodeRecorder
    from codesteer_cli.store.db import Store
    from codesteer_cli.store.models import EpisodeRow, SampleRow

log = logging.getLogger("codesteer.synthesize")

KIND = "synthesize-dpo"
MAX_LEAVES = 4096  # branches ** max_depth above this is refused


@dataclass(frozen=True, kw_only=True)
class DpoConfig(RunConfig):
    """What `synthesize dpo` does; stored as the run's config."""

    KIND: ClassVar[str] = KIND
    NOT_IDENTITY: ClassVar[tuple[str, ...]] = ("allow_unseen",)

    guides: tuple[str, ...]
    task_model: str
    checker_model: str | None = None
    tasks: str = "seen"
    per_task: int = 50
    complexity: str = "1-10"
    branches: int = 3
    temperature: float = 1.5  # sampling temperature at the branching levels
    max_depth: int = 2  # guide turns that branch; deeper, one continuation
    rollout_temperature: float = 0.0
    allow_unseen: bool = False
    episode: EpisodeSettings = field(default_factory=EpisodeSettings)

    def validate(self) -> None:
        from symbench.core import parse_complexity

        super().validate()
        if not self.guides:
            raise UserError("name the guide to sample from: --guide SPEC or --guides A,B")
        check_tasks(self.tasks, self.allow_unseen)
        parse_complexity(self.complexity)
        check_int("--per-task", self.per_task, 1, 10_000_000)
        if self.branches < 2:
            raise UserError(
                f"--branches must be at least 2 (pairs are made of siblings), got {self.branches}"
            )
        check_int("--branches", self.branches, 2, 64)
        check_int("--max-depth", self.max_depth, 1, 100)
        rounds = self.episode.max_rounds
        if self.max_depth > rounds + 1:
            raise UserError(
                f"--max-depth {self.max_depth} is deeper than an episode can go "
                f"(--max-rounds {rounds} allows {rounds + 1} guide turns)"
            )
        if self.branches**self.max_depth > MAX_LEAVES:
            raise UserError(
                f"--branches {self.branches} and --max-depth {self.max_depth} make "
                f"{self.branches**self.max_depth} leaves per sample (at most {MAX_LEAVES})"
            )
        check_float("--temperature", self.temperature, 0.0, 10.0)
        check_float("--rollout-temperature", self.rollout_temperature, 0.0, 10.0)


class _NodeRecorder:
    """The tree's recorder, marking each turn with its node's path."""

    def __init__(self, rec: EpisodeRecorder, path: str) -> None:
        self.rec = rec
        self.path = path
        self.tally = rec.tally
        self.turn_ids: list[int] = []

    def turn(
        self,
        role: str,
        round_: int,
        messages: list[dict[str, str]],
        comp: Any,
        params: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        code_run: Any = None,
    ) -> int:
        tid = self.rec.turn(
            role, round_, messages, comp, params, {**(extra or {}), "node": self.path}, code_run
        )
        self.turn_ids.append(tid)
        return tid


@dataclass
class Grower:
    """What every tree of a run shares: the config, the models, the episode setup."""

    store: Store
    run_id: int
    cfg: DpoConfig
    models: Models
    setup: Setup


class TreeItem:
    """One tree: a pool item whose jobs expand its nodes."""

    def __init__(self, g: Grower, ep: EpisodeRow, smp: SampleRow) -> None:
        from codesteer_cli.steering.record import EpisodeRecorder
        from symbench.core import get_task

        assert ep.id is not None
        self.g, self.ep, self.smp = g, ep, smp
        self.episode_id = ep.id
        self.task = get_task(smp.task)
        self.sample = repo.row_to_sample(smp)
        self.rec = EpisodeRecorder(g.store, ep.id)
        self.root = Node()
        self.started = time.monotonic()
        self.pending = 0
        self.stopped = False

    def _episode(self, rec: Any, repeat: int) -> Episode:
        return Episode(self.g.setup, self.task, self.sample, rec, repeat)

    def _branching(self, node: Node) -> bool:
        return len(node.path) < self.g.cfg.max_depth

    def _children(self, node: Node) -> list[Job]:
        n = self.g.cfg.branches if self._branching(node) else 1
        return self._jobs(node, range(n))

    def _jobs(self, node: Node, ks: Sequence[int]) -> list[Job]:
        self.pending += len(ks)
        return [Job(self, self._expand, (node, k)) for k in ks]

    # --- the pool's protocol --------------------------------------------------------
    def start(self) -> Sequence[Job]:
        from codesteer_cli.steering.methods import guided_start

        episodes.set_values(self.g.store, self.episode_id, status="running", started_at=utcnow())
        self.root.state = guided_start(self._episode(self.rec, 0), teacher=False)
        self.root.prompt = list(self.root.state.guide_msgs)
        self._insert(self.root)
        return self._children(self.root)

    def done(self, job: Job, node: Node) -> Next:
        self.pending -= 1
        parent = job.args[0]
        parent.children.append(node)
        self._insert(node)
        if not node.final:
            return self._children(node), None
        if self.pending:
            return [], None
        if self.stopped:
            return [], self._result("stopped")
        sort_children(self.root)
        return [], self._finish()

    def error(self, job: Job, exc: Exception) -> Next:
        self.pending -= 1
        if isinstance(exc, Stopped):
            self.stopped = True
            return [], (self._result("stopped") if self.pending == 0 else None)
        if isinstance(exc, EpisodeFailed):
            return [], self._fail(str(exc))
        log.error("tree of episode %s failed", self.episode_id, exc_info=exc)
        return [], self._fail(f"{type(exc).__name__}: {exc}"[:2000])

    # --- one node (in a worker) -------------------------------------------------------
    def _guidance(self, parent: Node, k: int, rec: _NodeRecorder, repeat: int) -> Node:
        """Child k's guidance: sampled from a guide (branching levels spread over the
        guides; deeper, the parent's guide continues alone)."""
        cfg, guides = self.g.cfg, self.g.models.guides
        assert parent.state is not None
        branching = self._branching(parent)
        gi = k % len(guides) if branching or parent.guide_index is None else parent.guide_index
        temperature = cfg.temperature if branching else cfg.rollout_temperature
        guide = guides[gi]
        st = parent.state
        comp = self._episode(rec, repeat).call(
            "guide", guide, st.guide_msgs, st.round, cfg.episode.guide_max_tokens, temperature
        )
        return Node(
            guidance=comp.text, guide_index=gi, guide_model=guide.spec, temperature=temperature
        )

    def _expand(self, parent: Node, k: int) -> Node:
        """Child k of `parent`: a guidance, and the episode continued with it."""
        from codesteer_cli.steering.episode import score_answer
        from codesteer_cli.steering.guidance import parse_guidance
        from codesteer_cli.steering.methods import guided_step

        assert parent.state is not None
        path = (*parent.path, k)
        rep = path_repeat(path, self.branches)
        rec = _NodeRecorder(self.rec, ".".join(map(str, path)))
        st = parent.state
        node = self._guidance(parent, k, rec, rep)
        child_state = st.fork()
        task_rep = rep if self.g.cfg.episode.temperature > 0 else 0
        guided_step(self._episode(rec, task_rep), child_state, node.guidance or "")
        node.path, node.parent, node.prompt = path, parent, list(st.guide_msgs)
        node.kind = parse_guidance(node.guidance or "").kind
        node.state, node.rounds = child_state, child_state.round
        out = child_state.outcome
        if out is not None:
            sc = score_answer(self.task, self.sample, out.final)
            node.final, node.stop_reason, node.rounds = True, out.stop_reason, out.rounds
            node.correct, node.answer_score = sc.correct, sc.score
            node.final_answer = out.final.text
            node.extra["passed_by"] = sc.passed_by
            node.state = None  # a leaf's state is not needed any more
        elif child_state.last is not None:
            sc = score_answer(self.task, self.sample, child_state.last)
            node.extra["answer_correct"] = sc.correct
        node.extra.update({"turns": rec.turn_ids, "modes": child_state.modes, "repeat": rep})
        return node

    @property
    def branches(self) -> int:
        """The base of the path numbering (children per node at most)."""
        return self.g.cfg.branches

    # --- storing ------------------------------------------------------------------------
    def _insert(self, node: Node) -> None:
        node.db_id = synthesis.add_node(
            self.g.store,
            DPONodeRow(
                run_id=self.g.run_id,
                episode_id=self.episode_id,
                sample_id=self.smp.id,  # type: ignore[arg-type]
                task=self.smp.task,
                parent_id=node.parent.db_id if node.parent is not None else None,
                path=node.path_str,
                depth=len(node.path),
                branch=node.path[-1] if node.path else 0,
                guide_model=node.guide_model,
                temperature=node.temperature,
                prompt=node.prompt,
                guidance=node.guidance,
                kind=node.kind,
                final=node.final,
                stop_reason=node.stop_reason,
                rounds=node.rounds,
                final_answer=node.final_answer,
                answer_score=node.answer_score,
                correct=node.correct,
                extra=node.extra or None,
            ),
        )

    def _finish(self) -> ItemResult:
        """Score the tree, decide its pairs, and store both with the episode's end."""
        score_tree(self.root)
        decisions = pair_tree(self.root)
        nodes = self.root.walk()
        leaves = [n for n in nodes if n.final]
        kept = sum(d.kept for d in decisions)
        counts = {
            "nodes": len(nodes),
            "leaves": len(leaves),
            "correct_leaves": sum(bool(n.correct) for n in leaves),
            "pairs_kept": kept,
            "pairs_rejected": len(decisions) - kept,
        }
        pairs = [
            DPOPairRow(
                run_id=self.g.run_id,
                episode_id=self.episode_id,
                sample_id=self.smp.id,  # type: ignore[arg-type]
                task=self.smp.task,
                parent_id=d.parent.db_id,  # type: ignore[arg-type]
                chosen_id=d.chosen.db_id,  # type: ignore[arg-type]
                rejected_id=d.rejected.db_id,  # type: ignore[arg-type]
                chosen_score=d.chosen.score,  # type: ignore[arg-type]
                rejected_score=d.rejected.score,  # type: ignore[arg-type]
                kept=d.kept,
                reason=d.reason,
            )
            for d in decisions
        ]
        synthesis.finish_tree(
            self.g.store,
            self.episode_id,
            {n.db_id: n.score for n in nodes if n.db_id is not None and n.score is not None},
            [*pairs, *self._more_rows()],
            status="finished",
            score=max((n.answer_score or 0.0 for n in leaves), default=0.0),
            rounds=max((n.rounds for n in leaves), default=0),
            stop_reason="tree",
            extra={**self.rec.tally.to_extra(), "tree": {**counts, "root_score": self.root.score}},
            finished_at=utcnow(),
            duration_s=time.monotonic() - self.started,
        )
        res = self._result("finished")
        res.counts = counts
        return res

    def _more_rows(self) -> list[Any]:
        """Rows stored with the scored tree besides its pairs (the search teacher's SFT
        examples)."""
        return []

    def _result(self, status: str) -> ItemResult:
        t = self.rec.tally
        return ItemResult(
            self.episode_id,
            self.smp.task,
            status,
            tokens=sum(t.tokens.values()),
            cost=t.cost,
            cost_unknown=t.cost_unknown,
        )

    def _fail(self, error: str) -> ItemResult:
        episodes.set_values(
            self.g.store,
            self.episode_id,
            status="failed",
            error=error,
            extra=self.rec.tally.to_extra(),
            finished_at=utcnow(),
            duration_s=time.monotonic() - self.started,
        )
        res = self._result("failed")
        res.error = error
        return res


class Dpo(RunKind[DpoConfig, Models]):
    config = DpoConfig

    def plan(
        self, store: Store, cfg: DpoConfig, resumed: bool, on_message: Callable[[str], None]
    ) -> Plan:
        from symbench.core import parse_complexity

        tasks = check_tasks(cfg.tasks, cfg.allow_unseen or resumed)
        levels = parse_complexity(cfg.complexity)
        return Plan(
            choose_train_samples(store, tasks, cfg.per_task, levels, on_message), 1, "dpo_tree"
        )

    def models(self, store: Store, cfg: DpoConfig) -> Models:
        from codesteer_cli.steering.episode import make_models

        return make_models(store, cfg.execution, cfg.task_model, cfg.guides, cfg.checker_model)

    def items(
        self, store: Store, run: OpenRun[DpoConfig], models: Models, stop: threading.Event
    ) -> Iterator[TreeItem]:
        g = Grower(store, run.id, run.cfg, models, models.setup(run.cfg.episode, stop))
        g.setup.guide = None  # each node asks its own guide
        for ep, smp in run.todo:
            yield TreeItem(g, ep, smp)

    def describe(self, cfg: DpoConfig) -> str:
        return (
            f"{', '.join(cfg.guides)} guiding {cfg.task_model} "
            f"({cfg.branches} branches, depth {cfg.max_depth})"
        )

    def summary(self, store: Store, run: OpenRun[DpoConfig]) -> dict[str, Any]:
        from codesteer_cli.synthesis.stats import run_summary

        return run_summary(store, run.id)


DPO = Dpo()


def synthesize_dpo(
    store: Store,
    cfg: DpoConfig,
    name: str | None = None,
    resume: str | None = None,
    progress: Progress | None = None,
    models: Models | None = None,
    on_open: Callable[[OpenRun[DpoConfig]], None] | None = None,
    stop: threading.Event | None = None,
) -> RunResult[DpoConfig]:
    """Open or resume a DPO synthesis run and grow its trees."""
    return lifecycle.run(store, DPO, cfg, name, resume, progress, models, on_open, stop)
