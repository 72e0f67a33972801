"""Publish a trained adapter as a small, self-describing guide folder (what `make guide`
commits): the adapter weights and config, the training summary, and `recipe.json`, which
names everything needed to make it again — the data's hash, the synthesis and training
runs' stored settings and summaries, the seeds, and the library versions.

    python -m codesteer_cli.training.publish ADAPTER_DIR GUIDE_DIR --data SFT.jsonl \
        --store STORE.db --run TRAIN_RUN --synthesis SYNTH_RUN [--first-action task]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from codesteer_cli.errors import UserError
from codesteer_cli.runs.host import versions
from codesteer_cli.synthesis.export import FIRST_ACTIONS
from codesteer_cli.training.pipeline import SUMMARY_FILE

FILES = ("adapter_config.json", "adapter_model.safetensors", SUMMARY_FILE)
RECIPE = "recipe.json"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _run(store: Any, ref: str) -> dict[str, Any]:
    from codesteer_cli.store import repo

    run = repo.get_run(store, ref)
    if run is None:
        raise UserError(f"no run {ref!r} in {store.display}")
    return {"name": run.name, "kind": run.kind, "config": run.config, "summary": run.summary}


def publish(
    adapter: Path,
    out: Path,
    data: Path,
    store_url: str,
    train_run: str,
    synthesis: list[str],
    first_action: str = "sample",
) -> Path:
    """Copy the adapter into `out` with its recipe; returns the recipe's path."""
    from codesteer_cli.store.db import open_store

    missing = [f for f in FILES if not (adapter / f).is_file()]
    if missing:
        raise UserError(f"{adapter} lacks {', '.join(missing)}: is it a LoRA training output?")
    if not data.is_file():
        raise UserError(f"no training data at {data}")
    store = open_store(store_url)
    training = _run(store, train_run)
    made_by = [_run(store, r) for r in synthesis]
    out.mkdir(parents=True, exist_ok=True)
    for f in FILES:
        shutil.copyfile(adapter / f, out / f)
    cfg = json.loads((out / "adapter_config.json").read_text())
    cfg["base_model_name_or_path"] = "local:smollm2"  # not this machine's cache path
    (out / "adapter_config.json").write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")
    recipe = {
        "use": f"--guide local:smollm2+{out}",
        "make": "make guide",
        "data": {"file": data.name, "sha256": sha256(data), "rows": _lines(data)},
        "export": {"first_action": first_action},
        "training_run": training,
        "synthesis_runs": made_by,
        "weights_sha256": sha256(out / "adapter_model.safetensors"),
        "versions": versions(),
        "python": sys.version.split()[0],
    }
    path = out / RECIPE
    path.write_text(json.dumps(recipe, indent=2, sort_keys=True, default=str) + "\n")
    return path


def _lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("adapter", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--store", required=True)
    ap.add_argument("--run", required=True, help="the training run's name")
    ap.add_argument("--synthesis", default="", help="synthesis runs (comma list)")
    ap.add_argument(
        "--first-action", default="sample", choices=FIRST_ACTIONS, help="the export's rule"
    )
    a = ap.parse_args(argv)
    try:
        synthesis = [s for s in a.synthesis.split(",") if s]
        path = publish(a.adapter, a.out, a.data, a.store, a.run, synthesis, a.first_action)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {a.out} ({path.name}: data sha256, runs, versions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
