"""benchmarks/gpu_check.py: the bundle that travels to a device machine, and the CPU-sized
dry run of the whole GPU check (the same commands, a tiny model)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.fixtures.benchmarks import load_benchmark

gc = load_benchmark("gpu_check")


def make_wheel(
    folder: Path, name: str, version: str, files: dict[str, str], requires: tuple[str, ...] = ()
) -> Path:
    """A real (deflated) pure-Python wheel with METADATA, WHEEL and RECORD."""
    dist = f"{name.replace('-', '_')}-{version}.dist-info"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    meta += "".join(f"Requires-Dist: {r}\n" for r in requires)
    members = {
        **files,
        f"{dist}/METADATA": meta,
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = "".join(f"{n},,\n" for n in members) + f"{dist}/RECORD,,\n"
    path = folder / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, text in members.items():
            z.writestr(n, text)
        z.writestr(f"{dist}/RECORD", record)
    return path


def test_ship_list_is_consistent() -> None:
    names = [gc.norm(d) for d, _, _ in gc.SHIP]
    assert len(names) == len(set(names))
    assert not set(names) & gc.DEVICE_HAS, "a device package is shipped too"
    assert set(gc.SLIM) <= set(names), "slimming rules for a wheel that is not shipped"
    for _, version, module in gc.SHIP:
        assert version and module.isidentifier()


def test_slim_wheel_drops_members_and_their_record_lines(tmp_path: Path) -> None:
    src = make_wheel(
        tmp_path,
        "gcprobe",
        "1.0",
        {"gcprobe/__init__.py": "VALUE = 42\n", "gcprobe/tests/test_a.py": "x = 1\n" * 500},
    )
    dest = tmp_path / "out" / src.name
    dest.parent.mkdir()
    info = gc.slim_wheel(src, dest, ("gcprobe/tests/*",))
    assert info["dropped_files"] == 1 and info["dropped_bytes"] == len("x = 1\n" * 500)
    with zipfile.ZipFile(dest) as z:
        names = z.namelist()
        assert "gcprobe/tests/test_a.py" not in names
        assert "gcprobe/__init__.py" in names
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
        record = z.read("gcprobe-1.0.dist-info/RECORD").decode()
    assert "gcprobe/tests/test_a.py" not in record and "gcprobe/__init__.py" in record


def test_closure_check_finds_what_neither_side_provides(tmp_path: Path) -> None:
    a = make_wheel(
        tmp_path,
        "gcprobe",
        "1.0",
        {"gcprobe/__init__.py": ""},
        (
            "numpy>=1",  # on the device
            "gcdep>=2",  # shipped below
            "pywin32; sys_platform == 'win32'",  # not on Linux
            "extra-thing; extra == 'docs'",  # an extra nobody asks for
        ),
    )
    dep2 = make_wheel(tmp_path, "gcdep", "2.0", {"gcdep/__init__.py": ""})
    assert gc.closure_problems([a, dep2], "3.12") == []
    missing = gc.closure_problems([a], "3.12")
    assert len(missing) == 1 and "gcdep>=2" in missing[0] and "neither shipped" in missing[0]
    old = tmp_path / "old"
    old.mkdir()
    dep1 = make_wheel(old, "gcdep", "1.0", {"gcdep/__init__.py": ""})
    wrong = gc.closure_problems([a, dep1], "3.12")
    assert len(wrong) == 1 and "the bundle has gcdep 1.0" in wrong[0]


def test_bundle_installs_only_what_is_missing_or_too_old(tmp_path: Path) -> None:
    root = tmp_path / "bundle"
    (root / "wheels").mkdir(parents=True)
    wheels = [
        make_wheel(
            tmp_path,
            "gcprobe",
            "1.0",
            {"gcprobe/__init__.py": "VALUE = 42\n"},
            ("packaging>=90",),
        ),
        # present here as the stdlib's json: kept
        make_wheel(tmp_path, "gckeep", "1.0", {"json/__init__.py": "BROKEN = True\n"}),
        # installed here (26.x) but gcprobe needs >= 90: ours goes first on the path
        make_wheel(tmp_path, "packaging", "99.0", {"packaging/__init__.py": "V = 99\n"}),
    ]
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    manifest: dict = {"python_version": here, "wheels": []}
    for w, module in zip(wheels, ("gcprobe", "json", "packaging"), strict=True):
        gc.slim_wheel(w, root / "wheels" / w.name)
        name, version, _ = gc.wheel_metadata(w)
        manifest["wheels"].append(
            {"dist": gc.norm(name), "version": version, "module": module, "file": w.name}
        )
    (root / "manifest.json").write_text(json.dumps(manifest))
    (root / "tokenizer").mkdir()
    (root / "tokenizer" / "tokenizer.json").write_text("{}")
    bundle = tmp_path / "bundle.tar.xz"
    gc.pack_bundle(root, bundle, level=1)

    target = tmp_path / "site"
    res = gc.install_bundle(bundle, tmp_path / "work", target)
    assert res["status"] == "ok", res
    installed = " ".join(res["installed"])
    assert "gcprobe 1.0 (missing)" in installed
    assert "packaging 99.0 (installed" in installed and "fails packaging>=90" in installed
    assert any(k.startswith("gckeep") for k in res["kept"])
    assert Path(res["tokenizer"], "tokenizer.json").is_file()
    assert not (target / "json").exists()
    out = subprocess.run(
        [sys.executable, "-c", "import gcprobe, packaging; print(gcprobe.VALUE, packaging.V)"],
        env={**os.environ, "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["42", "99"]

    # Without pip the wheels are unpacked: the same files import the same way.
    gc.unzip_wheels([root / "wheels" / wheels[0].name], tmp_path / "site3")
    assert (tmp_path / "site3" / "gcprobe" / "__init__.py").read_text() == "VALUE = 42\n"
    assert (tmp_path / "site3" / "gcprobe-1.0.dist-info" / "METADATA").is_file()

    # A bundle for another Python installs nothing (its compiled wheels would not load).
    manifest["python_version"] = "2.7"
    (root / "manifest.json").write_text(json.dumps(manifest))
    other = tmp_path / "other.tar.xz"
    gc.pack_bundle(root, other, level=1)
    res = gc.install_bundle(other, tmp_path / "work2", tmp_path / "site2")
    assert res["status"] == "skipped" and "for Python 2.7" in res["why"]
    assert not (tmp_path / "site2").exists() and Path(res["tokenizer"]).is_dir()


@pytest.mark.slow
def test_dry_run_measures_every_figure(tmp_path: Path) -> None:
    """The whole check, CPU-sized, through the shell entry point: every step runs, the
    figures file is complete and the losses are finite and falling."""
    out, work = tmp_path / "out", tmp_path / "work"
    env = {**os.environ, "PYTHON": sys.executable}
    env.pop("OUT", None)
    proc = subprocess.run(
        [
            "bash",
            str(REPO / "benchmarks" / "gpu_check.sh"),
            "--dry-run",
            "--out",
            str(out),
            "--work",
            str(work),
            "--bundle",
            str(tmp_path / "no-bundle.tar.xz"),  # everything is installed here
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    fig = json.loads((out / "gpu_check.json").read_text())
    assert fig["mode"] == "dry-run" and fig["complete"] and fig["missing"] == []
    assert fig["wall_s"] < fig["budget_s"]
    assert [s["step"] for s in fig["steps"] if s["status"] != "ok"] == []

    assert fig["model"]["parameters"] > 1_000_000 and fig["model"]["size"] == "tiny"
    for step in ("sft-full", "sft-lora", "dpo-full", "dpo-lora"):
        t = fig["train"][step]
        assert t["status"] == "finished", (step, t)
        assert t["steps"] == (
            fig["plan"]["sft_steps"] if step[:3] == "sft" else fig["plan"]["dpo_steps"]
        )
        assert t["precision"] == "fp32" and t["device"] == "cpu"
        assert t["all_finite"] and all(math.isfinite(x) for x in t["losses"])
        assert t["loss_falling"], (step, t["losses"])
        assert t["tokens_per_s"] > 0 and t["peak_rss_mb"] > 0
    lora, full = fig["train"]["sft-lora"], fig["train"]["sft-full"]
    assert lora["trainable_parameters"] < full["trainable_parameters"] / 10
    # DPO continues from each SFT output: the LoRA one from the SFT adapter.
    assert fig["train"]["dpo-full"]["base"].endswith("sft-full")
    assert fig["train"]["dpo-lora"]["reference"] == "frozen copy of the SFT adapter"

    gen = fig["generate"]
    assert gen["device"] == "cpu" and gen["dtype"] == "float32"
    for n in ("1", "8", "32"):
        level = gen["levels"][n]
        assert level["failed"] == 0 and level["tok_s"] > 0
        # every request runs to its limit (the end-of-turn token is never the argmax)
        assert level["tokens"] == int(n) * fig["plan"]["gen_tokens"]
    assert gen["levels"]["32"]["generate_calls"] < 32  # batched, not one call each
    for n, episodes in (("1", 2), ("8", 8), ("32", 32)):
        s = fig["steer"][n]
        assert s["status"] == "finished" and s["episodes"] == episodes == s["finished"]
        assert s["task_tokens"] == episodes * fig["plan"]["gen_tokens"]
        assert s["tokens_per_s"] > 0

    # Everything the commands imported is shipped in the bundle or on the device image.
    allowed = {gc.norm(d) for d, _, _ in gc.SHIP} | gc.DEVICE_HAS | gc.OPTIONAL | {"codesteer"}
    imported = {d for dists in fig["imported_distributions"].values() for d in dists}
    assert {"trl", "datasets", "sqlmodel", "typer"} <= imported
    assert imported - allowed == set()

    text = (out / "gpu_check.txt").read_text()
    assert "training (codesteer train" in text and "hf: generation" in text
    assert text.strip() in proc.stdout
