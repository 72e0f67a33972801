"""`synthesize export`: TRL conversational JSONL that `datasets` loads with exactly the
agreed columns, deduplicated, with a validation split by sample."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from codesteer_cli.errors import UserError
from codesteer_cli.sandbox.executor import Executor, Limits
from codesteer_cli.store.db import Store
from codesteer_cli.synthesis.export import export, split_samples, val_path
from tests.synthesis.helpers import FAST_WRONG_TREE, AnswerBook, grow, new_store, synthesize

SFT_COLUMNS = {"messages", "weight", "task", "sample_id", "turn"}
DPO_COLUMNS = {"prompt", "chosen", "rejected", "task", "sample_id"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """One SFT run (4 samples x 3 variants, all correct) and one DPO run (3 trees, 2
    kept pairs each) over the same training samples."""
    store = new_store(tmp_path_factory.mktemp("export") / "s.db")
    executor = Executor(Limits(wall_s=10), workers=2)
    synthesize(store, executor, AnswerBook(), name="sft-1", per_task=4)
    grow(store, executor, FAST_WRONG_TREE, per_task=3)
    return store


def _load(path: Path, cache: Path):  # type: ignore[no-untyped-def]
    from datasets import load_dataset

    return load_dataset("json", data_files=str(path), split="train", cache_dir=str(cache))


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_files_load_with_datasets_and_have_exactly_the_columns(
    store: Store, tmp_path: Path
) -> None:
    sft, dpo = tmp_path / "out.jsonl", tmp_path / "pairs.jsonl"
    res = export(store, sft, dpo, val_fraction=0.25)
    assert res.samples == 4 and res.val_samples == 1
    assert val_path(sft) == tmp_path / "out.val.jsonl" and res.sft.val_path == val_path(sft)  # type: ignore[union-attr]
    for path, cols in ((sft, SFT_COLUMNS), (val_path(sft), SFT_COLUMNS)):
        ds = _load(path, tmp_path / "hf")
        assert set(ds.column_names) == cols
        row = ds[0]
        assert row["messages"][-1]["role"] == "assistant" and row["messages"][0]["role"] == "user"
        assert set(row["messages"][0]) == {"role", "content"}
        assert row["weight"] in (1, 2) and isinstance(row["sample_id"], int)
    dpo_files = [dpo, *([val_path(dpo)] if res.dpo.val_path else [])]  # type: ignore[union-attr]
    for path in dpo_files:
        ds = _load(path, tmp_path / "hf")
        assert set(ds.column_names) == DPO_COLUMNS
        for row in ds:
            assert row["prompt"][-1]["role"] == "user"
            assert [m["role"] for m in row["chosen"]] == ["assistant"]
            assert [m["role"] for m in row["rejected"]] == ["assistant"]
    # every distinct example once per unit of weight. Per sample: 2 + 3 + 3 examples,
    # but the first turn of `free` and of `more_code` is the same conversation (the
    # variant lives in the teacher's system prompt, which examples leave out): kept once,
    # with the higher weight (2: it is one of free's final two turns)
    train, val = _lines(sft), _lines(val_path(sft))
    counts = Counter(json.dumps(r, sort_keys=True) for r in train + val)
    assert all(n == json.loads(k)["weight"] for k, n in counts.items())
    assert len(counts) == 4 * 7 and res.sft.duplicates == 4  # type: ignore[union-attr]
    assert res.sft.rows + res.sft.val_rows == 4 * (2 + 2 + 5 + 2 + 2)  # type: ignore[union-attr]
    # the fast wrong return is never chosen
    pairs = [p for f in dpo_files for p in _lines(f)]
    assert len(pairs) == 3 * 2
    assert all(p["rejected"][0]["content"] != "<<<Code>>>" for p in pairs)
    assert sum(p["chosen"][0]["content"] == "<<<Code>>>" for p in pairs) == 3
    # no sample in both splits, in either file
    train_ids = {r["sample_id"] for r in train + _lines(dpo)}
    val_ids = {r["sample_id"] for r in val + [p for f in dpo_files[1:] for p in _lines(f)]}
    assert train_ids and val_ids and not train_ids & val_ids
    # the training helper's loaders read them too
    from codesteer_cli.training.data import load_dpo, load_sft

    assert len(load_sft(sft)) == len(train) and len(load_dpo(dpo)) == len(_lines(dpo))


def test_duplicates_are_dropped(store: Store, tmp_path: Path) -> None:
    # a second SFT run over the same samples (answers from the cache): same examples
    synthesize(store, Executor(Limits(wall_s=10)), AnswerBook(), name="sft-2", per_task=4)
    one = export(store, sft=tmp_path / "a.jsonl", val_fraction=0, runs=["sft-1"])
    both = export(store, sft=tmp_path / "b.jsonl", val_fraction=0)
    assert one.sft.examples + one.sft.duplicates == 4 * 8  # all of run sft-1
    assert both.sft.duplicates == one.sft.duplicates + 4 * 8  # + all of run sft-2  # type: ignore[union-attr]
    assert (tmp_path / "a.jsonl").read_text() == (tmp_path / "b.jsonl").read_text()
    assert not val_path(tmp_path / "a.jsonl").exists()


def test_the_split_is_stable_and_never_takes_everything() -> None:
    hashes = {f"{i:064x}" for i in range(40)}
    held = split_samples(hashes, 0.05)
    assert len(held) == 2 and held == split_samples(hashes, 0.05)
    assert held != split_samples(hashes, 0.05, seed=1)
    assert split_samples({"a"}, 0.5) == set() and len(split_samples({"a", "b"}, 0.9)) == 1


def test_bad_requests(store: Store, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="nothing to export"):
        export(store)
    with pytest.raises(UserError, match="unknown format"):
        export(store, sft=tmp_path / "x.jsonl", fmt="alpaca")
    with pytest.raises(UserError, match="val-fraction"):
        export(store, sft=tmp_path / "x.jsonl", val_fraction=1.0)
    with pytest.raises(UserError, match="is a folder"):
        export(store, sft=tmp_path)
    with pytest.raises(UserError, match="no run named"):
        export(store, sft=tmp_path / "x.jsonl", runs=["nope"])
    with pytest.raises(UserError, match="no synthesize-dpo runs"):
        export(new_store(tmp_path / "empty.db"), dpo=tmp_path / "x.jsonl")
