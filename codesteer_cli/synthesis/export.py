"""`synthesize export`: the stored SFT examples and DPO pairs as TRL conversational JSONL.

SFT rows: {"messages": [...], "weight": 1|2, "task", "sample_id", "turn"}; the last
message is the guide turn being taught; rows of weight 2 are written twice.
DPO rows: {"prompt": [... ending with a user message], "chosen": [{"role": "assistant",
"content": ...}], "rejected": [...], "task", "sample_id"}.
Both are deduplicated (an SFT conversation met twice keeps its highest weight), and a
share of the *samples* is held out for validation (`OUT.val.jsonl`): all rows of a
sample go to the same file, in SFT and DPO alike, chosen by a hash of the sample's
content so that the split is stable across exports.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import aliased
from sqlmodel import select

from codesteer_cli.errors import UserError
from codesteer_cli.store import repo
from codesteer_cli.store.models import DPONodeRow, DPOPairRow, RunRow, SampleRow, SFTExampleRow

if TYPE_CHECKING:
    from codesteer_cli.store.db import Store

FORMATS = ("trl",)
SFT_KIND = "synthesize-sft"
DPO_KIND = "synthesize-dpo"
SEARCH_KIND = "synthesize-search"  # gives both SFT examples and DPO pairs
SFT_KINDS = (SFT_KIND, SEARCH_KIND)
DPO_KINDS = (DPO_KIND, SEARCH_KIND)


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
    with store.read() as s:
        return list(
            s.exec(select(RunRow).where(RunRow.kind.in_(list(kinds))).order_by(RunRow.id)).all()  # type: ignore[attr-defined,arg-type]
        )


def sft_rows(store: Store, run_ids: list[int]) -> tuple[list[tuple[str, dict[str, Any]]], int]:
    """Distinct SFT rows (content hash of the sample, row) and the number of duplicates."""
    if not run_ids:
        return [], 0
    with store.read() as s:
        got = s.exec(
            select(SFTExampleRow, SampleRow.content_hash)
            .join(SampleRow, SampleRow.id == SFTExampleRow.sample_id)  # type: ignore[arg-type]
            .where(SFTExampleRow.run_id.in_(run_ids))  # type: ignore[attr-defined]
            .order_by(SFTExampleRow.id)  # type: ignore[arg-type]
        ).all()
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
    return list(seen.values()), dup


def dpo_rows(store: Store, run_ids: list[int]) -> tuple[list[tuple[str, dict[str, Any]]], int]:
    """Distinct kept DPO pairs (content hash of the sample, row) and duplicates dropped."""
    if not run_ids:
        return [], 0
    chosen, rejected = aliased(DPONodeRow), aliased(DPONodeRow)
    with store.read() as s:
        got = s.exec(
            select(DPOPairRow, chosen, rejected, SampleRow.content_hash)
            .join(chosen, chosen.id == DPOPairRow.chosen_id)  # type: ignore[arg-type]
            .join(rejected, rejected.id == DPOPairRow.rejected_id)  # type: ignore[arg-type]
            .join(SampleRow, SampleRow.id == DPOPairRow.sample_id)  # type: ignore[arg-type]
            .where(DPOPairRow.run_id.in_(run_ids), DPOPairRow.kept)  # type: ignore[attr-defined,arg-type]
            .order_by(DPOPairRow.id)  # type: ignore[arg-type]
        ).all()
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


def _write(path: Path, rows: list[dict[str, Any]], sft: bool) -> int:
    """Write rows as JSONL atomically; SFT rows of weight w are written w times."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    n = 0
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            line = json.dumps(row, ensure_ascii=False) + "\n"
            for _ in range(row["weight"] if sft else 1):
                fh.write(line)
                n += 1
    tmp.replace(path)
    return n


def export(
    store: Store,
    sft: Path | None = None,
    dpo: Path | None = None,
    fmt: str = "trl",
    val_fraction: float = 0.05,
    runs: Sequence[str] | None = None,
    seed: int = 0,
) -> ExportResult:
    """Write the SFT and/or DPO files (and their `.val` splits)."""
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
    wanted = [*(SFT_KINDS if sft else ()), *(DPO_KINDS if dpo else ())]
    chosen = select_runs(store, runs, wanted)
    res = ExportResult(runs=[r.name for r in chosen])
    s_rows, s_dup = sft_rows(store, [r.id for r in chosen if r.kind in SFT_KINDS])  # type: ignore[misc]
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
    for path, rows, dup, is_sft in ((sft, s_rows, s_dup, True), (dpo, d_rows, d_dup, False)):
        if path is None:
            continue
        fr = FileResult(path, examples=len(rows), duplicates=dup)
        fr.rows = _write(path, [r for h, r in rows if h not in held], is_sft)
        vp = val_path(path)
        val = [r for h, r in rows if h in held]
        if val:
            fr.val_path, fr.val_rows = vp, _write(vp, val, is_sft)
        elif vp.exists():  # a stale split from an earlier export would leak samples
            vp.unlink()
        if is_sft:
            res.sft = fr
        else:
            res.dpo = fr
    return res
