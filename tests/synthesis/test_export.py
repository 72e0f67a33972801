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


# --- --format llamafactory ------------------------------------------------------------


def original_dataset_info() -> dict:
    """The original release's data/dataset_info.json (LLaMA-Factory's, with CodeSteer's)."""
    import os

    root = Path(__file__).resolve().parents[2].parent / "shared" / "original-release"
    path = Path(os.environ.get("CODESTEER_ORIGINAL_RELEASE", root)) / "data" / "dataset_info.json"
    if not path.is_file():
        pytest.fail(f"the original release's {path} is missing (set CODESTEER_ORIGINAL_RELEASE)")
    return json.loads(path.read_text())


def test_llamafactory_files_dataset_info_and_the_same_examples(
    store: Store, tmp_path: Path
) -> None:
    from codesteer_cli.training.data import read_dpo, read_sft

    trl = export(store, tmp_path / "trl" / "sft.jsonl", tmp_path / "trl" / "pairs.jsonl", "trl",
                 val_fraction=0.25)  # fmt: skip
    lf_dir = tmp_path / "lf"
    sft, dpo = lf_dir / "CodeSteer_SFT.json", lf_dir / "CodeSteer_DPO.json"
    res = export(store, sft, dpo, "llamafactory", val_fraction=0.25)
    assert (res.sft.rows, res.sft.val_rows) == (trl.sft.rows, trl.sft.val_rows)  # type: ignore[union-attr]
    assert (res.dpo.rows, res.dpo.val_rows) == (trl.dpo.rows, trl.dpo.val_rows)  # type: ignore[union-attr]
    # one JSON array per file, alpaca with history / sharegpt ranking
    rows = json.loads(sft.read_text())
    assert isinstance(rows, list) and len(rows) == res.sft.rows  # type: ignore[union-attr]
    assert {"instruction", "input", "output", "history"} <= set(rows[0])
    assert any(r["history"] for r in rows) and all(r["input"] == "" for r in rows)
    assert all(len(pair) == 2 for r in rows for pair in r["history"])
    pairs = json.loads(dpo.read_text())
    assert pairs[0]["conversations"][-1]["from"] == "human"
    assert pairs[0]["chosen"]["from"] == pairs[0]["rejected"]["from"] == "gpt"
    # the training loaders read back exactly the examples of our own JSONL, in order
    for ours, theirs, fmt in (
        (trl.sft.path, sft, "alpaca"),  # type: ignore[union-attr]
        (trl.sft.val_path, res.sft.val_path, "alpaca"),  # type: ignore[union-attr]
    ):
        a, _ = read_sft(ours)
        b, got = read_sft(theirs)
        assert got == fmt and [e.messages for e in a] == [e.messages for e in b]
        assert [(e.task, e.weight) for e in a] == [(e.task, e.weight) for e in b]
    a_pairs, _ = read_dpo(trl.dpo.path)  # type: ignore[union-attr]
    b_pairs, got = read_dpo(dpo)
    assert got == "sharegpt"
    assert [(p.prompt, p.chosen, p.rejected) for p in a_pairs] == [
        (p.prompt, p.chosen, p.rejected) for p in b_pairs
    ]
    # dataset_info.json beside the SFT file, one dataset per file, columns as the original's
    assert res.dataset_info == lf_dir / "dataset_info.json"
    info = json.loads(res.dataset_info.read_text())
    names = ["CodeSteer_SFT", "CodeSteer_SFT.val", "CodeSteer_DPO"]
    names += ["CodeSteer_DPO.val"] if res.dpo.val_path else []  # type: ignore[union-attr]
    assert sorted(info) == sorted(res.datasets) == sorted(names)
    assert info["CodeSteer_SFT"]["file_name"] == "CodeSteer_SFT.json"
    assert info["CodeSteer_SFT.val"]["file_name"] == "CodeSteer_SFT.val.json"
    original = original_dataset_info()
    theirs_sft = original["CodeSteer_SFT_dataset_total_1"]
    assert info["CodeSteer_SFT"].get("formatting", "alpaca") == "alpaca"
    assert theirs_sft["columns"].items() <= info["CodeSteer_SFT"]["columns"].items()
    assert not info["CodeSteer_SFT"].get("ranking", False)
    theirs_dpo = original["dpo_en_demo"]
    for key in ("formatting", "ranking", "columns"):
        assert info["CodeSteer_DPO"][key] == theirs_dpo[key], key
    # `datasets` loads every file (LLaMA-Factory reads .json through it)
    for name, entry in info.items():
        ds = _load(lf_dir / entry["file_name"], tmp_path / "hf")
        assert len(ds) == len(json.loads((lf_dir / entry["file_name"]).read_text())), name


def test_llamafactory_keeps_other_datasets_and_drops_a_stale_split(
    store: Store, tmp_path: Path
) -> None:
    info_path = tmp_path / "dataset_info.json"
    info_path.write_text(json.dumps({"alpaca_en_demo": {"file_name": "alpaca_en_demo.json"}}))
    export(store, sft=tmp_path / "sft.json", fmt="llamafactory", val_fraction=0.25)
    assert set(json.loads(info_path.read_text())) == {"alpaca_en_demo", "sft", "sft.val"}
    res = export(store, sft=tmp_path / "sft.json", fmt="llamafactory", val_fraction=0)
    assert set(json.loads(info_path.read_text())) == {"alpaca_en_demo", "sft"}
    assert res.datasets == ["sft"] and not (tmp_path / "sft.val.json").exists()
    # a .jsonl name gives JSON lines, and its entry names it
    res = export(store, dpo=tmp_path / "sub" / "pairs.jsonl", fmt="llamafactory", val_fraction=0)
    lines = _lines(tmp_path / "sub" / "pairs.jsonl")
    assert len(lines) == res.dpo.rows and "conversations" in lines[0]  # type: ignore[union-attr]
    sub_info = json.loads((tmp_path / "sub" / "dataset_info.json").read_text())
    assert sub_info["pairs"]["file_name"] == "pairs.jsonl"
    with pytest.raises(UserError, match="both be dataset 'x'"):
        export(store, tmp_path / "x.json", tmp_path / "x.jsonl", "llamafactory")
    info_path.write_text("[1, 2]")
    with pytest.raises(UserError, match="not a JSON object of datasets"):
        export(store, sft=tmp_path / "sft.json", fmt="llamafactory")


def test_llamafactory_rows_hold_a_system_prompt_as_a_column() -> None:
    from codesteer_cli.synthesis.export import llamafactory_row
    from codesteer_cli.training.llamafactory import alpaca_sft, sharegpt_pair

    msgs = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "q2"},
        {"role": "assistant", "content": "a2"},
    ]
    row = llamafactory_row({"messages": msgs, "weight": 1, "task": "t", "sample_id": 1,
                            "turn": 1}, sft=True)  # fmt: skip
    assert row["system"] == "S" and row["history"] == [["q1", "a1"]]
    assert (row["instruction"], row["output"]) == ("q2", "a2")
    assert alpaca_sft("x", row) == msgs
    chosen = {"role": "assistant", "content": "c"}
    rejected = {"role": "assistant", "content": "r"}
    pair = {"prompt": msgs[:4], "chosen": [chosen], "rejected": [rejected], "task": "t",
            "sample_id": 1}  # fmt: skip
    out = llamafactory_row(pair, sft=False)
    assert out["conversations"][0] == {"from": "system", "value": "S"}
    assert sharegpt_pair("x", out) == (msgs[:4], chosen, rejected)
    with pytest.raises(UserError, match="turn 1 is 'user'"):
        llamafactory_row({**pair, "prompt": [msgs[1], msgs[3]]}, sft=False)
