"""Importing the original release in every layout it uses: flat `set/sample_N/`, a folder
per complexity level (`set/complexity_3/sample_N/`, any depth), and further sets named
`*_2`, `*_hard`, `*_SFT`. Trees are built in tmp_path from the reference samples."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from codesteer_cli.generation import import_original
from symbench.core import (
    get_task,
    import_release,
    sample_dirs,
    set_split,
    set_variants,
    stated_complexity,
)
from tests.conftest import reference_root

# (folder in the reference release, sample, where it goes in the nested tree, level stated)
TREE = [
    ("eight_queens_dataset", "sample_0", "eight_queens_dataset/complexity_1/sample_0", 1),
    ("eight_queens_dataset", "sample_1", "eight_queens_dataset/complexity_1/sample_1", 1),
    ("eight_queens_dataset", "sample_2", "eight_queens_dataset/complexity_2/sample_0", 2),
    ("new_operator_dataset", "sample_1", "new_operator_dataset_hard/level_3/sample_0", 3),
    ("new_operator_dataset", "sample_3", "new_operator_dataset_hard/level_3/sample_1", 3),
    ("cryptanalysis", "sample_0", "cryptanalysis_SFT/complexity_4/sample_0", 4),
    ("reversi_dataset", "sample_0", "reversi_dataset_2/sample_0", None),
    ("logic_puzzle_dataset", "sample_0", "logic_puzzle_dataset/part_a/complexity_5/sample_0", 5),
    ("logic_puzzle_dataset", "sample_1", "logic_puzzle_dataset/part_b/sample_0", None),
]


def build_tree(root: Path) -> Path:
    ref = reference_root()
    for folder, sample, dest, _ in TREE:
        shutil.copytree(ref / folder / sample, root / dest)
    return root


def test_sample_dirs_reads_any_nesting(tmp_path: Path) -> None:
    base = tmp_path / "set"
    for rel in ("sample_10", "sample_2", "complexity_2/sample_1", "complexity_10/sample_0"):
        (base / rel).mkdir(parents=True)
        (base / rel / "question.txt").write_text("q")
    (base / "empty").mkdir()  # an empty folder is a sample: reading it fails loudly
    found = [p.relative_to(base).as_posix() for p in sample_dirs(base)]
    assert found == [
        "complexity_2/sample_1",
        "complexity_10/sample_0",
        "empty",
        "sample_2",
        "sample_10",
    ]


@pytest.mark.parametrize(
    ("origin", "level"),
    [
        ("eight_queens_dataset/complexity_3/sample_0", 3),
        ("x/Level-7/sample_0", 7),
        ("x/difficulty2/sample_0", 2),
        ("x/complexity_2/complexity_4/sample_0", 4),  # the innermost folder wins
        ("x/set_level_5/sample_0", 5),
        ("x/complexity_12/sample_0", None),  # not on our 1-10 scale
        ("eight_queens_dataset/sample_3", None),
        ("x/sample_complexity_3", None),  # the sample's own name is not a level folder
        ("Letters/Letters_dataset_min_length_10_max_length_15/a_1_0", None),
        ("number_multiply/digit_1_2_4/sample_0", None),
    ],
)
def test_stated_complexity(origin: str, level: int | None) -> None:
    assert stated_complexity(origin) == level


def test_set_variants_and_their_split(tmp_path: Path) -> None:
    for name in (
        "eight_queens_dataset",
        "eight_queens_dataset_2",
        "eight_queens_dataset_hard",
        "eight_queens_SFT",
        "eight_queens_hard_dataset",
        "eight_queens_dataset_copy",  # not a release suffix
        "new_operator_dataset_SFT",
    ):
        (tmp_path / name).mkdir()
    assert set_variants(tmp_path, "eight_queens_dataset") == [
        "eight_queens_SFT",
        "eight_queens_dataset_2",
        "eight_queens_dataset_hard",
        "eight_queens_hard_dataset",
    ]
    assert set_variants(tmp_path, "BIG-Bench-Hard/bbh/navigate.json") == []
    assert set_split("cryptanalysis_SFT") == "train"
    assert set_split("eight_queens_dataset_hard") == set_split("x_2") == "test"


def test_a_nested_tree_imports_verifies_and_records_complexity(tmp_path: Path) -> None:
    root = build_tree(tmp_path / "release")
    tasks = [get_task(t) for t in ("eight_queens", "new_operator", "cryptanalysis")]
    tasks += [get_task("reversi"), get_task("logic_puzzle")]
    results = {r.task: r for r in import_original(root, tasks, check=True)}
    assert set(results) == {t.id for t in tasks}
    for res in results.values():
        assert res.ok and not res.known_bad, (res.task, res.errors, res.failed)
        assert res.verified == len(res.samples)
    got = {s.origin: s for res in results.values() for s in res.samples}
    assert set(got) == {dest for _, _, dest, _ in TREE}
    for folder, sample, dest, level in TREE:
        s = got[dest]
        assert s.complexity == level, dest
        assert s.split == ("train" if "_SFT" in dest else "test"), dest
        flat = {x.origin: x for x in get_task(s.task).import_original(reference_root())}
        twin = flat[f"{folder}/{sample}"]  # the same sample read from the flat layout
        assert (s.question, s.data, s.answer) == (twin.question, twin.data, twin.answer)
    assert results["new_operator"].sets == ["new_operator_dataset_hard"]
    assert results["eight_queens"].sets == ["eight_queens_dataset"]
    assert results["eight_queens"].levels == [1, 2]


def test_a_known_bad_sample_in_another_set_is_still_rejected(tmp_path: Path) -> None:
    # new_operator sample_0 is known-bad by its flat origin; copied into a nested set its
    # stored answer is still wrong, and the check reports it as a failure, not a pass.
    shutil.copytree(
        reference_root() / "new_operator_dataset" / "sample_0",
        tmp_path / "new_operator_dataset_2" / "complexity_5" / "sample_0",
    )
    (res,) = import_original(tmp_path, [get_task("new_operator")], check=True)
    assert res.verified == 0 and len(res.failed) == 1
    assert res.failed[0][0] == "new_operator_dataset_2/complexity_5/sample_0"


def test_an_unreadable_variant_is_an_error_of_that_set(tmp_path: Path) -> None:
    shutil.copytree(
        reference_root() / "eight_queens_dataset" / "sample_0",
        tmp_path / "eight_queens_dataset" / "sample_0",
    )
    (tmp_path / "eight_queens_dataset_hard" / "sample_0").mkdir(parents=True)
    (rep,) = import_release(tmp_path, only=lambda t: t.id == "eight_queens")
    assert len(rep.samples) == 1 and rep.samples[0].origin == "eight_queens_dataset/sample_0"
    assert len(rep.errors) == 1 and rep.errors[0].startswith("eight_queens_dataset_hard: ")
