"""Report pictures (PNG, matplotlib Agg, imported lazily).

- `score_vs_tokens.png`, `score_vs_runtime.png`: normalized total score against task-model
  tokens and wall time per sample, one point per method (paper methods use Table 8).
- `success_vs_complexity.png`: success rate against complexity, one panel per task, one
  line per stored run.
- `rounds_and_modes.png`: mean rounds and the code-vs-text share of answers per task.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codesteer_cli.errors import UserError
from codesteer_cli.reporting.compare import paper_cost

if TYPE_CHECKING:
    from codesteer_cli.reporting.model import Report

DPI = 120
PAPER_COLOR = "#4C72B0"
RUN_COLORS = ("#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
        }
    )
    return plt


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _run_color(i: int) -> str:
    return RUN_COLORS[i % len(RUN_COLORS)]


def _points(report: Report, what: str) -> list[tuple[str, float, float, str, bool]]:
    """(label, x, y, color, hollow) for every method with a known x."""
    pts: list[tuple[str, float, float, str, bool]] = []
    run_i = 0
    for m in report.methods:
        y = report.normalized.averages[m.key]["total"]
        if y is None:
            continue
        if m.source == "paper" and m.paper is not None:
            pub = paper_cost(m.paper)
            x = pub["tokens"] if what == "tokens" else pub["runtime_s"]
            if x:
                extra = " (1×H100)" if what == "runtime" and pub["runtime_alt_s"] else ""
                pts.append((m.key + extra, float(x), y, PAPER_COLOR, False))
            if what == "runtime" and pub["runtime_alt_s"]:
                pts.append((m.key + " (4×H100)", float(pub["runtime_alt_s"]), y, PAPER_COLOR, True))
        else:
            s = report.summary(m)
            # The Self-answer Checker runs on the task model, as in the paper's counts.
            tokens = (s["task_tokens"] or 0) + (s["checker_tokens"] or 0)
            x = tokens if what == "tokens" else s["wall_s"]
            if x and x > 0:
                pts.append((m.key, float(x), y, _run_color(run_i), False))
            run_i += 1
    return pts


def _score_vs(report: Report, what: str) -> bytes | None:
    pts = _points(report, what)
    if not pts:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8.5, 5.5))
    for _label, x, y, color, hollow in pts:
        is_run = color != PAPER_COLOR
        ax.scatter(
            [x],
            [y],
            s=140 if is_run else 60,
            marker="*" if is_run else "o",
            facecolors="none" if hollow else color,
            edgecolors=color,
            linewidths=1.5,
            zorder=3,
        )
    xs = [p[1] for p in pts]
    if len(xs) > 1 and max(xs) / max(min(xs), 1e-9) > 8:
        ax.set_xscale("log")
        _log_ticks(ax.xaxis)
        ax.set_xlim(min(xs) / 1.25, max(xs) * 1.6)
    ys = [p[2] for p in pts]
    ax.set_ylim(max(0.0, math.floor((min(ys) - 8) / 10) * 10), 103)
    _label_points(ax, [(p[0], p[1], p[2]) for p in pts])
    xlabel = (
        "task-model tokens per sample (answers + self-checks, input + output)"
        if what == "tokens"
        else "wall time per sample (s)"
    )
    ax.set_xlabel(xlabel + (", log scale" if ax.get_xscale() == "log" else ""))
    ax.set_ylabel("normalized score, total")
    n_tasks = report.normalized.counted.get("total", 0)
    ax.set_title(
        f"Normalized score vs {'tokens' if what == 'tokens' else 'runtime'} per sample "
        f"({len(report.methods)} methods, {n_tasks} task{'s' if n_tasks != 1 else ''})"
    )
    handles = []
    if any(p[3] == PAPER_COLOR for p in pts):  # the legend names only what is drawn
        handles.append(
            plt.Line2D([], [], marker="o", ls="", color=PAPER_COLOR, label="published (paper)")
        )
    if any(p[3] != PAPER_COLOR for p in pts):
        handles.append(
            plt.Line2D([], [], marker="*", ls="", ms=12, color=RUN_COLORS[0], label="stored run")
        )
    ax.legend(handles=handles, loc="lower right", frameon=False)
    missing = [
        m.key
        for m in report.methods
        if m.source == "paper"
        and what == "tokens"
        and m.paper
        and not paper_cost(m.paper)["tokens"]
    ]
    if missing:
        fig.text(
            0.01, -0.02, f"no published token count: {', '.join(missing)}", fontsize=8, color="gray"
        )
    return _png(fig)


def _label_points(ax: Any, pts: list[tuple[str, float, float]]) -> None:
    """Annotate points, trying positions around each until its label overlaps nothing."""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    Box = tuple[float, float, float, float]
    markers: list[Box] = []
    for _, x, y in pts:
        px, py = ax.transData.transform((x, y))
        markers.append((px - 9, py - 9, px + 9, py + 9))
    frame = ax.get_window_extent(renderer)
    candidates = [(7, 0), (-7, 0), (7, 11), (7, -11), (-7, 11), (-7, -11)]
    candidates += [(dx, dy) for dy in (22, -22, 33, -33, 44, -44, 55, -55) for dx in (7, -7)]
    placed: list[Box] = []

    def clash(b: Box, own: int) -> float:
        """Overlap area with other labels and markers, plus a penalty for leaving the axes."""
        out = 0.0
        if b[0] < frame.x0 - 30 or b[2] > frame.x1 + 150 or b[1] < frame.y0 or b[3] > frame.y1:
            out += 1e6
        for o in placed + [m for j, m in enumerate(markers) if j != own]:
            w = min(b[2], o[2]) - max(b[0], o[0])
            h = min(b[3], o[3]) - max(b[1], o[1])
            if w > 0 and h > 0:
                out += w * h
        return out

    for i in sorted(range(len(pts)), key=lambda i: -pts[i][2]):
        label, x, y = pts[i]
        best: tuple[float, int, int] | None = None
        for dx, dy in candidates:
            ann = _annotate(ax, label, x, y, dx, dy)
            bb = ann.get_window_extent(renderer)
            ann.remove()
            score = clash((bb.x0 - 2, bb.y0 - 1, bb.x1 + 2, bb.y1 + 1), i)
            if best is None or score < best[0]:
                best = (score, dx, dy)
            if score == 0:
                break
        assert best is not None
        ann = _annotate(ax, label, x, y, best[1], best[2])
        bb = ann.get_window_extent(renderer)
        placed.append((bb.x0 - 2, bb.y0 - 1, bb.x1 + 2, bb.y1 + 1))


def _annotate(ax: Any, label: str, x: float, y: float, dx: int, dy: int) -> Any:
    return ax.annotate(
        label,
        (x, y),
        xytext=(dx, dy),
        textcoords="offset points",
        fontsize=8,
        va="center",
        ha="left" if dx > 0 else "right",
        arrowprops={"arrowstyle": "-", "color": "0.55", "lw": 0.6} if dy else None,
    )


def _log_ticks(axis: Any) -> None:
    """Plain numbers (10, 20, 50, 1000) on a log axis instead of 2×10¹."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def _complexity(report: Report) -> bytes | None:
    runs = report.runs
    panels: list[tuple[str, list[tuple[int, list[tuple[int, float]]]]]] = []
    for t in report.tasks:
        lines = []
        for i, m in enumerate(runs):
            pts = sorted(
                (cx, c.metrics()["success"])
                for (task, cx), c in m.cells.items()
                if task == t and cx is not None and c.samples
            )
            if pts:
                lines.append((i, pts))
        if lines:
            panels.append((t, lines))
    if not panels:
        return None
    plt = _pyplot()
    ncols = min(4, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(3.4 * ncols, 2.5 * nrows + 1.0),
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    for k, (ax, (task, lines)) in enumerate(zip(axes.flat, panels, strict=False)):
        for i, pts in lines:
            xs, ys = zip(*pts, strict=True)
            ax.plot(xs, ys, marker="o", ms=4, color=_run_color(i), label=runs[i].key)
        ax.set_title(task, fontsize=9)
        ax.set_ylim(-5, 105)
        ax.set_xlim(0.5, 10.5)
        ax.set_xticks(range(1, 11))
        ax.tick_params(labelsize=8)
        if k % ncols == 0:
            ax.set_ylabel("success (%)")
        if k + ncols >= len(panels):  # the lowest panel of its column
            ax.set_xlabel("complexity")
    handles = [
        plt.Line2D([], [], color=_run_color(i), marker="o", label=m.key) for i, m in enumerate(runs)
    ]
    fig.suptitle("Success rate vs complexity, per task", fontsize=12)
    fig.legend(handles=handles, loc="outside lower center", ncol=min(4, len(runs)), frameon=False)
    return _png(fig)


def _rounds_modes(report: Report) -> bytes | None:
    """Two heat maps, task × run: mean rounds, and the share of answers that had code."""
    runs = report.runs
    if not runs:
        return None
    import numpy as np

    tasks = report.tasks
    per = {m.key: {t: m.task_cell(t).metrics() for t in tasks} for m in runs}
    nan = float("nan")

    def grid(key: str) -> Any:
        return np.array(
            [
                [(per[m.key][t][key] if per[m.key][t][key] is not None else nan) for m in runs]
                for t in tasks
            ]
        )

    rounds, code = grid("rounds"), grid("code_share")
    plt = _pyplot()
    cell_w = max(0.75, max(len(m.key) for m in runs) * 0.06)
    width = 2 * (0.6 + cell_w * len(runs)) + 2.6
    height = max(4.0, 1.6 + 0.3 * len(tasks))
    fig, (left, right) = plt.subplots(1, 2, figsize=(width, height), sharey=True)
    max_rounds = max(1.0, float(np.nanmax(rounds)) if np.isfinite(rounds).any() else 1.0)
    panels = (
        (left, rounds, "Blues", 0.0, max_rounds, "{:.1f}", "mean rounds (task-model answers)"),
        (right, code, "PuOr_r", 0.0, 100.0, "{:.0f}%", "answers with code (rest: text)"),
    )
    for ax, data, cmap, lo, hi, fmt, title in panels:
        ax.grid(False)
        im = ax.imshow(data, cmap=cmap, vmin=lo, vmax=hi, aspect="auto")
        for (r, c), v in np.ndenumerate(data):
            if np.isfinite(v):
                shade = (v - lo) / (hi - lo) if hi > lo else 0
                dark = shade > 0.6 if cmap == "Blues" else abs(shade - 0.5) > 0.3
                ax.text(
                    c,
                    r,
                    fmt.format(v),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if dark else "black",
                )
            else:
                ax.text(c, r, "?", ha="center", va="center", fontsize=7, color="0.5")
        ax.set_xticks(range(len(runs)))
        ax.set_xticklabels([m.key for m in runs], rotation=30, ha="right", fontsize=8)
        ax.set_title(title, fontsize=10)
        fig.colorbar(im, ax=ax, fraction=0.05, pad=0.02)
        for side in ("top", "right", "left", "bottom"):
            ax.spines[side].set_visible(False)
    left.set_yticks(range(len(tasks)))
    left.set_yticklabels(tasks, fontsize=8)
    fig.suptitle("Rounds and code/text answers per task", fontsize=12)
    fig.tight_layout()
    return _png(fig)


PLOTS = {
    "score_vs_tokens.png": lambda r: _score_vs(r, "tokens"),
    "score_vs_runtime.png": lambda r: _score_vs(r, "runtime"),
    "success_vs_complexity.png": _complexity,
    "rounds_and_modes.png": _rounds_modes,
}


def make_plots(report: Report) -> dict[str, bytes]:
    """PNG bytes per file name; pictures without data (e.g. no stored runs) are skipped."""
    out: dict[str, bytes] = {}
    for name, fn in PLOTS.items():
        png = fn(report)
        if png is not None:
            out[name] = png
    return out


def write_plots(report: Report, folder: Path, pngs: dict[str, bytes] | None = None) -> list[Path]:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create plot folder {folder}: {exc.strerror or exc}") from None
    written: list[Path] = []
    for name, png in (pngs if pngs is not None else make_plots(report)).items():
        path = folder / name
        try:
            path.write_bytes(png)
        except OSError as exc:
            raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
        written.append(path)
    return written
