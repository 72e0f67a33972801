"""Rendering a report: Rich tables, plain text, Markdown, CSV and JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from codesteer_cli.reporting.compare import paper_cost
from codesteer_cli.reporting.hindsight import Hindsight
from codesteer_cli.reporting.model import DECISION_TURNS, METRICS, DiffReport, Method, Report
from codesteer_cli.reporting.stats import SCOPES, Diff

# --- rendering ---------------------------------------------------------------------------
FORMATS = ("table", "md", "csv", "json", "html")


@dataclass
class TableSpec:
    """A format-neutral table: rendered by Rich, as Markdown and as HTML."""

    title: str
    columns: list[str]  # may hold "\n" (Rich wraps there; Markdown/HTML use a space)
    rows: list[list[str]]
    right: list[bool]  # right-align column
    sections: set[int] = field(default_factory=set)  # a rule after these row indices
    bold: set[tuple[int, int]] = field(default_factory=set)  # (row, column) to emphasize
    caption: str | None = None


def fmt_num(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def fmt_usd(v: float | None, partial: bool = False) -> str:
    if v is None:
        return "?"
    s = f"{v:.4f}" if v < 1 else f"{v:,.2f}"
    return f"≥{s}" if partial else s


def _header(m: Method) -> str:
    return f"{m.key} †" if m.source == "paper" else m.key


def _bold_max(row: list[str], cols: range, out: set[tuple[int, int]], r: int) -> None:
    vals = []
    for c in cols:
        try:
            vals.append((float(row[c].replace(",", "")), c))
        except ValueError:
            continue
    if len(vals) > 1:
        best = max(v for v, _ in vals)
        out.update((r, c) for v, c in vals if v == best)


def table_specs(report: Report) -> list[TableSpec]:
    specs = [_success_spec(report), _summary_spec(report)]
    if report.runs:
        specs.append(_cost_spec(report))
    specs.extend(_diff_spec(report, d) for d in report.diffs)
    specs.extend(_hindsight_spec(h) for h in report.hindsights)
    if report.guide_choices:
        specs.append(_guide_spec(report))
    return specs


GUIDE_KINDS = ("code", "text", "return", "terminate", "free")


def _guide_spec(report: Report) -> TableSpec:
    spec = TableSpec(
        title="Guide decisions (guide turns of finished episodes)",
        columns=[
            "run",
            "task, turn" if report.decisions_by == "task" else "tasks, turn",
            *GUIDE_KINDS,
            "n",
        ],
        rows=[],
        right=[False, False] + [True] * (len(GUIDE_KINDS) + 1),
    )
    places = [*SCOPES, *report.tasks]

    def order(scope: str) -> tuple[int, int, str]:  # splits/tasks as the report orders them
        where, _, turn = scope.partition(", ")
        at = places.index(where) if where in places else len(places)
        return at, DECISION_TURNS.index(turn), scope

    for key, scopes in report.guide_choices.items():
        for scope in sorted(scopes, key=order):
            counts = scopes[scope]
            n = sum(counts.values())
            cells = [f"{100 * counts.get(k, 0) / n:.0f}%" for k in GUIDE_KINDS]
            spec.rows.append([key, scope, *cells, str(n)])
        spec.sections.add(len(spec.rows) - 1)
    spec.caption = (
        "share of guide replies read as each kind: code/text = solve that way; return = the "
        "answer is final; free = specific guidance passed on as written. Right/wrong: the "
        "answer just before the turn, scored as the run scores its final answer"
    )
    return spec


def _success_spec(report: Report) -> TableSpec:
    ms = report.methods
    lead = [report.by] + (["split"] if report.by == "task" else [])
    cols = lead + [_header(m) for m in ms]
    first = len(lead)
    spec = TableSpec(
        title=f"Success rate (%) by {report.by}",
        columns=cols,
        rows=[],
        right=[False] * len(lead) + [True] * len(ms),
    )
    for g in report.groups:
        row = [g] + ([report.split_of[g]] if report.by == "task" else [])
        row += [fmt_num(report.success[m.key].get(g)) for m in ms]
        spec.rows.append(row)
    spec.sections.add(len(spec.rows) - 1)
    for scope in SCOPES:
        if not any(scope in report.averages[m.key] for m in ms):
            continue
        n = len([t for t in report.tasks if scope == "total" or report.split_of[t] == scope])
        row = [f"average, {scope} ({n})"] + ([""] if report.by == "task" else [])
        row += [fmt_num(report.averages[m.key].get(scope, {}).get("success")) for m in ms]
        spec.rows.append(row)
    spec.sections.add(len(spec.rows) - 1)
    for scope in SCOPES:
        n = report.normalized.counted.get(scope, 0)
        if not n:
            continue
        row = [f"normalized, {scope} ({n})"] + ([""] if report.by == "task" else [])
        row += [fmt_num(report.normalized.averages[m.key][scope]) for m in ms]
        spec.rows.append(row)
    for r, row in enumerate(spec.rows):
        _bold_max(row, range(first, len(cols)), spec.bold, r)
    over = ", ".join(m.key for m in ms)
    spec.caption = (
        f"normalized score = s/max×100 per task, max over the {len(ms)} methods compared "
        f"({over}), averaged over tasks"
        + (
            "; † published (CodeSteer paper, Table 1)"
            if any(m.source == "paper" for m in ms)
            else ""
        )
    )
    return spec


def _summary_spec(report: Report) -> TableSpec:
    cols = [
        "method",
        "source",
        "norm.\nseen",
        "norm.\nunseen",
        "norm.\ntotal",
        "success\n%",
        "samples",
        "failed",
        "task tok\n/sample",
        "guide tok\n/sample",
        "$\n/sample",
        "time s\n/sample",
    ]
    spec = TableSpec(
        title="Methods: normalized score and cost per sample",
        columns=cols,
        rows=[],
        right=[False, False] + [True] * (len(cols) - 2),
    )
    for m in report.methods:
        s = report.summary(m)
        if m.source == "paper":
            source = "paper"
            time = fmt_num(s["wall_s"])
            if s.get("wall_alt_s") is not None:
                time += f" ({fmt_num(s['wall_alt_s'])})"
            usd = "-"
        else:
            assert m.run is not None
            source = m.run.title
            time = fmt_num(s["wall_s"])
            usd = fmt_usd(s["cost_usd"], s["cost_partial"])
        spec.rows.append(
            [
                m.key,
                source,
                fmt_num(s["normalized_seen"]),
                fmt_num(s["normalized_unseen"]),
                fmt_num(s["normalized_total"]),
                fmt_num(s["success"]),
                "-" if s["samples"] is None else str(s["samples"]),
                "-" if s["failed"] is None else str(s["failed"]),
                fmt_num(s["task_tokens"], 0),
                fmt_num(s["guide_tokens"], 0),
                usd,
                time,
            ]
        )
    for c in (2, 3, 4):
        vals = [(float(r[c]), i) for i, r in enumerate(spec.rows) if r[c] != "-"]
        if vals:
            best = max(v for v, _ in vals)
            spec.bold.update((i, c) for v, i in vals if v == best)
    spec.caption = (
        "per-sample figures of runs average the compared tasks; paper figures are the "
        "published Table 8 (all 37 tasks; CodeSteer runtime on 1×H100, 4×H100 in brackets)"
    )
    return spec


def _cost_spec(report: Report) -> TableSpec:
    partial = report.has_partial_credit
    cols = ["run", report.by, "n", "fail", "success\n%"]
    cols += ["score\n%"] if partial else []
    cols += [
        "rounds",
        "task tok",
        "guide tok",
        "check tok",
        "$",
        "wall s",
        "task/guide/code/check\ns",
        "code\n%",
    ]
    spec = TableSpec(
        title=f"Per sample, by {report.by} (stored runs)",
        columns=cols,
        rows=[],
        right=[False, False] + [True] * (len(cols) - 2),
    )

    def row(key: str, label: str, x: dict[str, Any]) -> list[str]:
        split = "/".join(
            fmt_num(x[k], 1) for k in ("t_task_s", "t_guide_s", "t_code_s", "t_checker_s")
        )
        r = [key, label, str(x["samples"]), str(x["failed"]), fmt_num(x["success"])]
        r += [fmt_num(x["mean_score"])] if partial else []
        r += [
            fmt_num(x["rounds"], 2),
            fmt_num(x["task_tokens"], 0),
            fmt_num(x["guide_tokens"], 0),
            fmt_num(x["checker_tokens"], 0),
            fmt_usd(x["cost_usd"], x["cost_partial"]),
            fmt_num(x["wall_s"]),
            split,
            fmt_num(x["code_share"], 0),
        ]
        return r

    for m in report.runs:
        for g in report.groups:
            x = report.metrics[m.key].get(g)
            if x is not None:
                spec.rows.append(row(m.key, g, x))
        for scope in SCOPES:
            x = report.averages[m.key].get(scope)
            if x is not None:
                spec.rows.append(row(m.key, f"average, {scope}", x))
        spec.sections.add(len(spec.rows) - 1)
    spec.caption = (
        "tokens are input + output per sample (task model incl. summaries; guide; checker "
        "model); time split from call latencies and code runs (checker = checker calls + "
        "self-check code); ≥$: some calls have no known price, the figure is a lower bound; "
        "code % = task-model answers with code"
    )
    return spec


def _diff_spec(report: Report, d: DiffReport) -> TableSpec:
    o = d.overall
    cols = ["task", "paired", f"{d.a}\n%", f"{d.b}\n%", "B − A\npts", f"{o.level:.0%} CI", "+", "−"]
    spec = TableSpec(
        title=f"Difference {d.b} − {d.a} (paired bootstrap, {o.resamples:,} resamples)",
        columns=cols,
        rows=[],
        right=[False] + [True] * (len(cols) - 1),
    )

    def row(label: str, x: Diff) -> list[str]:
        return [
            label,
            str(x.n),
            fmt_num(x.mean_a),
            fmt_num(x.mean_b),
            f"{x.diff:+.1f}",
            f"[{x.low:+.1f}, {x.high:+.1f}]",
            str(x.improved),
            str(x.worsened),
        ]

    for t, x in d.per_task.items():
        spec.rows.append(row(t, x))
    spec.sections.add(len(spec.rows) - 1)
    spec.rows.append(row("all paired samples", o))
    spec.bold.add((len(spec.rows) - 1, 4))
    spec.caption = (
        f"samples matched by id; + = samples B solved and A did not, − = the reverse; "
        f"seed {o.seed}; unmatched samples left out: {d.only_a} only in {d.a}, "
        f"{d.only_b} only in {d.b}"
    )
    return spec


def _hindsight_spec(h: Hindsight) -> TableSpec:
    cols = ["task", "samples", *(f"{k}\n%" for k in h.keys), "per task\n%", "took", "per sample\n%"]
    spec = TableSpec(
        title=f"In hindsight: routers between {', '.join(h.keys)}",
        columns=cols,
        rows=[],
        right=[False, True] + [True] * (len(h.keys) + 1) + [False, True],
    )
    for r in [*h.tasks, *h.scopes]:
        cells = [fmt_num(v) for v in (*r.runs, r.per_task)]
        spec.rows.append([r.label, str(r.samples), *cells, r.best, fmt_num(r.per_sample)])
        if r is h.tasks[-1]:
            spec.sections.add(len(spec.rows) - 1)
    spec.caption = (
        "per task = the better run on each task, chosen after seeing the results (a perfect "
        "router by task); per sample = samples some run solved (a perfect router by "
        "sample); averages weigh each task the same; samples every run scored"
        + (f"; {h.unmatched} scored by only some left out" if h.unmatched else "")
    )
    return spec


def rich_tables(report: Report) -> list[Any]:
    from rich.table import Table
    from rich.text import Text

    from codesteer_cli.console import keep_whole

    out: list[Any] = []
    for spec in table_specs(report):
        t = Table(title=spec.title, caption=spec.caption, caption_justify="left")
        for i, (name, right) in enumerate(zip(spec.columns, spec.right, strict=True)):
            t.add_column(
                name, justify="right" if right else "left", overflow="fold", no_wrap=i == 0
            )
        for r, row in enumerate(spec.rows):
            cells = [
                Text(v, style="bold green" if (r, c) in spec.bold else "")
                for c, v in enumerate(row)
            ]
            t.add_row(*cells, end_section=r in spec.sections and r != len(spec.rows) - 1)
        out.append(keep_whole(t, spec.columns[0]) if spec.columns else t)
    if report.notes:
        out.append(Text("\n".join(f"• {n}" for n in report.notes)))
    return out


def render_text(report: Report, width: int = 120) -> str:
    """The tables as plain text (pipes, files): fixed-width columns, no styling.

    Rich renders the same tables for a terminal; this is ~50× faster on big reports.
    """
    import textwrap

    out: list[str] = []
    for spec in table_specs(report):
        heads = [c.split("\n") for c in spec.columns]
        depth = max(len(h) for h in heads)
        heads = [[""] * (depth - len(h)) + h for h in heads]
        widths = [
            max([len(x) for x in h] + [len(r[i]) for r in spec.rows]) for i, h in enumerate(heads)
        ]

        def line(
            cells: list[str], widths: list[int] = widths, right: list[bool] = spec.right
        ) -> str:
            parts = [
                c.rjust(w) if right[i] else c.ljust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            ]
            return "│ " + " │ ".join(parts) + " │"

        rule = "─┼─".join("─" * w for w in widths)
        out.append(spec.title)
        out.append("┌─" + "─┬─".join("─" * w for w in widths) + "─┐")
        out.extend(line([h[k] for h in heads]) for k in range(depth))
        out.append("╞═" + "═╪═".join("═" * w for w in widths) + "═╡")
        for r, row in enumerate(spec.rows):
            out.append(line(row))
            if r in spec.sections and r != len(spec.rows) - 1:
                out.append("├─" + rule + "─┤")
        out.append("└─" + "─┴─".join("─" * w for w in widths) + "─┘")
        if spec.caption:
            out.extend(textwrap.wrap(spec.caption, width))
        out.append("")
    for n in report.notes:
        out.extend(textwrap.wrap(n, width, initial_indent="• ", subsequent_indent="  "))
    return "\n".join(out) + "\n"


def _md_cell(v: str) -> str:
    return v.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    lines = ["# codesteer report", ""]
    for spec in table_specs(report):
        lines += [f"## {spec.title}", ""]
        lines.append("| " + " | ".join(_md_cell(c) for c in spec.columns) + " |")
        lines.append("|" + "|".join("---:" if r else ":---" for r in spec.right) + "|")
        for r, row in enumerate(spec.rows):
            cells = [
                f"**{_md_cell(v)}**" if (r, c) in spec.bold and v else _md_cell(v)
                for c, v in enumerate(row)
            ]
            lines.append("| " + " | ".join(cells) + " |")
        if spec.caption:
            lines += ["", f"_{spec.caption}_"]
        lines.append("")
    if report.notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in report.notes] + [""]
    return "\n".join(lines)


CSV_COLUMNS = (
    "section",
    "method",
    "source",
    "group",
    "normalized",
    *METRICS,
    "published_tokens",
    "published_runtime_s",
    "vs",
    "paired",
    "diff",
    "ci_low",
    "ci_high",
    "improved",
    "worsened",
    "decision",
    "count",
)


def render_csv(report: Report) -> str:
    """One tidy table: a row per (method, group), per (method, average), per diff row, per
    hindsight router row (`vs` names the runs it routes between) and per guide decision
    (`samples` = guide turns in that scope, `count` = those read as `decision`)."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()

    def clean(d: dict[str, Any]) -> dict[str, Any]:
        return {
            k: ("" if v is None else round(v, 6) if isinstance(v, float) else v)
            for k, v in d.items()
        }

    norm = report.normalized
    for m in report.methods:
        for g in report.groups:
            d: dict[str, Any] = {
                "section": report.by,
                "method": m.key,
                "source": m.source,
                "group": g,
            }
            d.update(report.metrics.get(m.key, {}).get(g, {}))
            d["success"] = report.success[m.key].get(g)
            if report.by == "task":
                d["normalized"] = norm.per_task[m.key].get(g)
            w.writerow(clean(d))
        for scope in SCOPES:
            if scope not in report.averages[m.key]:
                continue
            d = {"section": "average", "method": m.key, "source": m.source, "group": scope}
            d.update(report.averages[m.key][scope])
            d["normalized"] = norm.averages[m.key][scope]
            if m.paper is not None and scope == "total":
                pub = paper_cost(m.paper)
                d["published_tokens"] = pub["tokens"]
                d["published_runtime_s"] = pub["runtime_s"]
            w.writerow(clean(d))
    for diff in report.diffs:
        rows = [*diff.per_task.items(), ("all", diff.overall)]
        for g, x in rows:
            w.writerow(
                clean(
                    {
                        "section": "diff",
                        "method": diff.b,
                        "source": "run",
                        "group": g,
                        "vs": diff.a,
                        "paired": x.n,
                        "diff": x.diff,
                        "ci_low": x.low,
                        "ci_high": x.high,
                        "improved": x.improved,
                        "worsened": x.worsened,
                    }
                )
            )
    for key, scopes in report.guide_choices.items():
        for scope, counts in scopes.items():
            n = sum(counts.values())
            for kind, count in counts.items():
                row = {"section": "guide", "method": key, "source": "run", "group": scope}
                w.writerow(clean({**row, "samples": n, "decision": kind, "count": count}))
    for h in report.hindsights:
        for r in [*h.tasks, *h.scopes]:
            for router, v in (("per_task", r.per_task), ("per_sample", r.per_sample)):
                row = {"section": "hindsight", "method": router, "source": "hindsight"}
                row |= {"group": r.label, "vs": "|".join(h.keys), "samples": r.samples}
                w.writerow(clean({**row, "success": v}))
    return buf.getvalue()


def render_json(report: Report) -> str:
    import json
    import math

    def fix(o: Any) -> Any:
        if isinstance(o, float) and not math.isfinite(o):
            return None
        if isinstance(o, dict):
            return {str(k): fix(v) for k, v in o.items()}
        if isinstance(o, list | tuple):
            return [fix(v) for v in o]
        return o

    return json.dumps(fix(report.to_dict()), indent=2)
