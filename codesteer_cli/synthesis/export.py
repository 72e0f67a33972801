"""`synthesize export`: the stored SFT examples and DPO pairs as training files.

`--format trl` (JSONL, what `train sft`/`train dpo` read natively):
SFT rows: {"messages": [...], "weight": 1|2, "task", "sample_id", "turn"}; the last
message is the guide turn being taught; rows of weight 2 are written twice.
DPO rows: {"prompt": [... ending with a user message], "chosen": [{"role": "assistant",
"content": ...}], "rejected": [...], "task", "sample_id"}.

`--format llamafactory` (the original release's layout, see `training/llamafactory.py`):
SFT rows in alpaca with history, DPO rows in sharegpt ranking, the same extra keys
(LLaMA-Factory drops them), one JSON array per file (JSON lines when the name ends in
`.jsonl`), and a `dataset_info.json` beside the SFT file (else the DPO file) naming each
file as a dataset (its stem) with its columns; entries already in that file are kept.
`train sft`/`train dpo` read these files back to the same examples.

Both are deduplicated (an SFT conversation met twice keeps its highest weight), and a
share of the *samples* is held out for validation (`OUT.val.jsonl`): all rows of a
sample go to the same file, in SFT and DPO alike, chosen by a hash of the sample's
content so that the split is stable across exports.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from codesteer_cli.errors import UserError
from codesteer_cli.store import repo
from codesteer_cli.store.export import kept_pairs, runs_of_kinds, sft_examples
from codesteer_cli.store.models import RunRow

if TYPE_CHECKING:
    from codesteer_cli.store.db import Store
    from codesteer_cli.synthesis.kept import TaskAction

FORMATS = ("trl", "llamafactory")
DATASET_INFO = "dataset_info.json"
SFT_KIND = "synthesize-sft"
DPO_KIND = "synthesize-dpo"
SEARCH_KIND = "synthesize-search"  # gives both SFT examples and DPO pairs
SFT_KINDS = (SFT_KIND, SEARCH_KIND)
DPO_KINDS = (DPO_KIND, SEARCH_KIND)
FIRST_ACTIONS = ("sample", "task", "code", "text")  # --first-action: synthesis/kept.py


def val_path(path: Path) -> Path:
    """out.jsonl -> out.val.jsonl (the validation split's file)."""
    return (
        path.with_name(f"{path.stem}.val{path.suffix}")
        if path.suffix
        else path.with_name(f"{path.name}.val")
    )


@dataclass
class FileResult:
    path: Path
    rows: int = 0  # lines written (weight-2 SFT rows count twice)
    val_path: Path | None = None
    val_rows: int = 0
    examples: int = 0  # distinct examples / pairs before the split
    duplicates: int = 0  # dropped as already seen


@dataclass
class ExportResult:
    sft: FileResult | None = None
    dpo: FileResult | None = None
    samples: int = 0
    val_samples: int = 0
    runs: list[str] = field(default_factory=list)
    dataset_info: Path | None = None  # llamafactory: the dataset_info.json written
    datasets: list[str] = field(default_factory=list)  # llamafactory: its entries written
    task_actions: dict[str, TaskAction] = field(default_factory=dict)  # --first-action != sample


def select_runs(store: Store, refs: Sequence[str] | None, kinds: Sequence[str]) -> list[RunRow]:
    """The runs named (names or ids, each must be a synthesis run), or every synthesis
    run of `kinds` in the store."""
    if refs:
        out = []
        for ref in refs:
            run = repo.get_run(store, ref)
            if run is None:
                raise UserError(f"no run named or numbered {ref!r} (see codesteer runs list)")
            if run.kind not in (SFT_KIND, DPO_KIND, SEARCH_KIND):
                raise UserError(f"run {run.name!r} is a {run.kind} run, not a synthesis run")
            out.append(run)
        return [r for r in out if r.kind in kinds]
    return runs_of_kinds(store, kinds)


def sft_rows(
    store: Store, runs: list[RunRow], first_action: str = "sample"
) -> tuple[list[tuple[str, dict[str, Any]]], int, dict[str, TaskAction]]:
    """Distinct SFT rows (content hash of the sample, row), the number of duplicates, and
    under `first_action` "task", "code" or "text" each task's first action (`synthesis/kept.py`)."""
    if not runs:
        return [], 0, {}
    actions: dict[str, TaskAction] = {}
    if first_action != "sample":
        other = [r.name for r in runs if r.kind != SEARCH_KIND]
        if other:
            raise UserError(
                f"--first-action {first_action} applies to search-teacher runs only; "
                f"{other[0]!r} is not one (choose the runs with --runs)"
            )
        from codesteer_cli.synthesis.kept import task_examples

        got, actions = task_examples(store, runs, None if first_action == "task" else first_action)
    else:
        got = sft_examples(store, [r.id for r in runs])  # type: ignore[misc]
    seen: dict[str, tuple[str, dict[str, Any]]] = {}
    dup = 0
    for ex, h in got:
        key = json.dumps(ex.messages, sort_keys=True, ensure_ascii=False)
        row = {
            "messages": [{"role": m["role"], "content": m["content"]} for m in ex.messages],
            "weight": int(ex.weight),
            "task": ex.task,
            "sample_id": int(ex.sample_id),
            "turn": int(ex.turn),
        }
        if key in seen:
            dup += 1
            seen[key][1]["weight"] = max(seen[key][1]["weight"], row["weight"])
        else:
            seen[key] = (h, row)
    return list(seen.values()), dup, actions


def dpo_rows(store: Store, run_ids: list[int]) -> tuple[list[tuple[str, dict[str, Any]]], int]:
    """Distinct kept DPO pairs (content hash of the sample, row) and duplicates dropped."""
    if not run_ids:
        return [], 0
    got = kept_pairs(store, run_ids)
    seen: dict[str, tuple[str, dict[str, Any]]] = {}
    dup = 0
    for pair, c, r, h in got:
        row = {
            "prompt": [{"role": m["role"], "content": m["content"]} for m in c.prompt],
            "chosen": [{"role": "assistant", "content": c.guidance or ""}],
            "rejected": [{"role": "assistant", "content": r.guidance or ""}],
            "task": pair.task,
            "sample_id": int(pair.sample_id),
        }
        key = json.dumps([row["prompt"], row["chosen"], row["rejected"]], ensure_ascii=False)
        if key in seen:
            dup += 1
        else:
            seen[key] = (h, row)
    return list(seen.values()), dup


def split_samples(hashes: set[str], fraction: float, seed: int = 0) -> set[str]:
    """The samples (content hashes) held out: round(fraction * n) of them, at least one
    when fraction > 0 and there are two or more, never all; chosen by a seeded hash."""
    n = len(hashes)
    if fraction <= 0 or n < 2:
        return set()
    k = min(n - 1, max(1, round(fraction * n)))
    order = sorted(hashes, key=lambda h: hashlib.sha256(f"{seed}:{h}".encode()).hexdigest())
    return set(order[:k])


def _atomic(path: Path, write: Callable[[TextIO], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as fh:
        write(fh)
    tmp.replace(path)


def _repeat(rows: list[dict[str, Any]], sft: bool) -> list[dict[str, Any]]:
    """SFT rows of weight w appear w times."""
    return [r for r in rows for _ in range(r["weight"] if sft else 1)]


def _write(path: Path, rows: list[dict[str, Any]], sft: bool) -> int:
    """Write rows as JSONL atomically; SFT rows of weight w are written w times."""
    out = _repeat(rows, sft)

    def write(fh: TextIO) -> None:
        for row in out:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    _atomic(path, write)
    return len(out)


def llamafactory_row(row: dict[str, Any], sft: bool) -> dict[str, Any]:
    """One of our rows in LLaMA-Factory's layout: alpaca with history (SFT) or sharegpt
    ranking (DPO), our extra keys after it."""
    from codesteer_cli.training import llamafactory as lf

    where = f"sample {row['sample_id']}" + (f", turn {row['turn']}" if sft else "")
    if sft:
        out = lf.to_alpaca(row["messages"], where)
        extra = ("weight", "task", "sample_id", "turn")
    else:
        out = lf.to_sharegpt_pair(row["prompt"], row["chosen"][0], row["rejected"][0], where)
        extra = ("task", "sample_id")
    return {**out, **{k: row[k] for k in extra}}


def _write_llamafactory(path: Path, rows: list[dict[str, Any]], sft: bool) -> int:
    """Write rows in LLaMA-Factory's layout: a JSON array, or JSON lines for `.jsonl`."""
    out = [llamafactory_row(r, sft) for r in _repeat(rows, sft)]
    if sft and _with_system(rows):
        out = [{**r, "system": r.get("system", "")} for r in out]  # one column for all

    def write(fh: TextIO) -> None:
        if path.suffix == ".jsonl":
            fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in out)
        else:
            json.dump(out, fh, ensure_ascii=False, indent=2)
            fh.write("\n")

    _atomic(path, write)
    return len(out)


def _with_system(rows: list[dict[str, Any]]) -> bool:
    """Whether any SFT conversation has a system prompt (then the alpaca files carry a
    `system` column)."""
    return any(r["messages"][0]["role"] == "system" and r["messages"][0]["content"] for r in rows)


def write_dataset_info(
    folder: Path, files: list[tuple[Path, bool, bool]], stale: list[Path]
) -> tuple[Path, list[str]]:
    """Add (or replace) an entry per written (file, is SFT, has a system column), named by
    its stem, in
    `folder/dataset_info.json`; entries of `stale` files (removed splits) are dropped, the
    others kept. File names are relative to `folder` when inside it."""
    from codesteer_cli.training import llamafactory as lf

    info_path = folder / DATASET_INFO
    info: dict[str, Any] = {}
    if info_path.exists():
        try:
            info = json.loads(info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UserError(f"{info_path} exists but is not readable JSON ({exc})") from None
        if not isinstance(info, dict):
            raise UserError(f"{info_path} exists but is not a JSON object of datasets")

    root = folder.resolve()

    def file_name(p: Path) -> str:
        p = p.resolve()
        return str(p.relative_to(root)) if p.is_relative_to(root) else str(p)

    for p in stale:
        entry = info.get(p.stem)
        if isinstance(entry, dict) and entry.get("file_name") == file_name(p):
            del info[p.stem]
    names = []
    for p, sft, system in files:
        fn = file_name(p)
        info[p.stem] = lf.sft_info(fn, system) if sft else lf.dpo_info(fn)
        names.append(p.stem)
    _atomic(info_path, lambda fh: fh.write(json.dumps(info, indent=2, ensure_ascii=False) + "\n"))
    return info_path, names


def export(
    store: Store,
    sft: Path | None = None,
    dpo: Path | None = None,
    fmt: str = "trl",
    val_fraction: float = 0.05,
    runs: Sequence[str] | None = None,
    seed: int = 0,
    first_action: str = "sample",
) -> ExportResult:
    """Write the SFT and/or DPO files (and their `.val` splits)."""
    if first_action not in FIRST_ACTIONS:
        raise UserError(
            f"unknown --first-action {first_action!r}; choose {', '.join(FIRST_ACTIONS)}"
        )
    if sft is None and dpo is None:
        raise UserError("nothing to export: give --sft FILE and/or --dpo FILE")
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}; supported: {', '.join(FORMATS)}")
    if not 0 <= val_fraction < 1:
        raise UserError(f"--val-fraction must be at least 0 and below 1, got {val_fraction:g}")
    for p in (sft, dpo):
        if p is not None and p.exists() and p.is_dir():
            raise UserError(f"{p} is a folder; give a file name such as {p / 'data.jsonl'}")
    if sft is not None and dpo is not None and sft.resolve() == dpo.resolve():
        raise UserError("--sft and --dpo must be different files")
    lf = fmt == "llamafactory"
    if lf and sft is not None and dpo is not None and sft.stem == dpo.stem:
        raise UserError(
            f"--sft {sft.name} and --dpo {dpo.name} would both be dataset {sft.stem!r} in "
            f"{DATASET_INFO}; give them different names"
        )
    wanted = [*(SFT_KINDS if sft else ()), *(DPO_KINDS if dpo else ())]
    chosen = select_runs(store, runs, wanted)
    res = ExportResult(runs=[r.name for r in chosen])
    s_rows, s_dup, res.task_actions = sft_rows(
        store, [r for r in chosen if r.kind in SFT_KINDS] if sft else [], first_action
    )
    d_rows, d_dup = dpo_rows(store, [r.id for r in chosen if r.kind in DPO_KINDS])  # type: ignore[misc]
    for path, rows, kinds, kind, what in (
        (sft, s_rows, SFT_KINDS, SFT_KIND, "SFT examples (no correct trajectory was kept)"),
        (dpo, d_rows, DPO_KINDS, DPO_KIND, "DPO pairs (every sibling pair was rejected)"),
    ):
        if path is not None and not rows:
            if not any(r.kind in kinds for r in chosen):
                which = "sft" if kind == SFT_KIND else "dpo"
                raise UserError(f"no {kind} runs to export (codesteer synthesize {which})")
            raise UserError(f"no {what}; see codesteer synthesize stats")
    hashes = {h for h, _ in s_rows} if sft else set()
    hashes |= {h for h, _ in d_rows} if dpo else set()
    held = split_samples(hashes, val_fraction, seed)
    for rows in (s_rows if sft else [], d_rows if dpo else []):
        mine = [h for h, _ in rows]
        if mine and all(h in held for h in mine):  # keep a file's training part non-empty
            held.discard(mine[0])
    res.samples, res.val_samples = len(hashes), len(held)
    write = _write_llamafactory if lf else _write
    if lf:  # a conversation LLaMA-Factory cannot hold fails before any file is written
        for rows, is_sft in ((s_rows if sft else [], True), (d_rows if dpo else [], False)):
            for _, r in rows:
                llamafactory_row(r, is_sft)
    written: list[tuple[Path, bool, bool]] = []
    stale: list[Path] = []
    for path, rows, dup, is_sft in ((sft, s_rows, s_dup, True), (dpo, d_rows, d_dup, False)):
        if path is None:
            continue
        fr = FileResult(path, examples=len(rows), duplicates=dup)
        train = [r for h, r in rows if h not in held]
        fr.rows = write(path, train, is_sft)
        written.append((path, is_sft, is_sft and _with_system(train)))
        vp = val_path(path)
        val = [r for h, r in rows if h in held]
        if val:
            fr.val_path, fr.val_rows = vp, write(vp, val, is_sft)
            written.append((vp, is_sft, is_sft and _with_system(val)))
        else:
            if vp.exists():  # a stale split from an earlier export would leak samples
                vp.unlink()
            stale.append(vp)
        if is_sft:
            res.sft = fr
        else:
            res.dpo = fr
    if lf:
        folder = (sft if sft is not None else dpo).parent  # type: ignore[union-attr]
        res.dataset_info, res.datasets = write_dataset_info(folder, written, stale)
    return res
