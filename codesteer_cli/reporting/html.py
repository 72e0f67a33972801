"""One self-contained HTML page: the report's tables and its pictures (base64 PNG)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codesteer_cli.reporting.model import Report
    from codesteer_cli.reporting.render import TableSpec

_CSS = """
body { font-family: system-ui, -apple-system, Segoe UI, sans-serif; margin: 2rem auto;
       max-width: 1400px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { padding: 0.25rem 0.55rem; border-bottom: 1px solid #e4e4e4; white-space: nowrap; }
th { background: #f5f6f8; vertical-align: bottom; position: sticky; top: 0; }
td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; }
tr.rule td { border-bottom: 2px solid #999; }
td.best { font-weight: 700; color: #1a7f37; }
.caption { color: #555; font-size: 0.8rem; max-width: 70rem; }
.scroll { overflow-x: auto; }
figure { margin: 1.5rem 0; } figure img { max-width: 100%; border: 1px solid #eee; }
ul.notes { color: #444; font-size: 0.85rem; }
"""

TITLES = {
    "score_vs_tokens.png": "Normalized score vs task-model tokens per sample",
    "score_vs_runtime.png": "Normalized score vs wall time per sample",
    "success_vs_complexity.png": "Success rate vs complexity",
    "rounds_and_modes.png": "Rounds and code/text answers per task",
}


def _table(spec: TableSpec) -> str:
    head = "".join(
        f'<th class="{"r" if right else ""}">{escape(c).replace(chr(10), "<br>")}</th>'
        for c, right in zip(spec.columns, spec.right, strict=True)
    )
    body = []
    for r, row in enumerate(spec.rows):
        cls = ' class="rule"' if r in spec.sections and r != len(spec.rows) - 1 else ""
        cells = []
        for c, v in enumerate(row):
            classes = " ".join(
                x
                for x in ("r" if spec.right[c] else "", "best" if (r, c) in spec.bold else "")
                if x
            )
            cells.append(
                f'<td class="{classes}">{escape(v)}</td>' if classes else f"<td>{escape(v)}</td>"
            )
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    caption = f'<p class="caption">{escape(spec.caption)}</p>' if spec.caption else ""
    return (
        f'<h2>{escape(spec.title)}</h2>\n<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>{caption}"
    )


def render_html(report: Report, pngs: dict[str, bytes]) -> str:
    from codesteer_cli.reporting.render import table_specs

    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>codesteer report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>codesteer report</h1>",
        f'<p class="caption">{len(report.methods)} methods, {len(report.tasks)} tasks, '
        f"grouped by {escape(report.by)}; generated "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}</p>",
    ]
    parts += [_table(spec) for spec in table_specs(report)]
    if report.notes:
        parts.append('<h2>Notes</h2><ul class="notes">')
        parts += [f"<li>{escape(n)}</li>" for n in report.notes]
        parts.append("</ul>")
    if pngs:
        parts.append("<h2>Pictures</h2>")
    for name, png in pngs.items():
        data = base64.b64encode(png).decode("ascii")
        title = TITLES.get(name, name)
        parts.append(
            f'<figure><img alt="{escape(title)}" src="data:image/png;base64,{data}">'
            f'<figcaption class="caption">{escape(title)} ({escape(name)})</figcaption></figure>'
        )
    parts.append("</body></html>")
    return "\n".join(parts)
