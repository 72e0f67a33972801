"""The report's model: stored runs (aggregated in SQL by `reporting/queries.py`) beside
the paper's published methods.

The store is read with a few GROUP BY queries at the grain (run, task, complexity); every
table is rolled up from those cells in Python. Rows that span several tasks (a family, a
split, a complexity level, the seen/unseen/total averages) average the per-task figures,
each task weighing the same, as the paper's averages do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from codesteer_cli.errors import UserError
from codesteer_cli.reporting.compare import (
    PAPER_SOURCE,
    PaperMethod,
    our_method,
    paper_cost,
    paper_data,
    table1_method,
    task_info,
)
from codesteer_cli.reporting.hindsight import Hindsight, hindsight
from codesteer_cli.reporting.queries import (
    Cell,
    RunInfo,
    aggregate,
    guide_replies,
    sample_success,
)
from codesteer_cli.reporting.stats import SCOPES, Diff, Normalized, normalized_scores

if TYPE_CHECKING:
    from codesteer_cli.store.db import Store
    from symbench import Sample

BY_CHOICES = ("task", "family", "split", "complexity")
DECISIONS_BY = ("split", "task")  # rows of the guide-decisions table
# Its turns, in display order: the last when the answer before could not be scored.
DECISION_TURNS = (
    "first turn",
    "later turns after a right answer",
    "later turns after a wrong answer",
    "later turns",
)
FAMILY_ORDER = ("computation", "planning", "bbh", "math", "logic_game")
ORIGINAL = "orig"  # the complexity group of imported original samples (no complexity)
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 0

# Per-sample figures of a (method, group) cell, in display order.
METRICS = (
    "samples",
    "failed",
    "success",
    "mean_score",
    "rounds",
    "task_tokens",
    "guide_tokens",
    "checker_tokens",
    "cost_usd",
    "cost_partial",
    "wall_s",
    "t_task_s",
    "t_guide_s",
    "t_code_s",
    "t_checker_s",
    "code_share",
    "cached_turns",
)
_SUMMED = ("samples", "failed", "cached_turns")


def macro(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Average per-task metrics, each task weighing the same (counts are summed)."""
    out: dict[str, Any] = {}
    for k in METRICS:
        vals = [r.get(k) for r in rows]
        if k in _SUMMED:
            out[k] = sum(v or 0 for v in vals)
        elif k == "cost_partial":
            out[k] = any(bool(v) for v in vals) or any(r.get("cost_usd") is None for r in rows)
        else:
            known = [float(v) for v in vals if v is not None]
            out[k] = sum(known) / len(known) if known else None
    if out["cost_usd"] is None:
        out["cost_partial"] = any(bool(r.get("cost_partial")) for r in rows)
    return out


# --- methods ----------------------------------------------------------------------------
@dataclass
class Method:
    """One column of the comparison: a stored run or a published method."""

    key: str
    source: str  # run | paper
    title: str
    run: RunInfo | None = None
    paper: PaperMethod | None = None
    cells: dict[tuple[str, int | None], Cell] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)  # paper: task -> success %

    @property
    def tasks(self) -> set[str]:
        if self.source == "paper":
            return set(self.rates)
        return {t for (t, _), c in self.cells.items() if c.samples > 0}

    def task_cell(self, task: str) -> Cell:
        out = Cell()
        for (t, _), c in self.cells.items():
            if t == task:
                out.add(c)
        return out

    def info(self) -> dict[str, Any]:
        d: dict[str, Any] = {"key": self.key, "source": self.source, "title": self.title}
        if self.run is not None:
            r = self.run
            d.update(
                run_id=r.id,
                run_name=r.name,
                status=r.status,
                method=r.method,
                task_model=r.task_model,
                guide=r.guide,
                prompts=r.config.get("prompts"),
                max_rounds=r.config.get("max_rounds"),
                price_table_date=r.price_table_date,
                started_at=r.started_at.isoformat() if r.started_at else None,
                finished_at=r.finished_at.isoformat() if r.finished_at else None,
            )
            column, ours = table1_method(r.method), our_method(r.method)
            d.update(
                table1_column=column.column if column else None,
                table1_title=column.title if column else None,
                method_note=ours.note if ours else None,
            )
        if self.paper is not None:
            d.update(paper_column=self.paper.column, published=paper_cost(self.paper))
        return d


def paper_method(m: PaperMethod) -> Method:
    return Method(m.name, "paper", m.title, paper=m, rates=dict(paper_data().rates[m.column]))


# --- the report --------------------------------------------------------------------------
@dataclass
class DiffReport:
    a: str
    b: str
    overall: Diff
    per_task: dict[str, Diff]
    only_a: int  # samples only A scored (left out)
    only_b: int

    def to_dict(self) -> dict[str, Any]:
        def d(x: Diff) -> dict[str, Any]:
            return {k: getattr(x, k) for k in x.__dataclass_fields__}

        return {
            "a": self.a,
            "b": self.b,
            "overall": d(self.overall),
            "per_task": {t: d(x) for t, x in self.per_task.items()},
            "unmatched_samples": {"only_a": self.only_a, "only_b": self.only_b},
        }


@dataclass
class Report:
    by: str
    methods: list[Method]
    tasks: list[str]  # compared: every method has them
    split_of: dict[str, str]
    family_of: dict[str, str]
    dropped: dict[str, list[str]]  # task left out -> methods that lack it
    normalized: Normalized
    groups: list[str]
    success: dict[str, dict[str, float | None]]  # method -> group -> success %
    metrics: dict[str, dict[str, dict[str, Any]]]  # run method -> group -> metrics
    averages: dict[str, dict[str, dict[str, Any]]]  # method -> scope -> metrics
    diffs: list[DiffReport] = field(default_factory=list)
    hindsights: list[Hindsight] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # run method -> "seen, first turn" / "unseen, later turns" ... -> guidance kind -> count
    guide_choices: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    decisions_by: str = "split"  # the guide_choices scopes: per split or per task

    @property
    def runs(self) -> list[Method]:
        return [m for m in self.methods if m.source == "run"]

    def decision_rows(self) -> list[dict[str, Any]]:
        """`guide_choices` as rows with the scope's parts as fields (for JSON): run,
        split or task, turn (first/later), the answer before (right/wrong/None), counts."""
        after = {DECISION_TURNS[1]: "right", DECISION_TURNS[2]: "wrong"}
        rows = []
        for key, scopes in self.guide_choices.items():
            for scope, counts in scopes.items():
                where, _, turn = scope.partition(", ")
                rows.append(
                    {
                        "run": key,
                        self.decisions_by: where,
                        "turn": "first" if turn == DECISION_TURNS[0] else "later",
                        "after": after.get(turn),
                        "n": sum(counts.values()),
                        "counts": dict(counts),
                    }
                )
        return rows

    @property
    def has_partial_credit(self) -> bool:
        return any(c.partial for m in self.runs for c in m.cells.values())

    def summary(self, m: Method) -> dict[str, Any]:
        """One method's headline: normalized scores and per-sample cost over all tasks."""
        norm = self.normalized.averages.get(m.key, {})
        d: dict[str, Any] = {f"normalized_{s}": norm.get(s) for s in SCOPES}
        total = self.averages.get(m.key, {}).get("total", {})
        d["success"] = total.get("success")
        if m.source == "paper" and m.paper is not None:
            pub = paper_cost(m.paper)
            d.update(
                samples=None,
                failed=None,
                task_tokens=pub["tokens"],
                guide_tokens=None,
                cost_usd=None,
                cost_partial=False,
                wall_s=pub["runtime_s"],
                wall_alt_s=pub["runtime_alt_s"],
                published_normalized_total=pub["normalized_total"],
                cost_source="published, all 37 tasks",
            )
        else:
            for k in (
                "samples",
                "failed",
                "task_tokens",
                "guide_tokens",
                "checker_tokens",
                "cost_usd",
            ):
                d[k] = total.get(k)
            d["cost_partial"] = total.get("cost_partial", False)
            d["wall_s"] = total.get("wall_s")
            d["rounds"] = total.get("rounds")
            d["code_share"] = total.get("code_share")
        return d

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "guide_choices": self.guide_choices,
            "guide_decisions": self.decision_rows(),
            "methods": [m.info() for m in self.methods],
            "normalized_over": [m.key for m in self.methods],
            "tasks": self.tasks,
            "task_split": {t: self.split_of[t] for t in self.tasks},
            "dropped_tasks": self.dropped,
            "excluded_from_normalization": self.normalized.excluded,
            "normalized_tasks_counted": self.normalized.counted,
            "normalized": {m: dict(v) for m, v in self.normalized.averages.items()},
            "normalized_per_task": self.normalized.per_task,
            "summary": {m.key: self.summary(m) for m in self.methods},
            "groups": self.groups,
            "success": self.success,
            "metrics": self.metrics,
            "averages": self.averages,
            "diffs": [d.to_dict() for d in self.diffs],
            "hindsight": [h.to_dict() for h in self.hindsights],
            "notes": self.notes,
            "paper_source": PAPER_SOURCE,
        }


def _unique_key(wanted: str, taken: set[str], run_id: int) -> str:
    key = wanted if wanted not in taken else f"{wanted}#{run_id}"
    taken.add(key)
    return key


def _task_order(tasks: Iterable[str]) -> list[str]:
    paper_order = {t: i for i, t in enumerate(paper_data().tasks)}
    return sorted(
        set(tasks),
        key=lambda t: (
            task_info(t)[0] != "seen",
            paper_order.get(t, len(paper_order)),
            t,
        ),
    )


def guide_choices(
    store: Store, runs: Sequence[Method], split_of: dict[str, str], by: str = "split"
) -> dict[str, dict[str, dict[str, int]]]:
    """How often each run's guide chose Code, Text, Return, ... on seen and unseen tasks
    (or on each task, `by="task"`), at the first guide turn and at later ones after a
    right or a wrong answer (read as the engine read them)."""
    from codesteer_cli.steering.guidance import parse_guidance
    from codesteer_cli.steering.prompts import PROMPT_SETS

    def guides(m: Method) -> bool:  # a summarizer's replies are answers, not guidance
        ours = our_method(m.run.method) if m.run is not None else None
        return ours is None or ours.guide_role == "guide"

    by_id = {m.run.id: m for m in runs if m.run is not None and guides(m)}
    replies = guide_replies(store, list(by_id))
    # Stores written before the engine kept each answer's verdict: score those here.
    unjudged = [g for g in replies if g.answer is not None and g.correct is None]
    right = _answer_judge(store, {g.sample_id for g in unjudged})
    out: dict[str, dict[str, dict[str, int]]] = {}
    for g in replies:
        m = by_id[g.run_id]
        assert m.run is not None
        prompts = PROMPT_SETS.get(str(m.run.config.get("prompts") or "default"))
        options = prompts.options_for(g.round) if prompts is not None else None
        kind = parse_guidance(g.reply, options).kind
        ok = g.correct
        if ok is None and g.answer is not None:
            ok = right(g.sample_id, g.answer, g.stdout)
        if g.round == 0:
            turn = DECISION_TURNS[0]
        else:
            turn = DECISION_TURNS[3] if ok is None else DECISION_TURNS[1 if ok else 2]
        where = g.task if by == "task" else split_of.get(g.task, "?")
        counts = out.setdefault(m.key, {}).setdefault(f"{where}, {turn}", {})
        counts[kind] = counts.get(kind, 0) + 1
    return out


def _answer_judge(
    store: Store, sample_ids: set[int]
) -> Callable[[int, str, str | None], bool | None]:
    """Whether an answer is right, scored as a run scores its final answer (its text or
    its code's output); None where the task is unknown or its verifier cannot read it."""
    from codesteer_cli.steering.episode import score_texts
    from codesteer_cli.store.repo import samples_by_id
    from symbench import get_task

    samples = samples_by_id(store, sample_ids)
    cache: dict[tuple[int, str, str | None], bool | None] = {}

    def judge(sample: Sample, text: str, stdout: str | None) -> bool | None:
        try:
            return score_texts(get_task(sample.task), sample, text, stdout).correct
        except Exception:  # noqa: BLE001 - an unknown task or unreadable sample: unknown
            return None

    def right(sample_id: int, text: str, stdout: str | None) -> bool | None:
        key = (sample_id, text, stdout)
        if key not in cache:
            sample = samples.get(sample_id)
            cache[key] = judge(sample, text, stdout) if sample is not None else None
        return cache[key]

    return right


def _hosts_note(methods: Sequence[Method]) -> str | None:
    """A note when the runs compared ran on different machines (CPU, vector units,
    llama.cpp or torch version): a local model's greedy text differs between them."""
    from codesteer_cli.runs.host import describe, identity

    hosts = {m.key: m.run.host for m in methods if m.run is not None and m.run.host}
    if len({identity(h) for h in hosts.values()}) < 2:
        return None
    where = "; ".join(f"{k}: {describe(h)}" for k, h in hosts.items())
    return (
        "runs ran on different machines or library versions, so a local model's answers "
        f"can differ between them beyond their settings ({where})"
    )


def check_choices(by: str, decisions_by: str = "split") -> None:
    """A clear error for a --by or --decisions-by the report does not know."""
    for flag, value, choices in (
        ("--by", by, BY_CHOICES),
        ("--decisions-by", decisions_by, DECISIONS_BY),
    ):
        if value not in choices:
            raise UserError(f"{flag} must be one of {', '.join(choices)}; got {value!r}")


def build_report(
    store: Store | None,
    runs: Sequence[RunInfo],
    paper: Sequence[PaperMethod],
    by: str = "task",
    diffs: Sequence[tuple[RunInfo, RunInfo]] = (),
    hindsights: Sequence[Sequence[RunInfo]] = (),
    decisions_by: str = "split",
) -> Report:
    """Aggregate `runs`, add the published `paper` methods, compare them on common tasks;
    add the paired `diffs` and the hindsight routers between each group of `hindsights`."""
    check_choices(by, decisions_by)
    notes: list[str] = []
    named = [r for group in [*diffs, *hindsights] for r in group]  # by --diff / --hindsight
    all_runs = list({r.id: r for r in [*runs, *named]}.values())  # once each, in order
    cells = aggregate(store, [r.id for r in all_runs]) if store is not None and all_runs else {}

    methods: list[Method] = [paper_method(p) for p in paper]
    taken = {m.key for m in methods}
    for r in all_runs:
        m = Method(
            _unique_key(r.name, taken, r.id), "run", r.title, run=r, cells=cells.get(r.id, {})
        )
        if not m.tasks:
            unfinished = sum(c.failed + c.unfinished for c in m.cells.values())
            notes.append(
                f"run {r.name} has no finished samples ({unfinished} failed or unfinished); "
                "left out"
            )
            continue
        methods.append(m)
    if not methods:
        raise UserError(
            "nothing to report: no finished steer runs in the store; name runs or use "
            "--compare paper"
        )

    # Compare on the tasks every method has; say which were dropped and why.
    all_tasks = set().union(*(m.tasks for m in methods))
    common = set.intersection(*(m.tasks for m in methods))
    dropped = {
        t: [m.key for m in methods if t not in m.tasks] for t in _task_order(all_tasks - common)
    }
    if not common:
        raise UserError(
            "the methods have no task in common: "
            + "; ".join(f"{m.key}: {', '.join(sorted(m.tasks))}" for m in methods)
        )
    tasks = _task_order(common)
    split_of = {t: task_info(t)[0] for t in all_tasks}
    family_of = {t: task_info(t)[1] for t in all_tasks}
    if dropped:
        notes.append(_dropped_note(dropped, methods, len(tasks)))

    task_metrics: dict[str, dict[str, dict[str, Any]]] = {}
    rates: dict[str, dict[str, float]] = {}
    for m in methods:
        if m.source == "paper":
            rates[m.key] = {t: m.rates[t] for t in tasks}
        else:
            task_metrics[m.key] = {t: m.task_cell(t).metrics() for t in tasks}
            rates[m.key] = {t: task_metrics[m.key][t]["success"] or 0.0 for t in tasks}
    normalized = normalized_scores(rates, tasks, split_of)
    if normalized.excluded:
        notes.append(
            "left out of the normalized averages (every method scored 0, so s/max is 0/0): "
            + ", ".join(normalized.excluded)
        )

    groups, members = _groups(by, tasks, methods, family_of, split_of)
    success: dict[str, dict[str, float | None]] = {}
    metrics: dict[str, dict[str, dict[str, Any]]] = {}
    for m in methods:
        success[m.key] = {}
        if m.source == "run":
            metrics[m.key] = {}
        for g in groups:
            if m.source == "paper":
                vals = [m.rates[t] for t, cx in members[g] if cx is _ANY]
                success[m.key][g] = sum(vals) / len(vals) if vals else None
                continue
            rows = []
            for t, cx in members[g]:
                if cx is _ANY:
                    rows.append(task_metrics[m.key][t])
                else:
                    c = m.cells.get((t, cx))
                    if c is not None and c.samples:
                        rows.append(c.metrics())
            met = rows[0] if len(rows) == 1 else macro(rows) if rows else None
            if met is not None:
                metrics[m.key][g] = met
            success[m.key][g] = met["success"] if met else None

    averages: dict[str, dict[str, dict[str, Any]]] = {}
    for m in methods:
        averages[m.key] = {}
        for scope in SCOPES:
            ts = [t for t in tasks if scope == "total" or split_of[t] == scope]
            if not ts:
                continue
            if m.source == "paper":
                averages[m.key][scope] = {"success": sum(m.rates[t] for t in ts) / len(ts)}
            else:
                averages[m.key][scope] = macro([task_metrics[m.key][t] for t in ts])

    failed = {m.key: sum(c.failed for c in m.cells.values()) for m in methods if m.source == "run"}
    for key, n in failed.items():
        if n:
            notes.append(f"run {key}: {n} failed episodes are not counted as samples")
    for m in methods:
        if m.source == "run":
            unfinished = sum(c.unfinished for c in m.cells.values())
            if unfinished:
                notes.append(f"run {m.key}: {unfinished} episodes not finished (not counted)")
            cached = sum(c.cached for c in m.cells.values())
            if cached:
                calls = sum(c.turns for c in m.cells.values())
                notes.append(
                    f"run {m.key}: {cached} of {calls} model calls came from the response "
                    "cache; their tokens, latency and cost are the original call's"
                )
            if m.run is not None and m.run.status != "finished":
                notes.append(f"run {m.key} is {m.run.status}, not finished")
            name = m.run.method if m.run is not None else ""
            ours = our_method(name)
            if ours is not None and ours.note:
                notes.append(f"run {m.key} ({name}): {ours.note}")
    hosts_note = _hosts_note(methods)
    if hosts_note:
        notes.append(hosts_note)
    if any(m.source == "paper" for m in methods):
        steer = any(m.paper is not None and m.paper.alt_cost_row for m in methods)
        notes.append(
            f"published results: {PAPER_SOURCE}; their tokens and runtime per sample are the "
            "paper's, over all 37 tasks"
            + (
                " (CodeSteer's tokens exclude the 8B guide; runtime on 1×H100, 45.4 s on 4×H100)"
                if steer
                else ""
            )
        )
    if by == "complexity" and any(m.source == "paper" for m in methods):
        notes.append("the paper publishes no per-complexity results: its columns are empty")

    report = Report(
        by=by,
        methods=methods,
        tasks=tasks,
        split_of=split_of,
        family_of=family_of,
        dropped=dropped,
        normalized=normalized,
        groups=groups,
        success=success,
        metrics=metrics,
        averages=averages,
        notes=notes,
    )
    if store is not None:
        report.decisions_by = decisions_by
        report.guide_choices = guide_choices(store, report.runs, split_of, decisions_by)
        keys = {m.run.id: m.key for m in methods if m.run is not None}
        for a, b in diffs:
            if a.id in keys and b.id in keys:
                report.diffs.append(run_diff(store, a, b, keys[a.id], keys[b.id]))
        for group in hindsights:
            if all(r.id in keys for r in group):
                ks = [keys[r.id] for r in group]
                report.hindsights.append(hindsight(store, group, ks, tasks, split_of))
    return report


def _dropped_note(dropped: dict[str, list[str]], methods: list[Method], n_tasks: int) -> str:
    """`dropped: sokoban (not in the paper, oq-1); blocksworld, ... (not in cs-1)`."""
    paper_keys = [m.key for m in methods if m.source == "paper"]
    by_lacking: dict[tuple[str, ...], list[str]] = {}
    for t, lacking in dropped.items():
        by_lacking.setdefault(tuple(lacking), []).append(t)
    parts = []
    for lacking, ts in by_lacking.items():
        names = list(lacking)
        if len(paper_keys) > 1 and set(paper_keys) <= set(names):
            names = ["the paper's results"] + [k for k in names if k not in paper_keys]
        count = f" ({len(ts)} tasks)" if len(ts) > 3 else ""
        parts.append(f"{', '.join(ts)}{count}: not in {', '.join(names)}")
    return f"compared on the {n_tasks} tasks every method has; dropped " + "; ".join(parts)


class _AnyComplexity:
    def __repr__(self) -> str:
        return "any"


_ANY: Any = _AnyComplexity()


def _groups(
    by: str,
    tasks: list[str],
    methods: list[Method],
    family_of: dict[str, str],
    split_of: dict[str, str],
) -> tuple[list[str], dict[str, list[tuple[str, Any]]]]:
    """Group labels in order, each with its (task, complexity) members."""
    members: dict[str, list[tuple[str, Any]]] = {}
    if by == "task":
        for t in tasks:
            members[t] = [(t, _ANY)]
    elif by == "family":
        order = {f: i for i, f in enumerate(FAMILY_ORDER)}
        for f in sorted({family_of[t] for t in tasks}, key=lambda f: (order.get(f, 99), f)):
            members[f] = [(t, _ANY) for t in tasks if family_of[t] == f]
    elif by == "split":
        for sp in ("seen", "unseen", "unknown"):
            ts = [t for t in tasks if split_of[t] == sp]
            if ts:
                members[sp] = [(t, _ANY) for t in ts]
    else:  # complexity
        levels: set[int | None] = set()
        for m in methods:
            levels.update(cx for (t, cx), c in m.cells.items() if c.samples and t in tasks)
        for cx in sorted(levels, key=lambda c: (c is None, c or 0)):
            members[ORIGINAL if cx is None else str(cx)] = [(t, cx) for t in tasks]
    return list(members), members


def run_diff(store: Store, a: RunInfo, b: RunInfo, key_a: str, key_b: str) -> DiffReport:
    """B − A success with a paired bootstrap interval, over samples both runs scored."""
    from codesteer_cli.reporting.stats import paired_bootstrap

    sa, sb = sample_success(store, a.id), sample_success(store, b.id)
    both = sorted(set(sa) & set(sb))
    by_task: dict[str, list[int]] = {}
    for sid in both:
        by_task.setdefault(sa[sid][0], []).append(sid)

    def boot(ids: list[int]) -> Diff:
        return paired_bootstrap(
            [sa[i][1] for i in ids],
            [sb[i][1] for i in ids],
            resamples=BOOTSTRAP_RESAMPLES,
            seed=BOOTSTRAP_SEED,
        )

    return DiffReport(
        a=key_a,
        b=key_b,
        overall=boot(both),
        per_task={t: boot(by_task[t]) for t in _task_order(by_task)},
        only_a=len(set(sa) - set(sb)),
        only_b=len(set(sb) - set(sa)),
    )
