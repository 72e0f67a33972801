"""Pictures are real images with content; the HTML page embeds them and nothing external."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from tests.reporting.conftest import Ep, StoreBuilder


def _check_png(path: Path, min_w: int = 600, min_h: int = 400) -> None:
    import matplotlib.image as mpimg

    assert path.stat().st_size > 10_000, path
    img = mpimg.imread(path)
    h, w = img.shape[:2]
    assert w >= min_w and h >= min_h, (path.name, w, h)
    rgb = img[..., :3]
    assert float(rgb.std()) > 0.05, f"{path.name} looks blank"
    # mostly white background with drawn content: a fair share of non-white pixels
    ink = float((rgb.mean(axis=2) < 0.9).mean())
    assert 0.01 < ink < 0.6, (path.name, ink)
    colours = {tuple(px) for px in (rgb[::7, ::7].reshape(-1, 3) * 255).astype(int)}
    assert len(colours) > 20, path.name


def _runs(builder: StoreBuilder) -> None:
    for name, method, skill, modes in (
        ("steer", "codesteer", 0.9, ("text", "code")),
        ("base", "only_question", 0.6, ("text",)),
    ):
        episodes = []
        for task in ("game24", "letters", "number_multiply"):
            for cx in (1, 4, 8):
                for i in range(4):
                    solved = i / 4 < skill - cx * 0.07
                    episodes.append(
                        Ep(task, cx * 10 + i, float(solved), complexity=cx, modes=modes)
                    )
        builder.run(name, method, episodes, guide="hf:x" if method == "codesteer" else None)


def test_plots_with_runs_and_paper(cli, builder: StoreBuilder, tmp_path: Path) -> None:
    _runs(builder)
    out = tmp_path / "plots" / "nested"
    r = cli("report", "--compare", "paper", "--plot", str(out))
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "rounds_and_modes.png",
        "score_vs_runtime.png",
        "score_vs_tokens.png",
        "success_vs_complexity.png",
    ]
    for p in out.iterdir():
        _check_png(p)


def test_paper_only_plots(cli, db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "p"
    r = cli("report", "--compare", "paper", "--plot", str(out))
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["score_vs_runtime.png", "score_vs_tokens.png"]
    for p in out.iterdir():
        _check_png(p)
    assert not db_path.exists()


def test_html_page_is_self_contained(cli, builder: StoreBuilder, tmp_path: Path) -> None:
    _runs(builder)
    page = tmp_path / "report.html"
    r = cli("report", "--compare", "o1,gpt-4o+codesteer", "--format", "html", "--out", str(page))
    assert r.exit_code == 0, r.output
    html = page.read_text()
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    imgs = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(imgs) == 4
    assert not re.search(r'(src|href)="(https?:)?//', html)
    for title in (
        "Success rate (%) by task",
        "Methods: normalized score",
        "Difference base − steer",
    ):
        assert title in html
    import base64
    import io

    import matplotlib.image as mpimg

    img = mpimg.imread(io.BytesIO(base64.b64decode(imgs[0])), format="png")
    assert float(np.asarray(img)[..., :3].std()) > 0.05


def test_score_vs_tokens_counts_self_check_tokens(builder: StoreBuilder) -> None:
    """The Self-answer Checker runs on the task model: its tokens are task-model tokens."""
    from codesteer_cli.reporting.model import build_report
    from codesteer_cli.reporting.plots import _points
    from codesteer_cli.reporting.queries import default_runs

    _runs(builder)
    store = builder.store
    report = build_report(store, default_runs(store), [])
    xs = {label: x for label, x, _, _, _ in _points(report, "tokens")}
    for m in report.methods:
        s = report.summary(m)
        assert xs[m.key] == s["task_tokens"] + s["checker_tokens"]
        assert s["checker_tokens"] > 0
