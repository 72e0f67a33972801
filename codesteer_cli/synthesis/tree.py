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
- A finalizing node (Return Answer, Terminate, or the answer at the round limit) is a
  leaf, scored `15 - i` if the final answer is correct and `-i` if not, where `i` is the
  number of task-model answers on its path (the round of the finalizing guide turn); an
  inner node scores the mean of its children.
- Siblings are paired when their scores differ by more than 2 and at least one is
  positive; the higher is *chosen*. Siblings with the same guidance text are not paired
  (there is nothing to prefer). Every decision is stored with its reason.

Model calls: each guide call's `repeat` encodes its node's path, so sibling samples are
distinct response-cache entries; task-model and checker calls use repeat 0 when the task
model runs at temperature 0 (the same request in two branches is one call), else the
node's repeat. A tree that did not finish is regrown from its root on resume, its
finished calls served from the cache; re-running a finished synthesis calls no model.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from codesteer_cli.errors import UserError
from codesteer_cli.store import repo
from codesteer_cli.store.models import DPONodeRow, DPOPairRow, EpisodeRow, utcnow

if TYPE_CHECKING:
    from codesteer_cli.models.base import ChatModel
    from codesteer_cli.sandbox.executor import Executor
    from codesteer_cli.steering.methods import GuidedState
    from codesteer_cli.steering.record import EpisodeRecorder
    from codesteer_cli.store.db import Store
    from codesteer_cli.store.models import RunRow, SampleRow
    from symbench.core import Sample, Task

log = logging.getLogger("codesteer.synthesize")

KIND = "synthesize-dpo"
CORRECT_BASE = 15.0  # a correct final answer at round i scores 15 - i
MIN_GAP = 2.0  # a pair's scores must differ by more than this
MAX_LEAVES = 4096  # branches ** max_depth above this is refused


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


# --- configuration ----------------------------------------------------------------------
@dataclass
class DpoConfig:
    """What `synthesize dpo` does; stored as the run's config."""

    guides: tuple[str, ...]
    task_model: str
    tasks: str = "seen"
    per_task: int = 50
    complexity: str = "1-10"
    branches: int = 3
    temperature: float = 1.5  # sampling temperature at the branching levels
    max_depth: int = 2  # guide turns that branch; deeper, one continuation
    rollout_temperature: float = 0.0
    max_rounds: int = 5
    checker_model: str | None = None
    prompts: str = "default"
    symbolic_checker: bool = True
    self_check: bool = True
    task_max_tokens: int = 2048
    guide_max_tokens: int = 512
    task_temperature: float = 0.0
    seed: int | None = None
    code_timeout_s: float = 30.0
    # --- not part of what the run is ---
    allow_unseen: bool = False
    concurrency: int = 8
    cache: bool = True

    NOT_IDENTITY = ("allow_unseen", "concurrency", "cache")

    def identity(self) -> dict[str, Any]:
        d = self.to_json()
        return {k: v for k, v in d.items() if k not in self.NOT_IDENTITY}

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["guides"] = list(self.guides)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> DpoConfig:
        names = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        kw["guides"] = tuple(kw.get("guides") or ())
        return cls(**kw)

    def validate(self) -> None:
        from codesteer_cli.steering.prompts import get_prompts
        from codesteer_cli.synthesis.trajectories import check_tasks
        from symbench.core import parse_complexity

        if not self.guides:
            raise UserError("name the guide to sample from: --guide SPEC or --guides A,B")
        check_tasks(self.tasks, self.allow_unseen)
        parse_complexity(self.complexity)
        get_prompts(self.prompts)
        if self.branches < 2:
            raise UserError(
                f"--branches must be at least 2 (pairs are made of siblings), got {self.branches}"
            )
        if self.max_depth < 1:
            raise UserError(f"--max-depth must be at least 1, got {self.max_depth}")
        if self.max_depth > self.max_rounds + 1:
            raise UserError(
                f"--max-depth {self.max_depth} is deeper than an episode can go "
                f"(--max-rounds {self.max_rounds} allows {self.max_rounds + 1} guide turns)"
            )
        if self.branches**self.max_depth > MAX_LEAVES:
            raise UserError(
                f"--branches {self.branches} and --max-depth {self.max_depth} make "
                f"{self.branches**self.max_depth} leaves per sample (at most {MAX_LEAVES})"
            )
        for name, lo in (
            ("per_task", 1),
            ("max_rounds", 0),
            ("concurrency", 1),
            ("task_max_tokens", 1),
            ("guide_max_tokens", 1),
        ):
            if getattr(self, name) < lo:
                raise UserError(f"--{name.replace('_', '-')} must be at least {lo}")
        if min(self.temperature, self.rollout_temperature, self.task_temperature) < 0:
            raise UserError("temperatures must be at least 0")


@dataclass
class TreeModels:
    """The models (and executor) a tree is grown with; tests pass their own."""

    task_model: ChatModel
    guides: list[ChatModel]
    checker_model: ChatModel | None = None
    executor: Executor | None = None


def make_models(store: Store, cfg: DpoConfig) -> TreeModels:
    from codesteer_cli.models import get_model

    def model(spec: str) -> ChatModel:
        return get_model(spec, store=store, cache=cfg.cache, concurrency=cfg.concurrency)

    return TreeModels(
        task_model=model(cfg.task_model),
        guides=[model(g) for g in cfg.guides],
        checker_model=model(cfg.checker_model) if cfg.checker_model else None,
    )


# --- the run ----------------------------------------------------------------------------
@dataclass
class DpoRun:
    run: RunRow
    cfg: DpoConfig
    resumed: bool
    todo: list[tuple[EpisodeRow, SampleRow]]
    done: int

    @property
    def total(self) -> int:
        return len(self.todo) + self.done


def open_dpo(
    store: Store,
    cfg: DpoConfig,
    name: str | None = None,
    resume: str | None = None,
    on_message: Callable[[str], None] = lambda m: None,
) -> DpoRun:
    """Create the run (or find the one to continue), one episode (tree) per sample, and
    the trees left to grow (unfinished ones are cleared and regrown)."""
    from codesteer_cli.models.pricing import PRICE_TABLE_DATE
    from codesteer_cli.steering import runner
    from codesteer_cli.steering.prompts import get_prompts
    from codesteer_cli.synthesis.trajectories import (
        check_tasks,
        choose_train_samples,
        clear_unfinished,
    )
    from symbench.core import parse_complexity

    run: RunRow | None = None
    resumed = False
    if resume:
        run = repo.get_run(store, resume)
        if run is None:
            raise UserError(f"no run named or numbered {resume!r} (see codesteer runs list)")
        _kind(run)
        old = DpoConfig.from_json(run.config)
        old.concurrency, old.cache = cfg.concurrency, cfg.cache
        cfg, resumed = old, True
    elif name and (run := repo.get_run(store, name)) is not None:
        _kind(run)
        old = DpoConfig.from_json(run.config)
        if old.identity() != cfg.identity():
            diff = sorted(k for k, v in cfg.identity().items() if old.identity().get(k) != v)
            raise UserError(
                f"run {name!r} exists with different settings "
                f"({', '.join(diff)}); choose another --name or --resume it"
            )
        resumed = True
    else:
        cfg.validate()
        run = repo.create_run(
            store,
            KIND,
            cfg.to_json(),
            name,
            prompt_version=get_prompts(cfg.prompts).id,
            price_table_date=PRICE_TABLE_DATE,
        )
    assert run is not None and run.id is not None
    from codesteer_cli.synthesis.trajectories import _episode_count

    if not resumed or not _episode_count(store, run.id):
        tasks = check_tasks(cfg.tasks, cfg.allow_unseen or resumed)
        levels = parse_complexity(cfg.complexity)
        samples = choose_train_samples(store, tasks, cfg.per_task, levels, on_message)
        runner.ensure_episodes(store, run, samples, runner.SteerConfig(method="dpo_tree"))
    clear_unfinished(store, run.id)
    todo, done = runner.pending_episodes(store, run.id)
    return DpoRun(run, cfg, resumed, todo, done)


def _kind(run: RunRow) -> None:
    if run.kind != KIND:
        raise UserError(f"run {run.name!r} is a {run.kind} run, not {KIND}")


@dataclass
class TreeResult:
    episode_id: int
    task: str
    status: str  # finished | failed | stopped
    nodes: int = 0
    leaves: int = 0
    pairs_kept: int = 0
    pairs_rejected: int = 0
    tokens: int = 0
    cost: float = 0.0
    cost_unknown: bool = False
    error: str | None = None


@dataclass
class DpoProgress:
    total: int
    done_before: int
    on_tree: Callable[[TreeResult], None] = lambda r: None
    on_node: Callable[[], None] = lambda: None
    on_message: Callable[[str], None] = lambda m: None


@dataclass
class DpoOutcome:
    finished: int = 0
    failed: int = 0
    stopped_reason: str | None = None
    results: list[TreeResult] = field(default_factory=list)


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


@dataclass(eq=False)
class _Tree:
    ep: EpisodeRow
    smp: SampleRow
    task: Task
    sample: Sample
    rec: EpisodeRecorder
    root: Node
    started: float
    pending: int = 0
    failed: str | None = None
    stopped: bool = False


class TreeGrower:
    """Grows the trees of a run: a pool of `concurrency` workers expands nodes of any
    tree (depth first, so trees finish early); the main thread writes nodes as they come
    and scores, pairs and closes each tree when its last leaf is in."""

    def __init__(
        self,
        store: Store,
        drun: DpoRun,
        progress: DpoProgress,
        models: TreeModels | None = None,
    ) -> None:
        from codesteer_cli.sandbox.executor import Executor, Limits
        from codesteer_cli.steering.episode import Setup
        from codesteer_cli.steering.prompts import get_prompts

        self.store, self.drun, self.cfg, self.progress = store, drun, drun.cfg, progress
        self.models = models or make_models(store, drun.cfg)
        cfg = self.cfg
        self.stop = threading.Event()
        self.setup: Setup = Setup(
            task_model=self.models.task_model,
            executor=self.models.executor or Executor(Limits(wall_s=cfg.code_timeout_s)),
            prompts=get_prompts(cfg.prompts),
            guide=None,
            checker_model=self.models.checker_model,
            max_rounds=cfg.max_rounds,
            symbolic_checker=cfg.symbolic_checker,
            self_check=cfg.self_check,
            task_max_tokens=cfg.task_max_tokens,
            guide_max_tokens=cfg.guide_max_tokens,
            temperature=cfg.task_temperature,
            seed=cfg.seed,
            stop=self.stop,
        )

    # --- one node ---------------------------------------------------------------------
    def _episode(self, tree: _Tree, rec: Any, repeat: int) -> Any:
        from codesteer_cli.steering.episode import Episode

        return Episode(self.setup, tree.task, tree.sample, rec, repeat)

    def _branching(self, node: Node) -> bool:
        return len(node.path) < self.cfg.max_depth

    def _expand(self, tree: _Tree, parent: Node, k: int) -> Node:
        """Child k of `parent`: sample a guidance, continue the episode with it."""
        from codesteer_cli.steering.episode import score_answer
        from codesteer_cli.steering.guidance import parse_guidance
        from codesteer_cli.steering.methods import guided_step

        cfg = self.cfg
        assert parent.state is not None
        path = (*parent.path, k)
        branching = self._branching(parent)
        if branching or parent.guide_index is None:
            gi = k % len(self.models.guides)
        else:
            gi = parent.guide_index
        temperature = cfg.temperature if branching else cfg.rollout_temperature
        guide = self.models.guides[gi]
        rep = path_repeat(path, cfg.branches)
        rec = _NodeRecorder(tree.rec, ".".join(map(str, path)))
        st = parent.state
        comp = self._episode(tree, rec, rep).call(
            "guide", guide, st.guide_msgs, st.round, cfg.guide_max_tokens, temperature
        )
        child_state = st.fork()
        task_rep = rep if self.setup.temperature > 0 else 0
        guided_step(self._episode(tree, rec, task_rep), child_state, comp.text)
        node = Node(
            path=path,
            parent=parent,
            guidance=comp.text,
            kind=parse_guidance(comp.text).kind,
            guide_index=gi,
            guide_model=guide.spec,
            temperature=temperature,
            prompt=list(st.guide_msgs),
            state=child_state,
            rounds=child_state.round,
        )
        out = child_state.outcome
        if out is not None:
            sc = score_answer(tree.task, tree.sample, out.final)
            node.final, node.stop_reason, node.rounds = True, out.stop_reason, out.rounds
            node.correct, node.answer_score = sc.score >= 1.0, sc.score
            node.final_answer = out.final.text
            node.extra["passed_by"] = sc.passed_by
            node.state = None  # a leaf's state is not needed any more
        node.extra.update({"turns": rec.turn_ids, "modes": child_state.modes, "repeat": rep})
        return node

    # --- storing --------------------------------------------------------------------------
    def _insert(self, tree: _Tree, node: Node) -> None:
        row = DPONodeRow(
            run_id=self.drun.run.id,  # type: ignore[arg-type]
            episode_id=tree.ep.id,  # type: ignore[arg-type]
            sample_id=tree.smp.id,  # type: ignore[arg-type]
            task=tree.smp.task,
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
        )
        with self.store.session() as s:
            s.add(row)
            s.flush()
            node.db_id = row.id

    def _finish(self, tree: _Tree) -> TreeResult:
        """Score the tree, decide its pairs, and store both with the episode's end in
        one transaction (a kill before it commits leaves the tree to be regrown)."""
        score_tree(tree.root)
        decisions = pair_tree(tree.root)
        nodes = tree.root.walk()
        leaves = [n for n in nodes if n.final]
        kept = sum(d.kept for d in decisions)
        extra = {
            **self._tally(tree),
            "tree": {
                "nodes": len(nodes),
                "leaves": len(leaves),
                "correct_leaves": sum(bool(n.correct) for n in leaves),
                "root_score": tree.root.score,
                "pairs_kept": kept,
                "pairs_rejected": len(decisions) - kept,
            },
        }
        with self.store.session() as s:
            for n in nodes:
                s.exec(update(DPONodeRow).where(DPONodeRow.id == n.db_id).values(score=n.score))  # type: ignore[call-overload,arg-type]
            s.add_all(
                DPOPairRow(
                    run_id=self.drun.run.id,  # type: ignore[arg-type]
                    episode_id=tree.ep.id,  # type: ignore[arg-type]
                    sample_id=tree.smp.id,  # type: ignore[arg-type]
                    task=tree.smp.task,
                    parent_id=d.parent.db_id,  # type: ignore[arg-type]
                    chosen_id=d.chosen.db_id,  # type: ignore[arg-type]
                    rejected_id=d.rejected.db_id,  # type: ignore[arg-type]
                    chosen_score=d.chosen.score,  # type: ignore[arg-type]
                    rejected_score=d.rejected.score,  # type: ignore[arg-type]
                    kept=d.kept,
                    reason=d.reason,
                )
                for d in decisions
            )
            s.exec(
                update(EpisodeRow)
                .where(EpisodeRow.id == tree.ep.id)  # type: ignore[arg-type]
                .values(
                    status="finished",
                    rounds=max((n.rounds for n in leaves), default=0),
                    stop_reason="tree",
                    extra=extra,
                    finished_at=utcnow(),
                    duration_s=time.monotonic() - tree.started,
                )
            )  # type: ignore[call-overload]
        res = self._result(tree, "finished")
        res.nodes, res.leaves = len(nodes), len(leaves)
        res.pairs_kept, res.pairs_rejected = kept, len(decisions) - kept
        return res

    def _tally(self, tree: _Tree) -> dict[str, Any]:
        t = tree.rec.tally
        return {
            "time": {k: round(v, 4) for k, v in t.time.items()},
            "tokens": t.tokens,
            "cost_usd": t.cost,
            "cost_unknown": t.cost_unknown,
            "calls": t.calls,
            "cached_calls": t.cached_calls,
        }

    def _result(self, tree: _Tree, status: str) -> TreeResult:
        t = tree.rec.tally
        return TreeResult(
            tree.ep.id,  # type: ignore[arg-type]
            tree.smp.task,
            status,
            tokens=sum(t.tokens.values()),
            cost=t.cost,
            cost_unknown=t.cost_unknown,
        )

    def _fail(self, tree: _Tree, error: str) -> TreeResult:
        tree.failed = error
        self._update(
            tree.ep.id,  # type: ignore[arg-type]
            status="failed",
            error=error,
            extra=self._tally(tree),
            finished_at=utcnow(),
            duration_s=time.monotonic() - tree.started,
        )
        res = self._result(tree, "failed")
        res.error = error
        return res

    def _update(self, episode_id: int, **values: Any) -> None:
        with self.store.session() as s:
            s.exec(update(EpisodeRow).where(EpisodeRow.id == episode_id).values(**values))  # type: ignore[call-overload,arg-type]

    # --- the loop -------------------------------------------------------------------------
    def _start(self, ep: EpisodeRow, smp: SampleRow) -> tuple[_Tree, list[tuple[Any, ...]]]:
        from codesteer_cli.steering.methods import guided_start
        from codesteer_cli.steering.record import EpisodeRecorder
        from symbench.core import get_task

        self._update(ep.id, status="running", started_at=utcnow())  # type: ignore[arg-type]
        task = get_task(smp.task)
        sample = repo.row_to_sample(smp)
        rec = EpisodeRecorder(self.store, ep.id)  # type: ignore[arg-type]
        tree = _Tree(ep, smp, task, sample, rec, Node(), time.monotonic())
        tree.root.state = guided_start(self._episode(tree, rec, 0), teacher=False)
        tree.root.prompt = list(tree.root.state.guide_msgs)
        self._insert(tree, tree.root)
        return tree, self._children_jobs(tree, tree.root)

    def _children_jobs(self, tree: _Tree, node: Node) -> list[tuple[Any, ...]]:
        n = self.cfg.branches if self._branching(node) else 1
        tree.pending += n
        return [(tree, node, k) for k in range(n)]

    def run(self) -> DpoOutcome:
        """Grow every tree of `drun.todo`; Ctrl-C stops (unfinished trees regrow on resume)."""
        from codesteer_cli.steering.episode import EpisodeFailed, Stopped

        out = DpoOutcome()
        trees = list(self.drun.todo)
        stack: list[tuple[Any, ...]] = []  # jobs, depth first
        running: dict[Future[Node], tuple[Any, ...]] = {}
        pool = ThreadPoolExecutor(max_workers=self.cfg.concurrency, thread_name_prefix="tree")

        def emit(res: TreeResult) -> None:
            out.results.append(res)
            if res.status == "finished":
                out.finished += 1
            elif res.status == "failed":
                out.failed += 1
            self.progress.on_tree(res)

        try:
            while trees or stack or running:
                while len(running) < self.cfg.concurrency and not self.stop.is_set():
                    if stack:
                        job = stack.pop()
                        if job[0].failed:
                            continue
                        running[pool.submit(self._expand, *job)] = job
                    elif trees:
                        ep, smp = trees.pop(0)
                        _, jobs = self._start(ep, smp)
                        stack += reversed(jobs)
                    else:
                        break
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in finished:
                    tree, parent, _k = running.pop(fut)
                    tree.pending -= 1
                    if tree.failed:
                        continue
                    try:
                        node = fut.result()
                    except Stopped:
                        tree.stopped = True
                        continue
                    except EpisodeFailed as exc:
                        emit(self._fail(tree, str(exc)))
                        continue
                    except Exception as exc:  # a bug or an executor failure: this tree only
                        log.exception("tree of episode %s failed", tree.ep.id)
                        emit(self._fail(tree, f"{type(exc).__name__}: {exc}"[:2000]))
                        continue
                    parent.children.append(node)
                    self._insert(tree, node)
                    self.progress.on_node()
                    if not node.final:
                        stack += reversed(self._children_jobs(tree, node))
                    elif tree.pending == 0 and not tree.stopped:
                        _sort_children(tree.root)
                        emit(self._finish(tree))
        except KeyboardInterrupt:
            self.stop.set()
            out.stopped_reason = "interrupted"
            self.progress.on_message("stopping: letting calls in flight finish")
            for fut in running:
                fut.cancel()
            with contextlib.suppress(KeyboardInterrupt):
                wait(running)
            raise
        finally:
            pool.shutdown(wait=not self.stop.is_set(), cancel_futures=True)
        return out


def _sort_children(node: Node) -> None:
    """Children in branch order (they arrive in completion order)."""
    node.children.sort(key=lambda c: c.path[-1])
    for c in node.children:
        _sort_children(c)


def grow_trees(
    store: Store, drun: DpoRun, progress: DpoProgress, models: TreeModels | None = None
) -> DpoOutcome:
    return TreeGrower(store, drun, progress, models).run()
